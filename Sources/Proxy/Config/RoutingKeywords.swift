// Frontend routing: `acl`, `use_backend`, `default_backend`.

enum RoutingKeywords {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("acl", [.frontend, .backend, .listen], "acl NAME FETCH [-i] [-m str|beg|end|sub|reg|dom|found|len|ip] PATTERN...",
                      "Named test on the request; FETCH: hdr(N) hdr_reg(N) hdr_beg(N) hdr_end(N) hdr_sub(N) hdr_dom(N) path path_beg path_end path_reg path_sub url url_beg src method.") { state, line throws(ConfigError) in
            guard let name = line.argument(0) else { throw line.error("missing name; expected 'acl NAME FETCH [-i] [-m MATCH] PATTERN...'") }
            guard name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.:".unicodeScalars.contains($0)) }) else {
                throw line.error("invalid ACL name '\(name)'; expected letters, digits, '-', '_', '.' or ':'")
            }
            if ConditionParser.predefinedNames.contains(name) { throw line.error("'\(name)' is a predefined ACL and cannot be redefined") }
            state.proxy.acls.append(try AclParser.parse(name: name, line, from: 1, to: line.argumentCount))
        },
        ConfigKeyword("use_backend", [.frontend, .listen], "use_backend NAME [if|unless COND]",
                      "Send matching requests to this backend; the first matching rule wins.") { state, line throws(ConfigError) in
            guard let backend = line.argument(0) else { throw line.error("missing backend name; expected 'use_backend NAME [if|unless COND]'") }
            if backend.contains("%[") { throw line.error("dynamic backend names ('%[...]') are not supported by ringproxy") }
            var condition: Condition? = nil
            if let word = line.argument(1) {
                guard word == "if" || word == "unless" else { throw line.error("unexpected '\(word)'; expected 'if COND' or 'unless COND'") }
                condition = try ConditionParser.parse(line, from: 1, state: &state)
            }
            state.proxy.useBackends.append(BackendSwitchRule(backend: backend, condition: condition, location: line.location))
        },
        ConfigKeyword("default_backend", .frontendSide, "default_backend NAME",
                      "Backend for requests that match no use_backend rule (without it: 503).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "default_backend NAME")
            state.proxy.defaultBackend = line.argument(0)
            state.proxy.defaultBackendLocation = line.location
        },
    ]
}
