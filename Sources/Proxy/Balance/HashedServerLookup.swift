// From a 32-bit hash to a server, shared by the hash-based balancers: either HAProxy's
// map-based mapping (`hash mod total weight` into the weighted map; one usable server → that
// one) or the consistent ring (`hash-type consistent`).

import Synchronization

final class HashedServerLookup: Sendable {
    let servers: [BalancedServer]
    let map: Mutex<WeightedServerMap>?
    let ring: ConsistentHashRing?

    init(servers: [BalancedServer], hashType: HashType) {
        self.servers = servers
        switch hashType {
        case .mapBased: map = Mutex(WeightedServerMap(servers: servers)); ring = nil
        case .consistent: map = nil; ring = ConsistentHashRing(servers: servers)
        }
    }

    func server(forHash h: UInt32, states: some ServerStates) -> Int? {
        if let b = BackupRule.fallback(servers, states) { return b < 0 ? nil : b }
        if let ring { return ring.server(forHash: h) { states.isBalanceable($0) && !self.servers[$0].backup } }
        let servers = self.servers
        return map!.withLock { m in
            m.follow { states.isBalanceable($0) && !servers[$0].backup }
            let total = m.total
            if total == 0 { return nil }
            return m.slots[Int(h % UInt32(total))]
        }
    }
}
