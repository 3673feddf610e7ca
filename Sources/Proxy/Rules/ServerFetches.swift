// Sample fetches about one named server, `[BACKEND/]SERVER`: srv_sess_rate (sessions started
// on it in the last second, all workers), srv_conn (its current sessions), srv_is_up (UP or
// draining, not DOWN nor in maintenance). The name is resolved when the rules are compiled.

enum ServerFetch: Sendable { case sessionRate, connections, isUp }

extension Compiler {
    /// `p`: the proxy the expression is written in (a bare server name is one of its servers).
    func serverFetch(_ d: SampleExprDef, _ p: ProxyConfig) throws -> Fetch {
        let arg = d.args.first ?? ""
        let parts = arg.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let backendName = parts.count == 2 ? parts[0] : (p.isBackend ? p.name : "")
        let serverName = parts.count == 2 ? parts[1] : arg
        guard let b = topology.backendByName[backendName] else {
            throw RuleCompileError(description: "\(d.text): no such backend '\(backendName)' (expected [BACKEND/]SERVER)")
        }
        let backend = topology.backends[b]
        guard let i = config.proxies[backend.proxy].servers.firstIndex(where: { $0.name == serverName }) else {
            throw RuleCompileError(description: "\(d.text): no such server '\(serverName)' in backend '\(backendName)'")
        }
        let f: ServerFetch = d.fetch == .srvSessRate ? .sessionRate : d.fetch == .srvConn ? .connections : .isUp
        return .server(f, backend.servers.lowerBound + i)
    }
}

extension RuleContext {
    func serverSample(_ f: ServerFetch, _ server: Int) -> Sample? {
        switch f {
        case .isUp:
            guard let st = tables.states else { return .bool(true) }
            return .bool(st.isUsable(server))
        case .sessionRate: return .int(tables.serverCounters.sessionRate(server: server))
        case .connections: return .int(tables.serverCounters.current(server: server))
        }
    }
}

/// Reads the workers' counters from a rule (another worker's values race benignly, as the
/// stats page's do: aligned 64-bit words).
final class WorkerCountersReader: @unchecked Sendable {
    // @unchecked: `workers` is set once, before any request is handled.
    private var workers: [WorkerCounters] = []

    func attach(_ counters: [WorkerCounters]) { workers = counters }

    /// Sessions started on the server during the last complete second.
    func sessionRate(server: Int) -> Int64 {
        guard let layout = workers.first?.layout else { return 0 }
        return rate(row: layout.serverRow(server), request: false)
    }

    /// The server's current sessions.
    func current(server: Int) -> Int64 {
        guard let layout = workers.first?.layout else { return 0 }
        return current(row: layout.serverRow(server))
    }

    /// Sessions (or HTTP requests) counted on a row during the last complete second.
    func rate(row: Int, request: Bool) -> Int64 {
        let now = UInt64(WallClock.nowMs() / 1000)
        var n: UInt64 = 0
        for w in workers {
            n &+= request ? CountersSnapshot.lastSecond(w, row, now, .reqRateSecond, .reqRateCount, .reqRatePrevious)
                          : CountersSnapshot.lastSecond(w, row, now, .rateSecond, .rateCount, .ratePrevious)
        }
        return Int64(clamping: n)
    }

    /// A row's current sessions.
    func current(row: Int) -> Int64 {
        var n: UInt64 = 0
        for w in workers { n &+= w.get(row, .scur) }
        return Int64(clamping: n)
    }
}
