import Testing
import Foundation
@testable import Proxy

func bytes<T>(_ s: String, _ body: (UnsafeRawBufferPointer) -> T) -> T {
    Array(s.utf8).withUnsafeBytes(body)
}

@Suite struct AppSessionTableTests {
    @Test func learnLookupAndTruncation() {
        let t = AppSessionTable(keyLength: 64, timeoutMillis: 1000, capacity: 1000)
        let long = String(repeating: "a", count: 64)
        bytes(long + "XXXXX") { t.store($0, server: 1, now: 0) }
        #expect(bytes(long + "YY") { t.lookup($0, now: 10) } == 1)      // same first 64 bytes
        #expect(bytes(long) { t.lookup($0, now: 10) } == 1)
        #expect(bytes(String(long.dropLast()) + "b") { t.lookup($0, now: 10) } == nil)
        #expect(bytes("unknown") { t.lookup($0, now: 10) } == nil)
    }

    @Test func existingEntryIsNotRepointedUnlessAsked() {
        let t = AppSessionTable(keyLength: 8, timeoutMillis: 1000, capacity: 100)
        bytes("k") { t.store($0, server: 0, now: 0) }
        #expect(bytes("k") { t.store($0, server: 1, now: 1) } == 0)                   // appsession: only if absent
        #expect(bytes("k") { t.store($0, server: 1, now: 1, overwrite: .ifStale, isStale: { _ in false }) } == 0)
        #expect(bytes("k") { t.store($0, server: 1, now: 1, overwrite: .ifStale, isStale: { $0 == 0 }) } == 1)
        #expect(bytes("k") { t.store($0, server: 0, now: 1, overwrite: .always) } == 0)
    }

    @Test func idleExpiryRefreshedOnHit() {
        let t = AppSessionTable(keyLength: 8, timeoutMillis: 1000, capacity: 100)
        bytes("s") { t.store($0, server: 2, now: 0) }
        #expect(bytes("s") { t.lookup($0, now: 900) } == 2)     // refreshes → expires at 1900
        #expect(bytes("s") { t.lookup($0, now: 1800) } == 2)    // → 2800
        #expect(bytes("s") { t.lookup($0, now: 2800) } == nil)  // idle for a full timeout
        bytes("a") { t.store($0, server: 0, now: 0) }
        bytes("b") { t.store($0, server: 0, now: 500) }
        #expect(t.sweep(now: 1200) == 1)
        #expect(t.count == 1)
    }

    @Test func boundedSizeEvictsTheLeastRecentlyUsed() {
        // 64 shards × 1 entry: keys landing in the same shard evict each other.
        let t = AppSessionTable(keyLength: 16, timeoutMillis: 1_000_000, capacity: 64)
        for i in 0..<1000 { bytes("key\(i)") { t.store($0, server: i % 3, now: Int64(i)) } }
        #expect(t.count <= 64)
        #expect(t.evictions == 1000 - t.count)
        #expect(bytes("key999") { t.lookup($0, now: 1000) } == 999 % 3)   // the newest survives
        let big = AppSessionTable(keyLength: 16, timeoutMillis: 1_000_000, capacity: 64 * 100)
        for i in 0..<10_000 { bytes("k\(i)") { big.store($0, server: 0, now: Int64(i)) } }
        #expect(big.count <= 6400 && big.count > 5000)
        #expect(big.evictions == 10_000 - big.count)
        #expect(bytes("k0") { big.lookup($0, now: 10_000) } == nil)       // the oldest went first
        #expect(bytes("k9999") { big.lookup($0, now: 10_000) } == 0)
    }

    @Test func expiredEntriesAreNotCountedAsEvictions() {
        let t = AppSessionTable(keyLength: 16, timeoutMillis: 10, capacity: 64)
        for i in 0..<500 { bytes("key\(i)") { t.store($0, server: 0, now: Int64(i) * 100) } }
        #expect(t.evictions == 0)
    }

    @Test func concurrentUseFromSeveralThreads() {
        let t = AppSessionTable(keyLength: 32, timeoutMillis: 1_000_000, capacity: 1_000_000)
        let threads = 8, per = 5000
        let misses = LockedCounts(1)
        DispatchQueue.concurrentPerform(iterations: threads) { th in
            var bad = 0
            for i in 0..<per {
                let key = "t\(th)-\(i)"
                bytes(key) { t.store($0, server: th, now: 1) }
                if bytes(key, { t.lookup($0, now: 2) }) != th { bad += 1 }
                if i > 0, bytes("t\(th)-\(i - 1)", { t.lookup($0, now: 2) }) != th { bad += 1 }
                _ = bytes("t\((th + 1) % threads)-\(i)") { t.lookup($0, now: 2) }   // other threads' keys
            }
            misses.add([bad])
        }
        #expect(misses.values == [0])
        #expect(t.count == threads * per)
        #expect(t.evictions == 0)
    }
}

@Suite struct SessionPersistenceTests {
    func appsession(_ configure: (inout AppSessionConfig) -> Void = { _ in }) -> SessionPersistence {
        var c = AppSessionConfig(cookieName: "9ai9", length: 64, timeout: 5 * 3600 * 1000)
        c.requestLearn = true
        configure(&c)
        return SessionPersistence(appSession: c)
    }
    let up = FixedServerStates(allUp: 2)

    func lookup(_ p: SessionPersistence, _ req: TestHead<RequestHead>, states: FixedServerStates? = nil) -> Int? {
        p.processRequest(req.head, client: .v4(1), states: states ?? up, now: 100).server
    }

    @Test func learnsFromSetCookieThenFollowsCookieAndPathParameter() {
        let p = appsession()
        let resp = testResponse("HTTP/1.1 200 OK\r\nSet-Cookie: 9ai9=ABC; path=/\r\n\r\n")
        p.processResponse(resp.head, server: 1, states: up, now: 50)
        #expect(lookup(p, get("Cookie: x=1; 9ai9=ABC")) == 1)
        #expect(lookup(p, get(target: "/x;9ai9=ABC")) == 1)
        #expect(lookup(p, get(target: "/x;9AI9=ABC?a=b")) == 1)               // name without regard to case
        #expect(lookup(p, get(target: "/x;a=1;9ai9=ABC;b=2")) == 1)
        #expect(lookup(p, get(target: "/x?9ai9=ABC")) == nil)                  // default mode ignores the query
        #expect(lookup(p, get(method: "PUT", target: "/x;9ai9=ABC")) == nil)   // GET/HEAD/POST only
        #expect(lookup(p, get("Cookie: 9AI9=ABC")) == nil)                     // cookie name is case-sensitive
    }

    @Test func pathParametersScannedFromTheLast() {
        let p = appsession()
        bytes("A") { p.table.store($0, server: 0, now: 0) }
        bytes("B") { p.table.store($0, server: 1, now: 0) }
        #expect(lookup(p, get(target: "/x;9ai9=A;9ai9=B")) == 1)
    }

    @Test func queryStringMode() {
        let p = appsession { $0.mode = .queryString }
        bytes("Q") { p.table.store($0, server: 1, now: 0) }
        #expect(lookup(p, get(target: "/x?a=1&9ai9=Q&b=2")) == 1)
        #expect(lookup(p, get(target: "/x;9ai9=Q")) == nil)
    }

    @Test func requestLearnStoresTheRequestId() {
        let p = appsession()
        let req = get("Cookie: 9ai9=NEW")
        let r = p.processRequest(req.head, client: .none, states: up, now: 0)
        #expect(r.server == nil && r.key.learn)
        p.learn(r.key, request: req.head, client: .none, server: 0, states: up, now: 0)
        #expect(lookup(p, get("Cookie: 9ai9=NEW")) == 0)
        // Without request-learn the request id is not learned.
        let q = appsession { $0.requestLearn = false }
        let r2 = q.processRequest(req.head, client: .none, states: up, now: 0)
        q.learn(r2.key, request: req.head, client: .none, server: 0, states: up, now: 0)
        #expect(q.processRequest(req.head, client: .none, states: up, now: 0).server == nil)
    }

    @Test func downServerIsRepointed() {
        let p = appsession { $0.requestLearn = false }
        bytes("S") { p.table.store($0, server: 1, now: 0) }
        let req = get("Cookie: 9ai9=S")
        let down = FixedServerStates([true, false])
        let r = p.processRequest(req.head, client: .none, states: down, now: 10)
        #expect(r.server == nil)                 // → load-balanced
        p.learn(r.key, request: req.head, client: .none, server: 0, states: down, now: 10)
        // Server 1 comes back: the client stays on 0 (ringproxy; 1.4 would send it back).
        #expect(lookup(p, req) == 0)
    }

    @Test func stickTableRulesDriveTheSameTable() {
        var t = StickTableConfig(); t.length = 64; t.size = 1000; t.expire = 1000
        let p = SessionPersistence(stickTable: t, rules: [
            StickRule(kind: .on, fetch: .requestCookie("9ai9")),
            StickRule(kind: .on, fetch: .urlParam("9ai9", delimiter: ";")),
            StickRule(kind: .storeResponse, fetch: .responseCookie("9ai9")),
        ])
        p.processResponse(testResponse("HTTP/1.1 200 OK\r\nSet-Cookie: 9ai9=Z\r\n\r\n").head, server: 1, states: up, now: 0)
        #expect(lookup(p, get("Cookie: 9ai9=Z")) == 1)
        #expect(lookup(p, get(method: "PUT", target: "/a;9ai9=Z")) == 1)     // any method
        #expect(lookup(p, get(target: "/a;9AI9=Z")) == nil)                 // urlp is case-sensitive
        let req = get("Cookie: 9ai9=FRESH")
        let r = p.processRequest(req.head, client: .none, states: up, now: 0)
        p.learn(r.key, request: req.head, client: .none, server: 0, states: up, now: 0)   // store-request
        #expect(lookup(p, req) == 0)
    }
}
