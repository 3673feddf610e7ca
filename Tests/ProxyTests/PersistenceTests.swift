import Testing
@testable import Proxy

/// End-to-end decisions through the façade, with the seed configuration's backends.
@Suite struct PersistenceTests {
    static func backend(_ name: String, _ configure: (inout ProxyConfig) -> Void) -> BackendDecider {
        var b = ProxyConfig(kind: .backend, name: name, location: testLoc)
        b.servers = servers([1, 1], cookies: ["11", "12"])
        configure(&b)
        return BackendDecider(plan: BackendPlan(backend: b))
    }
    static func cookieSrv() -> BackendDecider {
        backend("COOKIE_srv") { b in
            var c = CookieConfig(name: "SESSION_COOKIE"); c.mode = .insert; c.indirect = true; c.nocache = true
            b.cookie = c
        }
    }

    struct Exchange { var server: Int?; var flags: String; var response: String; var forwarded: String }

    func exchange(_ d: BackendDecider, _ req: TestHead<RequestHead>, states: FixedServerStates = FixedServerStates(allUp: 2),
                  serverResponse: String = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", now: Int64 = 0,
                  client: ClientAddress = .v4(0x7F000001)) -> Exchange {
        let rq = HeadRewrite(), rs = HeadRewrite()
        let dec = d.decideRequest(head: req.head, client: client, states: states, rewrite: rq, now: now)
        let resp = testResponse(serverResponse)
        let ch = dec.server == nil ? UInt8(ascii: "-") : d.decideResponse(dec, response: resp.head, rewrite: rs, states: states, now: now)
        d.connectionEnded(dec)
        return Exchange(server: dec.server, flags: String(UnicodeScalar(dec.cookieLogChar)) + String(UnicodeScalar(ch)),
                        response: resp.rendered(rs), forwarded: req.rendered(rq))
    }

    // The §5.3 table, in order, on one backend.
    @Test func cookieBackendTable() {
        let d = Self.cookieSrv()
        let a = exchange(d, get())
        #expect(a.server == 0 && a.flags == "NI")
        #expect(a.response.hasSuffix("Set-Cookie: SESSION_COOKIE=11; path=/\r\nCache-control: private\r\n\r\n"))
        let b = exchange(d, get())
        #expect(b.server == 1 && b.response.contains("Set-Cookie: SESSION_COOKIE=12; path=/\r\n"))
        // Persistence hits do not advance the round robin.
        for _ in 0..<3 {
            let v = exchange(d, get("Cookie: SESSION_COOKIE=12"))
            #expect(v.server == 1 && v.flags == "VN" && !v.response.contains("Set-Cookie") && !v.forwarded.contains("Cookie"))
        }
        let c = exchange(d, get())
        #expect(c.server == 0)
        let down = exchange(d, get("Cookie: SESSION_COOKIE=12"), states: FixedServerStates([true, false]))
        #expect(down.server == 0 && down.flags == "DI" && down.response.contains("SESSION_COOKIE=11"))
        let invalid = exchange(d, get("Cookie: SESSION_COOKIE=99"))
        #expect(invalid.server != nil && invalid.flags == "II")
        #expect(invalid.response.contains("SESSION_COOKIE=\(invalid.server == 0 ? "11" : "12"); path=/"))
        let post = exchange(d, get(method: "POST"))
        #expect(post.response.contains("Set-Cookie: SESSION_COOKIE=") && !post.response.contains("Cache-control"))
    }

    @Test func passiveCookieLogsDashes() {
        let d = Self.backend("ai_server") { $0.cookie = CookieConfig(name: "SERVERID"); $0.servers = servers([1, 1], cookies: ["2", "1"]) }
        let e = exchange(d, get("Cookie: SERVERID=1; a=b"), serverResponse: "HTTP/1.1 200 OK\r\nSet-Cookie: SERVERID=zz; path=/\r\n\r\n")
        #expect(e.server == 1 && e.flags == "--")
        #expect(e.forwarded.contains("Cookie: SERVERID=1; a=b\r\n"))
        #expect(e.response == "HTTP/1.1 200 OK\r\nSet-Cookie: SERVERID=zz; path=/\r\n\r\n")
    }

    @Test func redispatchDropsPersistenceAndReinserts() {
        let d = Self.cookieSrv()
        let req = get("Cookie: SESSION_COOKIE=11")
        let rq = HeadRewrite()
        var dec = d.decideRequest(head: req.head, client: .none, states: FixedServerStates(allUp: 2), rewrite: rq, now: 0)
        #expect(dec.server == 0 && dec.direct && dec.cookieLogChar == UInt8(ascii: "V"))
        d.redispatch(&dec, head: req.head, client: .none, states: FixedServerStates(allUp: 2), now: 0)
        #expect(dec.server == 1 && !dec.direct && dec.redispatched && dec.cookieLogChar == UInt8(ascii: "D"))
        let resp = testResponse("HTTP/1.1 200 OK\r\n\r\n")
        let rs = HeadRewrite()
        #expect(d.decideResponse(dec, response: resp.head, rewrite: rs, states: FixedServerStates(allUp: 2), now: 0) == UInt8(ascii: "I"))
        #expect(resp.rendered(rs).contains("Set-Cookie: SESSION_COOKIE=12; path=/"))
    }

    @Test func appsessionBackend() {
        let d = Self.backend("APPSESSION_srv") { b in
            var a = AppSessionConfig(cookieName: "9ai9", length: 64, timeout: 5 * 3600 * 1000); a.requestLearn = true
            b.appSession = a
        }
        // The PHP app sets the id; 10 follow-ups stay there.
        let first = exchange(d, get(), serverResponse: "HTTP/1.1 200 OK\r\nSet-Cookie: 9ai9=PHPSESS; path=/\r\n\r\n")
        #expect(first.flags == "--")
        for _ in 0..<10 { #expect(exchange(d, get("Cookie: 9ai9=PHPSESS")).server == first.server) }
        #expect(exchange(d, get(target: "/x;9ai9=PHPSESS")).server == first.server)
        // Unknown request id: the first load-balanced server is kept (request-learn).
        let u = exchange(d, get("Cookie: 9ai9=UNKNOWN"))
        for _ in 0..<5 { #expect(exchange(d, get("Cookie: 9ai9=UNKNOWN")).server == u.server) }
        // Its server goes down: moved, and stays moved after recovery.
        let other = 1 - u.server!
        var st = FixedServerStates(allUp: 2); st.usable[u.server!] = false
        #expect(exchange(d, get("Cookie: 9ai9=UNKNOWN"), states: st).server == other)
        #expect(exchange(d, get("Cookie: 9ai9=UNKNOWN")).server == other)
        // The cookie is never removed from the request.
        #expect(exchange(d, get("Cookie: 9ai9=UNKNOWN")).forwarded.contains("Cookie: 9ai9=UNKNOWN\r\n"))
    }

    @Test func sourceAndNoSessionBackends() {
        let s = Self.backend("SOURCE_srv") { $0.balance = .source }
        for _ in 0..<100 { #expect(exchange(s, get(), client: ClientAddress("127.0.0.2")!).server == 0) }
        for _ in 0..<100 { #expect(exchange(s, get(), client: ClientAddress("127.0.0.1")!).server == 1) }
        let n = Self.backend("NOSESSION_srv") { $0.balance = .roundRobin }
        let order = (0..<1000).map { _ in exchange(n, get()).server! }
        #expect(order.filter { $0 == 0 }.count == 500 && zip(order, order.dropFirst()).allSatisfy { $0 != $1 })
        #expect(exchange(n, get(), states: FixedServerStates([false, false])).server == nil)
    }
}
