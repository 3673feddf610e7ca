// `balance roundrobin`: HAProxy's "fast weighted round robin" (lb_fwrr), re-implemented so
// that the order of picks is the same as HAProxy's: weights 3:1 give A A A B (not nginx's
// smooth A A B A), 5:3:2 give A B A C A B A B A C, equal weights start with the first
// declared server.
//
// Model (lb_fwrr.c): effective weight = weight × 16. Servers wait in three queues: `init`
// (ordered by decreasing weight, then arrival), `curr` (ordered by next position `npos`,
// then by the remainder term, then arrival) and `next` (servers whose position fell beyond
// the current window). Each pick takes the first server of `curr` whose npos ≤ the group's
// current position, or else the heaviest server of `init`; advances its npos by
// totalWeight / weight (carrying the remainder), and requeues it. When both `curr` and
// `init` are empty, `next` becomes `init` (a new window). HAProxy keeps the queues in
// ebtrees; with the handful of servers of a backend a linear scan is as fast, allocates
// nothing and is easier to check.
//
// Health: the queues follow the states given at pick time. A server that became unusable
// leaves the queues (its weight leaves the next window); one that came back is placed at
// HAProxy's position for a server coming UP. Only load-balanced picks call `pick`, so
// persistence hits do not advance the order.
//
// Concurrency: one Mutex per backend around the whole state; a pick is a lock/unlock plus
// O(servers) scans (≈ 73 ns for 2 servers, see Balancer.swift).
// Verified against HAProxy 2.6.12: orders for 5:3:2 and 2:3:5, and through servers being
// disabled and re-enabled (BalanceDifferentialTests).

import Synchronization

public final class RoundRobinBalancer: Balancer {
    static let weightScale = 16                 // BE_WEIGHT_SCALE
    static let maxEffectiveWeight = 256 * 16    // SRV_EWGHT_MAX

    enum Queue: UInt8 { case none, initQ, nextQ, curr }

    struct Slot {
        var weight: Int          // effective weight (weight × 16)
        var backup: Bool
        var inService = false    // counted in the group (usable, weight > 0, active)
        var queue = Queue.none
        var npos = 0
        var lpos = 0
        var rweight = 0
        var arrival: UInt64 = 0  // insertion order inside a queue: ties are FIFO
    }

    struct State {
        var slots: [Slot]
        var currPos = 0
        var currWeight = 0
        var nextWeight = 0
        var arrivals: UInt64 = 0
        /// Scratch list of servers taken but skipped (the avoided one), reused.
        var skipped: [Int] = []
    }

    let servers: [BalancedServer]
    let state: Mutex<State>

    public init(servers: [BalancedServer]) {
        self.servers = servers
        var s = State(slots: servers.map { Slot(weight: $0.weight * RoundRobinBalancer.weightScale, backup: $0.backup) })
        s.skipped.reserveCapacity(servers.count)
        // At start-up every server is UP (HAProxy's assumption before the first check).
        var total = 0
        for i in s.slots.indices where !s.slots[i].backup && s.slots[i].weight > 0 {
            s.slots[i].inService = true
            total += s.slots[i].weight
        }
        s.currPos = total; s.currWeight = total; s.nextWeight = total
        for i in s.slots.indices where s.slots[i].inService { Self.enqueueByWeight(&s, i, .initQ) }
        state = Mutex(s)
    }

    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? {
        if let b = BackupRule.fallback(servers, states) { return b < 0 ? nil : b }
        return state.withLock { s in
            Self.follow(&s, states, servers)
            return Self.next(&s, avoid: avoid ?? -1)
        }
    }

    /// The next server without any health change (tests of the pure order).
    func pickInOrder() -> Int? { state.withLock { s in Self.next(&s, avoid: -1) } }

    // MARK: queues

    static func enqueueByWeight(_ s: inout State, _ i: Int, _ q: Queue) {
        s.slots[i].queue = q
        s.arrivals &+= 1
        s.slots[i].arrival = s.arrivals
    }

    /// First server of a by-weight queue: heaviest, then first arrived.
    static func firstByWeight(_ s: State, _ q: Queue) -> Int? {
        var best = -1
        for i in s.slots.indices where s.slots[i].queue == q {
            if best < 0 { best = i; continue }
            let a = s.slots[i], b = s.slots[best]
            if a.weight > b.weight || (a.weight == b.weight && a.arrival < b.arrival) { best = i }
        }
        return best < 0 ? nil : best
    }

    @inline(__always) static func currKey(_ x: Slot) -> (Int, Int) {
        (x.npos, (maxEffectiveWeight + x.rweight - x.weight) / weightScale)
    }

    /// First server of `curr`: lowest position, then remainder term, then first arrived.
    static func firstCurrent(_ s: State) -> Int? {
        var best = -1
        for i in s.slots.indices where s.slots[i].queue == .curr {
            if best < 0 { best = i; continue }
            let ka = currKey(s.slots[i]), kb = currKey(s.slots[best])
            if ka < kb || (ka == kb && s.slots[i].arrival < s.slots[best].arrival) { best = i }
        }
        return best < 0 ? nil : best
    }

    /// Puts a server back after use: into `curr` if its next position is inside the window,
    /// else into `next` (position rebased on the next window).
    static func requeue(_ s: inout State, _ i: Int) {
        guard s.slots[i].inService else { s.slots[i].queue = .none; return }
        let npos = s.slots[i].npos
        if npos >= 2 * s.currWeight || npos >= s.currWeight + s.nextWeight {
            s.slots[i].npos -= s.currWeight
            enqueueByWeight(&s, i, .nextQ)
        } else {
            enqueueByWeight(&s, i, .curr)
        }
    }

    static func advance(_ s: inout State, _ i: Int) {
        let w = s.slots[i].weight
        if s.slots[i].npos == 0 {
            s.slots[i].lpos = s.currPos
            s.slots[i].npos = s.currPos + s.nextWeight / w
        } else {
            s.slots[i].lpos = s.slots[i].npos
            s.slots[i].npos += s.nextWeight / w
        }
        s.slots[i].rweight += s.nextWeight % w
        if s.slots[i].rweight >= w { s.slots[i].rweight -= w; s.slots[i].npos += 1 }
    }

    /// The group's candidate: first of `curr` if its turn has come, else the heaviest of `init`.
    static func candidate(_ s: inout State) -> Int? {
        let c = firstCurrent(s)
        if c == nil || s.slots[c!].npos > s.currPos {
            if let f = firstByWeight(s, .initQ) {
                s.slots[f].npos = 0; s.slots[f].rweight = 0
                return f
            }
        }
        return c
    }

    static func next(_ s: inout State, avoid: Int) -> Int? {
        var switched = false
        var avoided = -1
        s.skipped.removeAll(keepingCapacity: true)
        var chosen = -1
        outer: while true {
            if s.currWeight == 0 { s.currPos = s.nextWeight; s.currWeight = s.nextWeight }
            var srv = -1
            while true {
                if let c = candidate(&s) { srv = c; break }
                if switched {
                    if avoided >= 0 { srv = avoided; break }
                    break outer
                }
                switched = true
                // New window: `next` becomes `init`.
                for i in s.slots.indices where s.slots[i].queue == .nextQ { s.slots[i].queue = .initQ }
                s.currWeight = s.nextWeight
                s.currPos = s.currWeight
            }
            advance(&s, srv)
            s.slots[srv].queue = .none
            s.currPos += 1
            if srv != avoid || avoided >= 0 { chosen = srv; break }
            avoided = srv
            s.skipped.append(srv)
        }
        if chosen >= 0 { requeue(&s, chosen) }
        for i in s.skipped where i != chosen {
            if switched { enqueueByWeight(&s, i, .initQ) } else { requeue(&s, i) }
        }
        return chosen >= 0 ? chosen : nil
    }

    // MARK: health

    /// Applies state and weight changes since the last pick, as HAProxy's
    /// set_server_status_up/down do; a weight change takes the server out and back in.
    static func follow(_ s: inout State, _ states: some ServerStates, _ servers: [BalancedServer]) {
        for i in s.slots.indices where !s.slots[i].backup {
            let w = (states.weight(i) ?? servers[i].weight) * weightScale
            let up = w > 0 && states.isBalanceable(i)
            if up == s.slots[i].inService && (!up || w == s.slots[i].weight) { continue }
            if s.slots[i].inService {
                s.slots[i].inService = false
                s.nextWeight -= s.slots[i].weight
                s.slots[i].queue = .none
            }
            guard up else { continue }
            s.slots[i].weight = w
            s.slots[i].inService = true
            s.nextWeight += w
            s.slots[i].npos = s.currPos + (s.nextWeight + s.currWeight - s.currPos) / w
            requeue(&s, i)
        }
    }
}
