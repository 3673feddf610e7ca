// Sample fetches about a frontend or a backend, summed over the workers' counters (as
// srv_conn): fe_conn / be_conn (current sessions: HAProxy's feconn, beconn), fe_sess_rate /
// be_sess_rate (sessions started during the last second), fe_req_rate (HTTP requests during
// the last second). As HAProxy, the proxy is resolved when the rules are compiled: the one
// named, else the one the rule is written in, which must then be a frontend (fe_*) or a
// backend (be_*).

enum ProxyCounterFetch: Sendable { case connections, sessionRate, requestRate }

extension Compiler {
    /// `p`: the proxy the expression is written in.
    func proxyCounterFetch(_ d: SampleExprDef, _ p: ProxyConfig) throws -> Fetch {
        let frontend = d.fetch == .feConn || d.fetch == .feSessRate || d.fetch == .feReqRate
        let f: ProxyCounterFetch = switch d.fetch {
        case .feConn, .beConn: .connections
        case .feReqRate: .requestRate
        default: .sessionRate
        }
        let named = d.args.first ?? ""
        let name = named.isEmpty ? p.name : named
        if named.isEmpty && !(frontend ? p.isFrontend : p.isBackend) {
            throw RuleCompileError(description: "\(d.text): proxy '\(p.name)' has no \(frontend ? "frontend" : "backend") capability")
        }
        let layout = CounterLayout(configuration: config)
        guard let row = frontend ? layout.frontendRows[name] : layout.backendRows[name] else {
            throw RuleCompileError(description: "\(d.text): no such \(frontend ? "frontend" : "backend") '\(name)'")
        }
        return .proxyCounter(f, row)
    }
}

extension RuleContext {
    func proxyCounterSample(_ f: ProxyCounterFetch, _ row: Int) -> Sample? {
        switch f {
        case .connections: return .int(tables.serverCounters.current(row: row))
        case .sessionRate: return .int(tables.serverCounters.rate(row: row, request: false))
        case .requestRate: return .int(tables.serverCounters.rate(row: row, request: true))
        }
    }
}
