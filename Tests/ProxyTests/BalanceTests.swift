import Testing
import Foundation
@testable import Proxy

// Read-only after creation: safe to share between parallel tests.
nonisolated(unsafe) let noRequest = get()

func letters(_ picks: [Int?]) -> String { String(picks.map { $0.map { Character(UnicodeScalar(UInt8(65 + $0))) } ?? "-" }) }

func pickMany(_ b: any Balancer, _ n: Int, states: some ServerStates, client: ClientAddress = .none, avoid: Int? = nil) -> [Int?] {
    (0..<n).map { _ in b.pick(request: noRequest.head, client: client, states: states, avoid: avoid) }
}

@Suite struct RoundRobinTests {
    func order(_ weights: [Int], _ n: Int) -> String {
        let b = RoundRobinBalancer(servers: weights.map { BalancedServer(weight: $0) })
        return letters(pickMany(b, n, states: FixedServerStates(allUp: weights.count)))
    }

    @Test func equalWeightsAlternateFromTheFirstServer() {
        let o = order([1, 1], 1000)
        #expect(o == String(repeating: "AB", count: 500))
    }

    @Test func weights3to1GiveAAAB() {
        #expect(order([3, 1], 1000) == String(repeating: "AAAB", count: 250))
    }

    @Test func weights5to3to2() {
        #expect(order([5, 3, 2], 1000) == String(repeating: "ABACABABAC", count: 100))
    }

    @Test func weights2to3to5() {
        let o = order([2, 3, 5], 1000)
        #expect(o == String(repeating: "CBCACBCBCA", count: 100))
        #expect(o.filter { $0 == "A" }.count == 200 && o.filter { $0 == "B" }.count == 300)
    }

    @Test func downServerIsSkippedAndComesBack() {
        let b = RoundRobinBalancer(servers: [BalancedServer(weight: 1), BalancedServer(weight: 1)])
        var st = FixedServerStates(allUp: 2)
        #expect(letters(pickMany(b, 4, states: st)) == "ABAB")
        st.usable[1] = false
        #expect(letters(pickMany(b, 100, states: st)) == String(repeating: "A", count: 100))
        st.usable[1] = true
        let after = letters(pickMany(b, 100, states: st))
        #expect(after.filter { $0 == "B" }.count == 50)
        #expect(!after.contains("AA") && !after.contains("BB"))
        st.usable = [false, false]
        #expect(pickMany(b, 1, states: st) == [nil])
    }

    @Test func avoidSkipsTheFailedServer() {
        let b = RoundRobinBalancer(servers: [BalancedServer(weight: 1), BalancedServer(weight: 1), BalancedServer(weight: 1)])
        let st = FixedServerStates(allUp: 3)
        #expect(b.pick(request: noRequest.head, client: .none, states: st, avoid: 0) == 1)
        // The only usable server is returned even when it is the one to avoid.
        let one = FixedServerStates([true, false, false])
        #expect(b.pick(request: noRequest.head, client: .none, states: one, avoid: 0) == 0)
    }

    @Test func backupOnlyWhenNoActiveServer() {
        let b = RoundRobinBalancer(servers: [BalancedServer(weight: 1), BalancedServer(weight: 1, backup: true), BalancedServer(weight: 1, backup: true)])
        #expect(letters(pickMany(b, 4, states: FixedServerStates(allUp: 3))) == "AAAA")
        #expect(letters(pickMany(b, 4, states: FixedServerStates([false, true, true]))) == "BBBB")
    }

    @Test func sharedPositionAcrossThreads() {
        let b = RoundRobinBalancer(servers: [BalancedServer(weight: 1), BalancedServer(weight: 1)])
        let counts = LockedCounts(2)
        let threads = 4, per = 5000
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let req = get()
            var local = [0, 0]
            for _ in 0..<per { local[b.pick(request: req.head, client: .none, states: FixedServerStates(allUp: 2), avoid: nil)!] += 1 }
            counts.add(local)
        }
        #expect(counts.values == [threads * per / 2, threads * per / 2])
    }
}

final class LockedCounts: @unchecked Sendable {   // guarded by `lock`
    private let lock = NSLock()
    private var v: [Int]
    init(_ n: Int) { v = Array(repeating: 0, count: n) }
    func add(_ x: [Int]) { lock.lock(); for i in x.indices { v[i] += x[i] }; lock.unlock() }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return v }
}

@Suite struct StaticAndLeastConnTests {
    @Test func staticRoundRobinFollowsTheMap() {
        let b = StaticRoundRobinBalancer(servers: [5, 3, 2].map { BalancedServer(weight: $0) })
        #expect(letters(pickMany(b, 1000, states: FixedServerStates(allUp: 3))) == String(repeating: "AABACABABC", count: 100))
        // B down: the map is rebuilt over A (5) and C (2).
        let o = letters(pickMany(b, 70, states: FixedServerStates([true, false, true])))
        #expect(!o.contains("B") && o.filter { $0 == "C" }.count == 20)
    }

    @Test func leastConnPicksFewestThenRotates() {
        let b = LeastConnBalancer(servers: [1, 1, 1].map { BalancedServer(weight: $0) })
        let st = FixedServerStates(allUp: 3)
        #expect(letters(pickMany(b, 3, states: st)) == "ABC")      // ties rotate
        b.connectionEnded(1)
        #expect(letters(pickMany(b, 1, states: st)) == "B")        // B has fewest
        b.connectionEnded(0)
        #expect(letters(pickMany(b, 2, states: st)) == "AB")     // A fewest, then a 3-way tie after A → B
        #expect(b.activeConnections(0) == 1 && b.activeConnections(1) == 2)
        #expect(letters(pickMany(b, 1, states: FixedServerStates([false, true, true]))) == "C")
    }
}

/// Straightforward reimplementation of the spec's §8.1 text, independent of WeightedServerMap.
func referenceSourceServer(_ addr: UInt32, weights: [Int], usable: [Bool]) -> Int? {
    let live = weights.indices.filter { usable[$0] && weights[$0] > 0 }
    if live.isEmpty { return nil }
    if live.count == 1 { return live[0] }
    func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
    let g = weights.filter { $0 > 0 }.reduce(0, gcd)
    let w = weights.map { $0 / g }
    let total = live.map { w[$0] }.reduce(0, +)
    var score = [Int: Int]()
    var map: [Int] = []
    for _ in 0..<total {
        var best: Int? = nil, bestV = 0
        for s in live {
            score[s, default: 0] += w[s]
            let v = (score[s]! + total) / total
            if best == nil || v > bestV { best = s; bestV = v }
        }
        map.append(best!)
        score[best!]! -= total
    }
    return map[Int(addr % UInt32(total))]
}

@Suite struct SourceHashTests {
    func ip(_ s: String) -> ClientAddress { ClientAddress(s)! }

    @Test func observedFacts() {
        let b = SourceHashBalancer(servers: [1, 1].map { BalancedServer(weight: $0) }, hashType: .mapBased)
        let st = FixedServerStates(allUp: 2)
        func pick(_ a: String, _ s: some ServerStates) -> Int? { b.pick(request: noRequest.head, client: ip(a), states: s, avoid: nil) }
        #expect(pick("127.0.0.1", st) == 1)
        #expect(pick("127.0.0.2", st) == 0)
        #expect(pick("127.0.0.3", st) == 1)
        #expect(pick("127.0.0.4", st) == 0)
        #expect(pick("127.0.1.1", st) == 1)
        #expect(pick("127.1.0.0", st) == 0)
        // Server 1 down: everyone on 0; back: original mapping.
        #expect(pick("127.0.0.1", FixedServerStates([true, false])) == 0)
        #expect(pick("127.0.0.1", st) == 1)
        // Redispatch does not move a source-hashed client.
        #expect(b.pick(request: noRequest.head, client: ip("127.0.0.1"), states: st, avoid: 1) == 1)
    }

    @Test(arguments: [[1, 1], [5, 3, 2], [2, 4, 6], [1, 2, 3, 4], [7]])
    func mapEqualsReferenceFor10000Addresses(weights: [Int]) {
        let b = SourceHashBalancer(servers: weights.map { BalancedServer(weight: $0) }, hashType: .mapBased)
        var rng = SystemRandomNumberGenerator()
        for down in [-1] + Array(weights.indices) {
            let usable = weights.indices.map { $0 != down }
            let st = FixedServerStates(usable)
            var mismatches = 0
            for k in 0..<10_000 {
                let a: UInt32 = k < 5000 ? 0x7F00_0000 &+ UInt32(k) : rng.next()
                if b.pick(request: noRequest.head, client: .v4(a), states: st, avoid: nil) != referenceSourceServer(a, weights: weights, usable: usable) { mismatches += 1 }
            }
            #expect(mismatches == 0, "weights \(weights), down \(down)")
        }
    }

    @Test func ipv6KeyIsXorOfWords() {
        #expect(ip("::1").hashKey == 1)
        #expect(ip("2001:db8::1").hashKey == UInt32(0x20010db8 ^ 0x00000000 ^ 0x00000000 ^ 0x00000001))
        let b = SourceHashBalancer(servers: [1, 1].map { BalancedServer(weight: $0) }, hashType: .mapBased)
        #expect(b.pick(request: noRequest.head, client: ip("::3"), states: FixedServerStates(allUp: 2), avoid: nil) == 1)
    }

    @Test func consistentRingMovesOnlyTheAffectedKeys() {
        let b = SourceHashBalancer(servers: [1, 1, 1, 1].map { BalancedServer(weight: $0) }, hashType: .consistent)
        let all = FixedServerStates(allUp: 4)
        let minus2 = FixedServerStates([true, true, false, true])
        var perServer = [0, 0, 0, 0]
        var moved = 0
        for k in 0..<20_000 {
            let a = ClientAddress.v4(0x0A00_0000 &+ UInt32(k) &* 7919)
            let before = b.pick(request: noRequest.head, client: a, states: all, avoid: nil)!
            let after = b.pick(request: noRequest.head, client: a, states: minus2, avoid: nil)!
            perServer[before] += 1
            if before != 2 { #expect(after == before) } else { #expect(after != 2); moved += 1 }
        }
        #expect(moved == perServer[2])
        // Every server gets a fair share (64 points each: within ±50 %).
        for c in perServer { #expect(c > 2500 && c < 7500) }
    }
}

@Suite struct RequestHashTests {
    @Test func uriIgnoresTheQueryString() {
        let b = URIHashBalancer(servers: [1, 1, 1].map { BalancedServer(weight: $0) }, hashType: .mapBased)
        let st = FixedServerStates(allUp: 3)
        func pick(_ t: String) -> Int? { let r = get(target: t); return b.pick(request: r.head, client: .none, states: st, avoid: nil) }
        #expect(pick("/url1") == pick("/url1?ignore=this-arg"))
        // sdbm("/url1") mod 3, computed by hand-rolled reference.
        var h: UInt32 = 0
        for c in "/url1".utf8 { h = UInt32(c) &+ (h << 6) &+ (h << 16) &- h }
        #expect(pick("/url1") == Int(h % 3))
        let spread = Set((0..<30).map { pick("/page\($0)")! })
        #expect(spread.count == 3)
    }

    @Test func urlParamHashesTheValueOrFallsBackToRoundRobin() {
        let b = URLParamHashBalancer(servers: [1, 1].map { BalancedServer(weight: $0) }, hashType: .mapBased, parameter: "uid")
        let st = FixedServerStates(allUp: 2)
        func pick(_ t: String) -> Int? { let r = get(target: t); return b.pick(request: r.head, client: .none, states: st, avoid: nil) }
        var h: UInt32 = 0
        for c in "42".utf8 { h = UInt32(c) &+ (h << 6) &+ (h << 16) &- h }
        for _ in 0..<5 { #expect(pick("/x?a=1&uid=42&b=2") == Int(h % 2)) }
        #expect(pick("/x?uidx=42") != nil)
        let rr = letters((0..<6).map { _ in pick("/x") })
        #expect(!rr.contains("AA") && !rr.contains("BB"))
    }

    @Test func headerHash() {
        let b = HeaderHashBalancer(servers: [1, 1, 1].map { BalancedServer(weight: $0) }, hashType: .mapBased, header: "X-User")
        let st = FixedServerStates(allUp: 3)
        var h: UInt32 = 0
        for c in "alice".utf8 { h = UInt32(c) &+ (h << 6) &+ (h << 16) &- h }
        let r = get("x-user:  alice ")
        #expect(b.pick(request: r.head, client: .none, states: st, avoid: nil) == Int(h % 3))
    }
}
