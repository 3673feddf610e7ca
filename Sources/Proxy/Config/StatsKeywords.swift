// The statistics page (`stats ...`) and the Prometheus exporter (`http-request use-service
// prometheus-exporter if COND`, or ringproxy's shorter `stats prometheus-uri URI`).

enum StatsKeywords {
    static let all: [ConfigKeyword] = [
        stats("enable", "stats enable", "Enable the statistics page (default URI `/haproxy?stats`).") { stats, line throws(ConfigError) in
            try line.expectArguments(0...0, "stats enable")
        },
        stats("uri", "stats uri PREFIX", "Statistics page URI prefix (enables stats).") { stats, line throws(ConfigError) in
            try line.expectArguments(1...1, "stats uri PREFIX")
            stats.uri = line.argument(0)!
        },
        stats("realm", "stats realm REALM", "HTTP Basic realm (escape spaces: `9ai9.net\\ Qhappy`).") { stats, line throws(ConfigError) in
            try line.expectArguments(1...1, "stats realm REALM (escape spaces with '\\ ' or quote the realm)")
            stats.realm = line.argument(0)!
        },
        stats("auth", "stats auth USER:PASSWORD", "Add an account allowed to see the page (repeatable).") { stats, line throws(ConfigError) in
            try line.expectArguments(1...1, "stats auth USER:PASSWORD")
            let text = line.argument(0)!
            guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
                throw line.error("invalid credentials '\(text)'; expected USER:PASSWORD")
            }
            stats.auths.append((String(text[..<colon]), String(text[text.index(after: colon)...])))
        },
        stats("refresh", "stats refresh TIME", "Ask browsers to reload the page every TIME (`Refresh:` header, seconds).") { stats, line throws(ConfigError) in
            try line.expectArguments(1...1, "stats refresh TIME")
            stats.refresh = try line.time(0, "refresh")
        },
        stats("hide-version", "stats hide-version", "Do not show the version on the page.") { stats, line throws(ConfigError) in
            try line.expectArguments(0...0, "stats hide-version")
            stats.hideVersion = true
        },
        stats("show-legends", "stats show-legends", "Show extra legends on the page.") { stats, line throws(ConfigError) in
            try line.expectArguments(0...0, "stats show-legends")
            stats.showLegends = true
        },
        stats("show-node", "stats show-node [NAME]", "Show the node's name on the page (default: the global `node`, else the host name).") { stats, line throws(ConfigError) in
            try line.expectArguments(0...1, "stats show-node [NAME]")
            stats.showNode = line.argument(0) ?? ""
        },
        stats("show-desc", "stats show-desc [TEXT]", "Show a description on the page (default: the global `description`).") { stats, line throws(ConfigError) in
            stats.showDescription = line.arguments.joined(separator: " ")
        },
        ConfigKeyword("stats scope", .proxies, "stats scope NAME|.",
                      "Show only this proxy on the page (`.`: the section itself; repeatable; default all).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "stats scope NAME|.")
            let name = line.argument(0)!
            state.proxy.stats.scopes.append(name == "." ? state.proxy.name : name)
            state.proxy.stats.enabled = true
        },
        ConfigKeyword("stats admin", [.frontend, .backend, .listen], "stats admin if|unless COND",
                      "Allow enabling/disabling servers from the page when COND matches.") { state, line throws(ConfigError) in
            guard let word = line.argument(0), word == "if" || word == "unless" else {
                throw line.error("missing condition; expected 'stats admin if COND' or 'stats admin unless COND'")
            }
            state.proxy.stats.adminCondition = try ConditionParser.parse(line, from: 0, state: &state)
            state.proxy.stats.enabled = true
        },
        ConfigKeyword("stats prometheus-uri", [.frontend, .backend, .listen], "stats prometheus-uri PATH",
                      "ringproxy shorthand for `http-request use-service prometheus-exporter if { path PATH }`.",
                      modern: "http-request use-service prometheus-exporter if { path PATH }") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "stats prometheus-uri PATH")
            let path = line.argument(0)!
            guard path.hasPrefix("/") else { throw line.error("invalid path '\(path)'; expected a path starting with '/'") }
            state.anonymousAclCount += 1
            let name = "{anonymous#\(state.anonymousAclCount)}"
            state.proxy.acls.append(AclDefinition(name: name, fetch: .path, match: .exact, ignoreCase: false, patterns: [path], location: line.location))
            state.proxy.prometheus = Condition(alternatives: [[Condition.Term(acl: name, negated: false)]])
            state.proxy.prometheusURI = path
        },
    ]

    static func stats(_ word: String, _ syntax: String, _ summary: String,
                      _ apply: @escaping @Sendable (inout StatsConfig, KeywordLine) throws(ConfigError) -> Void) -> ConfigKeyword {
        ConfigKeyword("stats " + word, .proxies, syntax, summary) { state, line throws(ConfigError) in
            try apply(&state.proxy.stats, line)
            state.proxy.stats.enabled = true
        }
    }

    /// The path when the condition is exactly one `path` equality test (`if { path /metrics }`).
    static func exactPath(of condition: Condition, in acls: [AclDefinition]) -> String? {
        guard !condition.unless, condition.alternatives.count == 1, condition.alternatives[0].count == 1 else { return nil }
        let term = condition.alternatives[0][0]
        let defs = acls.filter { $0.name == term.acl }
        guard !term.negated, defs.count == 1, let acl = defs.first, acl.fetch == .path, acl.match == .exact,
              !acl.ignoreCase, acl.patterns.count == 1 else { return nil }
        return acl.patterns[0]
    }
}
