// `balance random[(DRAWS)]`: HAProxy's get_server_rnd. Each draw takes a random point on the
// consistent ring (so weights count); of the servers drawn, the one serving the fewest
// requests relative to its weight wins (the "power of two choices" with the default 2 draws).
// Requests served are counted through connectionStarted/connectionEnded, like leastconn.

import Synchronization

public final class RandomBalancer: Balancer {
    let servers: [BalancedServer]
    let ring: ConsistentHashRing
    let draws: Int
    let served: Mutex<[Int]>

    public init(servers: [BalancedServer], draws: Int) {
        self.servers = servers
        ring = ConsistentHashRing(servers: servers)
        self.draws = max(1, draws)
        served = Mutex(Array(repeating: 0, count: servers.count))
    }

    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? {
        if let b = BackupRule.fallback(servers, states) {
            if b < 0 { return nil }
            connectionStarted(b)
            return b
        }
        let servers = self.servers
        return served.withLock { counts in
            var best: Int? = nil
            for _ in 0..<draws {
                guard let s = ring.server(forHash: UInt32.random(in: 0...UInt32.max), eligible: { i in
                    states.isBalanceable(i) && !servers[i].backup && (i != avoid)
                }) ?? ring.server(forHash: UInt32.random(in: 0...UInt32.max), eligible: { states.isBalanceable($0) && !servers[$0].backup }) else { break }
                func weight(_ i: Int) -> Int { states.weight(i) ?? servers[i].weight }
                if let b = best, b != s, counts[s] * weight(b) > counts[b] * weight(s) { continue }
                best = s
            }
            if let b = best { counts[b] += 1 }
            return best
        }
    }

    public func connectionStarted(_ server: Int) { served.withLock { $0[server] += 1 } }
    public func connectionEnded(_ server: Int) { served.withLock { if $0[server] > 0 { $0[server] -= 1 } } }
}
