// `balance leastconn`: the usable server with the fewest active connections relative to its
// weight (HAProxy's lb_fwlc key: connections × 256 / weight); ties go round-robin (the
// search starts after the last server picked), which is how HAProxy's tree requeueing
// behaves in practice. Connections are counted for every server use (persistence hits too)
// through connectionStarted/connectionEnded; `pick` counts the one it hands out.
// Concurrency: one Mutex per backend around the counters and the tie position.

import Synchronization

public final class LeastConnBalancer: Balancer {
    struct State {
        var active: [Int]
        var last = -1
    }
    let servers: [BalancedServer]
    let state: Mutex<State>

    public init(servers: [BalancedServer]) {
        self.servers = servers
        state = Mutex(State(active: Array(repeating: 0, count: servers.count)))
    }

    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? {
        if let b = BackupRule.fallback(servers, states) {
            if b < 0 { return nil }
            connectionStarted(b)
            return b
        }
        let servers = self.servers
        return state.withLock { s in
            let n = servers.count
            var best = -1, bestKey = 0, avoided = -1
            for k in 1...n {
                let i = (s.last + k + n) % n
                let weight = states.weight(i) ?? servers[i].weight
                guard states.isBalanceable(i), !servers[i].backup, weight > 0 else { continue }
                if i == avoid { avoided = i; continue }
                let key = s.active[i] * 256 / weight
                if best < 0 || key < bestKey { best = i; bestKey = key }
            }
            if best < 0 { best = avoided }
            guard best >= 0 else { return nil }
            s.last = best
            s.active[best] += 1
            return best
        }
    }

    public func connectionStarted(_ server: Int) { state.withLock { $0.active[server] += 1 } }
    public func connectionEnded(_ server: Int) { state.withLock { if $0.active[server] > 0 { $0.active[server] -= 1 } } }

    /// Active connections of a server (tests, stats).
    public func activeConnections(_ server: Int) -> Int { state.withLock { $0.active[server] } }
}
