// What HAProxy 2.6 refuses when a named defaults section defines TCP/HTTP rules (checked
// against haproxy 2.6.12 -c, reg-test startup/default_rules.vtc): another defaults section or
// a listen section may not inherit from it; frontends and backends may not both inherit from
// it; a backend may not inherit `tcp-request connection|session` rules, nor a frontend
// `tcp-response content` rules (they would never run there).

extension ParseState {
    mutating func checkRuleInheritance(_ name: String, kind: ProxyKind, at location: SourceLocation) {
        guard var d = namedDefaults[name] else { return }
        let p = d.proxy
        let http = !p.rules.httpRequest.isEmpty || !p.rules.httpResponse.isEmpty || !p.rules.httpAfterResponse.isEmpty
        guard http || !p.tcpRules.isEmpty else { return }
        let at = "(defaults section at \(p.location))"
        func fail(_ message: String) { errors.append(ConfigError(location, kind.rawValue, message)) }
        switch kind {
        case .defaults:
            fail("a defaults section cannot inherit from a defaults section defining TCP/HTTP rules \(at).")
        case .listen:
            fail("a listen section cannot inherit from a defaults section defining TCP/HTTP rules.")
        case .backend:
            if !p.tcpRules.connection.isEmpty || !p.tcpRules.session.isEmpty {
                fail("a backend section cannot inherit from a defaults section defining 'tcp-request connection' or 'tcp-request session' rules \(at).")
            } else if d.usedByFrontend {
                fail("frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules \(at).")
            }
            d.usedByBackend = true
        case .frontend:
            if !p.tcpRules.response.isEmpty {
                fail("a frontend section cannot inherit from a defaults section defining 'tcp-response content' rules \(at).")
            } else if d.usedByBackend {
                fail("frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules \(at).")
            }
            d.usedByFrontend = true
        }
        namedDefaults[name] = d
    }
}
