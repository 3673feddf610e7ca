// HAProxy's weighted server map (lb_map.c `recalc_server_map`), used by `static-rr` and by
// the map-based hashes (`source`, `uri`, `url_param`, `hdr`).
//
// Weights are divided by their GCD (over every server with a non-zero weight, as at
// HAProxy's start-up). The map has `total` = sum of the usable servers' weights slots; for
// each slot every usable server adds its weight to a running score, the one with the
// highest (score + total) / total (ties: first declared) takes the slot and gives back
// `total`. Weights 5:3:2 give A A B A C A B A B C.

struct WeightedServerMap {
    let weights: [Int]            // weights divided by their GCD
    /// Which servers the current map was built for.
    private(set) var usable: [Bool]
    private(set) var slots: [Int]
    private var scores: [Int]

    init(servers: [BalancedServer]) {
        var g = 0
        for s in servers where s.weight > 0 { g = Self.gcd(g, s.weight) }
        weights = servers.map { g > 0 ? $0.weight / g : 0 }
        usable = Array(repeating: false, count: servers.count)
        scores = Array(repeating: 0, count: servers.count)
        slots = []
        slots.reserveCapacity(weights.reduce(0, +))
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    var total: Int { slots.count }

    /// Rebuilds the map when the set of usable servers changed (O(servers) check otherwise).
    mutating func follow(_ eligible: (Int) -> Bool) {
        var changed = false
        for i in usable.indices {
            let u = eligible(i) && weights[i] > 0
            if u != usable[i] { usable[i] = u; changed = true }
        }
        if changed { rebuild() }
    }

    mutating func rebuild() {
        var tot = 0
        for i in weights.indices where usable[i] { tot += weights[i] }
        slots.removeAll(keepingCapacity: true)
        for i in scores.indices { scores[i] = 0 }
        for _ in 0..<tot {
            var best = -1
            var max = 0
            for i in weights.indices where usable[i] {
                if tot == 1 { best = i; break }
                scores[i] += weights[i]
                let v = (scores[i] + tot) / tot
                if best < 0 || v > max { max = v; best = i }
            }
            slots.append(best)
            scores[best] -= tot
        }
    }
}
