// `mode tcp` against the rest of the configuration, as HAProxy 2.6 checks it once every section
// is read: an HTTP frontend cannot use a TCP backend (an error); HTTP-only settings of a TCP
// proxy are ignored with HAProxy's warnings (and really ignored: `option httplog` becomes
// `option tcplog`, a layer 7 hash becomes round robin). A TCP frontend reaching an HTTP
// backend is HAProxy's implicit upgrade: its connections are then handled as HTTP.

enum TCPModeChecks {
    static func run(_ state: inout ParseState) {
        let byName = Dictionary(state.config.proxies.enumerated().filter { $0.element.isBackend }.map { ($0.element.name, $0.offset) },
                                uniquingKeysWith: { a, _ in a })
        for i in state.config.proxies.indices {
            let p = state.config.proxies[i]
            if p.isFrontend && p.mode == .http { httpFrontend(p, byName, &state) }
            if p.mode == .tcp { ignoreHTTPSettings(i, &state) }
        }
    }

    private static func httpFrontend(_ p: ProxyConfig, _ byName: [String: Int], _ state: inout ParseState) {
        func check(_ name: String, _ what: String, _ location: SourceLocation, _ keyword: String) {
            guard let bi = byName[name] else { return }
            let b = state.config.proxies[bi]
            guard b.mode == .tcp else { return }
            state.errors.append(ConfigError(location, keyword,
                "http \(p.kind.rawValue) '\(p.name)' (\(p.location.file):\(p.location.line)) tries to use incompatible tcp backend '\(b.name)' (\(b.location.file):\(b.location.line)) \(what) (see 'mode')."))
        }
        if let d = p.defaultBackend { check(d, "as its default backend", p.defaultBackendLocation ?? p.location, "default_backend") }
        for rule in p.useBackends where rule.dynamic == nil {
            check(rule.backend, "in a 'use_backend' rule", rule.location, "use_backend")
        }
    }

    private static func ignoreHTTPSettings(_ i: Int, _ state: inout ParseState) {
        var p = state.config.proxies[i]
        let kind = p.kind.rawValue
        if p.httpLog && p.isFrontend {
            state.warn(p.location, "'option httplog' not usable with \(kind) '\(p.name)' (needs 'mode http'). Falling back to 'option tcplog'.")
            p.httpLog = false
            p.logging.tcpLog = true
        }
        if p.isFrontend && !p.rules.httpRequest.isEmpty {
            state.warn(p.location, "'http-request' rules ignored for \(kind) '\(p.name)' as they require HTTP mode.")
        }
        if !p.rules.httpResponse.isEmpty {
            state.warn(p.location, "'http-response' rules ignored for \(kind) '\(p.name)' as they require HTTP mode.")
        }
        if p.forwardFor != nil {
            state.warn(p.location, "'option forwardfor' ignored for \(kind) '\(p.name)' as it requires HTTP mode.")
        }
        if p.isBackend && p.cookie != nil {
            state.warn(p.location, "cookie will be ignored for \(kind) '\(p.name)' (needs 'mode http').")
            p.cookie = nil
        }
        if p.isBackend {
            switch p.balance {
            case .uri, .urlParam, .header:
                state.warn(p.location, "Layer 7 hash not possible for \(kind) '\(p.name)' (needs 'mode http'). Falling back to round robin.")
                p.balance = .roundRobin
            default: break
            }
            for s in p.servers.indices where p.servers[s].cookie != nil {
                state.warn(p.servers[s].location, "\(kind) '\(p.name)' : ignoring cookie for server '\(p.servers[s].name)' as HTTP mode is disabled.")
                p.servers[s].cookie = nil
            }
        }
        state.config.proxies[i] = p
    }
}

extension Configuration {
    /// Whether a frontend's connections are relayed as raw bytes: `mode tcp`, and its backend
    /// (default_backend, or a listen section itself) is `mode tcp` too. A TCP frontend whose
    /// default backend is HTTP is HAProxy's implicit upgrade: handled as HTTP.
    public func relaysTCP(frontend p: ProxyConfig) -> Bool {
        guard p.mode == .tcp else { return false }
        if p.isBackend && !p.servers.isEmpty { return true }
        guard let name = p.defaultBackend, let b = proxies.first(where: { $0.isBackend && $0.name == name }) else {
            return true                  // no backend: each connection is closed (<NOSRV>, SC)
        }
        return b.mode == .tcp
    }
}
