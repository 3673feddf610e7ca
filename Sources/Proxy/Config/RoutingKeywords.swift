// Frontend routing: `acl`, `use_backend`, `default_backend`.

enum RoutingKeywords {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("acl", [.defaults, .frontend, .backend, .listen], "acl NAME FETCH[,CONVERTER...] [-i] [-f FILE] [-m METHOD] [-n] [-M] [-u ID] [--] [eq|ge|gt|le|lt] PATTERN...",
                      "Named test (any fetch and converter of the rule language; repeated names add patterns). METHOD: found bool int ip bin len str sub reg beg end dir dom.") { state, line throws(ConfigError) in
            if state.section == .defaults && state.proxy.name.isEmpty { throw line.error("'acl' not allowed in anonymous 'defaults' section") }
            guard let name = line.argument(0) else { throw line.error("missing name; expected 'acl NAME FETCH [-i] [-m MATCH] PATTERN...'") }
            guard name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.:".unicodeScalars.contains($0)) }) else {
                throw line.error("invalid ACL name '\(name)'; expected letters, digits, '-', '_', '.' or ':'")
            }
            if ConditionParser.predefinedNames.contains(name) { throw line.error("'\(name)' is a predefined ACL and cannot be redefined") }
            state.proxy.acls.append(try AclParser.parse(name: name, line, from: 1, to: line.argumentCount, state: &state))
        },
        ConfigKeyword("use_backend", [.frontend, .listen], "use_backend NAME [if|unless COND]",
                      "Send matching requests to this backend; the first matching rule wins.") { state, line throws(ConfigError) in
            guard let backend = line.argument(0) else { throw line.error("missing backend name; expected 'use_backend NAME [if|unless COND]'") }
            var dynamic: LogFormatDef? = nil
            if backend.contains("%") {
                dynamic = try LogFormatSyntax.parse(backend, context: .frontendRequest, line: line, state: &state)
            }
            var condition: Condition? = nil
            if let word = line.argument(1) {
                guard word == "if" || word == "unless" else { throw line.error("unexpected '\(word)'; expected 'if COND' or 'unless COND'") }
                condition = try ConditionParser.parse(line, from: 1, state: &state)
            }
            var rule = BackendSwitchRule(backend: backend, condition: condition, location: line.location)
            rule.dynamic = dynamic
            state.proxy.useBackends.append(rule)
        },
        ConfigKeyword("default_backend", .frontendSide, "default_backend NAME",
                      "Backend for requests that match no use_backend rule (without it: 503).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "default_backend NAME")
            state.proxy.defaultBackend = line.argument(0)
            state.proxy.defaultBackendLocation = line.location
        },
    ]
}
