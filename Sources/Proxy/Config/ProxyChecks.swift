// Checks that need a whole section or the whole file: server cookies without a backend
// cookie, and use_backend/default_backend targets that do not exist.

enum ProxyChecks {
    /// Runs when a frontend, backend or listen section ends.
    static func endOfSection(_ state: inout ParseState) {
        RuleSections.endOfProxy(&state)
        let proxy = state.proxy
        if let d = proxy.identity.dispatch, proxy.balancing.explicit {
            state.warn(d.location, "dispatch address of proxy '\(proxy.name)' will be ignored in balance mode.")
        }
        if proxy.isBackend, proxy.cookie == nil {
            let withCookie = proxy.servers.filter { $0.cookie != nil }
            // HAProxy accepts and ignores these values (the reference seed.cfg has them in three
            // backends), so this is a warning, not an error: the values have no effect.
            if let first = withCookie.first {
                let list = withCookie.map { "\($0.name) '\($0.cookie!)'" }.joined(separator: ", ")
                state.warn(first.location, "'server': cookie value ignored for \(list): \(proxy.kind.rawValue) '\(proxy.name)' has no 'cookie' directive")
            }
        }
    }

    /// Runs once every section has been read.
    static func endOfConfiguration(_ state: inout ParseState) {
        defer { RuleSections.endOfConfiguration(&state) }
        TrackChecks.run(&state)
        TCPModeChecks.run(&state)
        UseServerKeywords.endOfConfiguration(&state)
        TCPRuleKeywords.endOfConfiguration(&state)
        let backends = state.config.proxies.filter(\.isBackend).map(\.name)
        for proxy in state.config.proxies {
            for rule in proxy.useBackends where rule.dynamic == nil && !backends.contains(rule.backend) {
                state.errors.append(ConfigError(rule.location, "use_backend", missingBackend(rule.backend, backends)))
            }
            if let name = proxy.defaultBackend, proxy.isFrontend, !backends.contains(name) {
                state.errors.append(ConfigError(proxy.defaultBackendLocation ?? proxy.location, "default_backend", missingBackend(name, backends)))
            }
        }
    }

    static func missingBackend(_ name: String, _ backends: [String]) -> String {
        var message = "no backend named '\(name)'"
        message += backends.isEmpty ? "; no backend or listen section is defined" : "; expected one of \(backends.joined(separator: ", "))"
        if let s = EditDistance.suggestion(for: name, among: backends) { message += " (did you mean '\(s)'?)" }
        return message
    }
}
