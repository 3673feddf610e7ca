// `hash-type consistent`, modelled on HAProxy's lb_chash.c: every server owns
// weight × 16 points on a 32-bit ring, point n of server number id (1-based declaration
// order, HAProxy's default `puid`) sitting at full_hash(id × 4096 + n). A key is first mixed
// with full_hash, then goes to the closest point, looking both ways (HAProxy compares the
// distances to the next and previous points); points of unusable servers are skipped. When
// a server goes down only the keys whose closest point was one of its points move.
// NOT bit-compatible with HAProxy: against 2.6.12 (3 servers, 177 source addresses) only
// about a third of the clients landed on the same server, i.e. chance. The property kept is
// the one that matters for consistency: a server going down moves only its own clients.

struct ConsistentHashRing: Sendable {
    /// Sorted by key.
    let keys: [UInt32]
    let owners: [Int32]

    init(servers: [BalancedServer]) {
        var points: [(UInt32, Int32)] = []
        for (i, s) in servers.enumerated() where s.weight > 0 {
            let id = UInt32(i + 1)
            for n in 0..<(s.weight * 16) {
                points.append((BalanceHash.fullHash(id &* 4096 &+ UInt32(n)), Int32(i)))
            }
        }
        points.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        keys = points.map { $0.0 }
        owners = points.map { $0.1 }
    }

    func server(forHash rawHash: UInt32, eligible: (Int) -> Bool) -> Int? {
        let n = keys.count
        guard n > 0 else { return nil }
        let h = BalanceHash.fullHash(rawHash)
        // First point >= h (binary search), wrapping to 0.
        var lo = 0, hi = n
        while lo < hi { let mid = (lo + hi) / 2; if keys[mid] < h { lo = mid + 1 } else { hi = mid } }
        let start = lo == n ? 0 : lo
        // Next usable point forward, previous usable point backward.
        var next = -1, prev = -1
        var k = 0, i = start
        while k < n { if eligible(Int(owners[i])) { next = i; break }; i = (i + 1) % n; k += 1 }
        if next < 0 { return nil }
        k = 0; i = (start + n - 1) % n
        while k < n { if eligible(Int(owners[i])) { prev = i; break }; i = (i + n - 1) % n; k += 1 }
        let ns = Int(owners[next]), ps = Int(owners[prev])
        if ns == ps { return ns }
        let dp = h &- keys[prev]
        let dn = keys[next] &- h
        return dp <= dn ? ps : ns
    }
}
