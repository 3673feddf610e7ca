// `balance first`: the first server, by id (position in the backend unless `id` says
// otherwise), that still has a free connection slot below its `maxconn` takes the request, so
// that the fewest servers carry the load (HAProxy 2.6's lb_fas). Weights only matter at 0
// (the server takes nothing). Connections are counted as leastconn counts them. When every
// usable server is full, the first one is returned: the engine then queues the request in
// the backend's queue, as HAProxy does when `first` finds no free slot.
// Concurrency: one Mutex per backend around the counters.

import Synchronization

public final class FirstAvailableBalancer: Balancer {
    let servers: [BalancedServer]
    /// Server indexes in HAProxy's order: by id, then by position.
    let order: [Int]
    let active: Mutex<[Int]>

    public init(servers: [BalancedServer]) {
        self.servers = servers
        order = servers.indices.sorted { (servers[$0].id ?? $0 + 1, $0) < (servers[$1].id ?? $1 + 1, $1) }
        active = Mutex(Array(repeating: 0, count: servers.count))
    }

    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? {
        if let b = BackupRule.fallback(servers, states) {
            if b < 0 { return nil }
            connectionStarted(b)
            return b
        }
        let servers = self.servers, order = self.order
        return active.withLock { active in
            var firstUsable = -1, avoided = -1, chosen = -1
            for i in order {
                guard states.isBalanceable(i), !servers[i].backup, (states.weight(i) ?? servers[i].weight) > 0 else { continue }
                if i == avoid { avoided = i; continue }
                if firstUsable < 0 { firstUsable = i }
                if servers[i].maxconn == 0 || active[i] < servers[i].maxconn { chosen = i; break }
            }
            if chosen < 0 { chosen = firstUsable >= 0 ? firstUsable : avoided }
            guard chosen >= 0 else { return nil }
            active[chosen] += 1
            return chosen
        }
    }

    public func connectionStarted(_ server: Int) { active.withLock { $0[server] += 1 } }
    public func connectionEnded(_ server: Int) { active.withLock { if $0[server] > 0 { $0[server] -= 1 } } }

    /// Active connections of a server (tests).
    public func activeConnections(_ server: Int) -> Int { active.withLock { $0[server] } }
}
