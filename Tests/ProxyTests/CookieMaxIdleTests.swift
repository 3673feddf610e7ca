import Testing
@testable import Proxy

// `cookie SRV insert indirect ... maxidle/maxlife`, against what HAProxy 2.6.12 put on the
// wire for the same cookies at the same UNIX second (captured on 127.0.0.1 with
// `cookie SRV insert indirect nocache maxidle 30s maxlife 1h`, servers `cookie s1`/`s2`,
// log format `%tsc`); the comments give the request cookie and HAProxy's answer.

/// `cookie SRV insert indirect`, servers s1 and s2 (indexes 0 and 1).
func datedCookie(maxidle: Int? = nil, maxlife: Int? = nil, _ configure: (inout CookieConfig) -> Void = { _ in }) -> CookiePersistence {
    var c = CookieConfig(name: "SRV")
    c.mode = .insert; c.indirect = true; c.nocache = true
    c.maxidle = maxidle; c.maxlife = maxlife
    configure(&c)
    return CookiePersistence(config: c, servers: servers([1, 1], cookies: ["s1", "s2"]))
}

@Suite struct CookieMaxIdleTests {
    struct Outcome: Equatable {
        /// Third and fourth characters of the termination state.
        var flags: String
        /// The value of the inserted Set-Cookie (after `SRV=`, up to the end of line), or nil.
        var setCookie: String?
        /// The server the cookie chose (nil: load-balanced).
        var server: Int?
    }

    /// One request with `cookie` at UNIX second `now`; when the cookie chooses no server
    /// the balancer's choice is `balanced`.
    func exchange(_ p: CookiePersistence, _ cookie: String?, now: Int64, balanced: Int = 0,
                  states: FixedServerStates = FixedServerStates(allUp: 2)) -> Outcome {
        let req = cookie.map { get("Cookie: \($0)") } ?? get()
        let r = p.processRequest(req.head, states: states, rewrite: HeadRewrite(), wallSeconds: now)
        let resp = testResponse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        let rw = HeadRewrite()
        let ctx = CookieResponseContext(server: r.server ?? balanced, direct: r.server != nil, requestIsPost: false,
                                        lastDate: r.lastDate, firstDate: r.firstDate, wallSeconds: now)
        let ch = p.processResponse(resp.head, ctx, rewrite: rw)
        let out = resp.rendered(rw)
        var value: String? = nil
        if let range = out.range(of: "Set-Cookie: SRV=") {
            value = String(out[range.upperBound...].prefix { !$0.isNewline })
        }
        return Outcome(flags: String(UnicodeScalar(r.logChar)) + String(UnicodeScalar(ch)), setCookie: value, server: r.server)
    }

    // Both dates (maxidle 30s maxlife 1h), HAProxy at t = 1795760589.
    @Test(arguments: [
        // no cookie → `SRV=s1|awkh0|awkh0; path=/`, NI
        (nil, Outcome(flags: "NI", setCookie: "s1|awkh0|awkh0; path=/", server: nil)),
        // no dates: valid, dates added (U)
        ("SRV=s1", Outcome(flags: "VU", setCookie: "s1|awkh0|awkh0; path=/", server: 0)),
        // last seen is this 4-second unit: nothing to refresh
        ("SRV=s1|awkh0|awkh0", Outcome(flags: "VN", setCookie: nil, server: 0)),
        // last seen 8 s ago: refreshed, first seen kept
        ("SRV=s1|awkhx|awkhx", Outcome(flags: "VU", setCookie: "s1|awkh0|awkhx; path=/", server: 0)),
        // idle 28 s (< 30): still valid
        ("SRV=s1|awkhs|awkhs", Outcome(flags: "VU", setCookie: "s1|awkh0|awkhs; path=/", server: 0)),
        // idle 40 s: expired, load-balanced, new dates
        ("SRV=s1|awkhp|awkhp", Outcome(flags: "EI", setCookie: "s2|awkh0|awkh0; path=/", server: nil)),
        // first seen 4000 s ago (> 1h): too old, first date restarts
        ("SRV=s1|awkh0|awkSL", Outcome(flags: "OI", setCookie: "s2|awkh0|awkh0; path=/", server: nil)),
        // both old: maxlife is checked first
        ("SRV=s1|awkSL|awkSL", Outcome(flags: "OI", setCookie: "s2|awkh0|awkh0; path=/", server: nil)),
        // last seen two days ahead: expired; first seen two days ahead: too old
        ("SRV=s1|awvEz|awkh0", Outcome(flags: "EI", setCookie: "s2|awkh0|awkh0; path=/", server: nil)),
        ("SRV=s1|awkh0|awvEz", Outcome(flags: "OI", setCookie: "s2|awkh0|awkh0; path=/", server: nil)),
        // one hour ahead is tolerated (less than a day) and not refreshed
        ("SRV=s1|awkv3|awkh0", Outcome(flags: "VN", setCookie: nil, server: 0)),
        // no first date under maxlife: written
        ("SRV=s1|awkh0", Outcome(flags: "VU", setCookie: "s1|awkh0|awkh0; path=/", server: 0)),
        // unreadable / short / empty dates are ignored, the server part still counts
        ("SRV=s1|a*khw|awkhw", Outcome(flags: "VU", setCookie: "s1|awkh0|awkhw; path=/", server: 0)),
        ("SRV=s1|awk", Outcome(flags: "VU", setCookie: "s1|awkh0|awkh0; path=/", server: 0)),
        ("SRV=s1|", Outcome(flags: "VU", setCookie: "s1|awkh0|awkh0; path=/", server: 0)),
        // unknown server: I; expiry is decided before the server is looked up: E
        ("SRV=s9|awkh0|awkh0", Outcome(flags: "II", setCookie: "s2|awkh0|awkh0; path=/", server: nil)),
        ("SRV=s9|awkhp|awkhp", Outcome(flags: "EI", setCookie: "s2|awkh0|awkh0; path=/", server: nil)),
        ("SRV=s2|awkh0|awkh0", Outcome(flags: "VN", setCookie: nil, server: 1)),
    ] as [(String?, Outcome)])
    func maxIdleAndMaxLife(_ cookie: String?, _ expected: Outcome) {
        let p = datedCookie(maxidle: 30_000, maxlife: 3_600_000)
        #expect(exchange(p, cookie, now: 1_795_760_589, balanced: cookie == nil ? 0 : 1) == expected)
    }

    @Test func valueFormatAtFixedTimes() {
        let p = datedCookie(maxidle: 30_000, maxlife: 3_600_000)
        // HAProxy at t = 1795760573: `set-cookie: SRV=s1|awkhw|awkhw; path=/`.
        #expect(exchange(p, nil, now: 1_795_760_573).setCookie == "s1|awkhw|awkhw; path=/")
        // Dates are rounded up to the next 4-second unit: ...573 to ...576 give the same.
        #expect(exchange(p, nil, now: 1_795_760_576).setCookie == "s1|awkhw|awkhw; path=/")
        #expect(exchange(p, nil, now: 1_795_760_577).setCookie == "s1|awkhx|awkhx; path=/")
        #expect(exchange(p, nil, now: 1_795_760_572).setCookie == "s1|awkhv|awkhv; path=/")
    }

    // maxidle 30s only, HAProxy at t = 1795760596: one date.
    @Test func maxIdleOnly() {
        let p = datedCookie(maxidle: 30_000)
        let now: Int64 = 1_795_760_596
        #expect(exchange(p, nil, now: now) == Outcome(flags: "NI", setCookie: "s1|awkh1; path=/", server: nil))
        #expect(exchange(p, "SRV=s1|awkh1", now: now) == Outcome(flags: "VN", setCookie: nil, server: 0))
        // a first date without maxlife is removed
        #expect(exchange(p, "SRV=s1|awkh1|awkSM", now: now) == Outcome(flags: "VU", setCookie: "s1|awkh1; path=/", server: 0))
        #expect(exchange(p, "SRV=s1|awkSM|awkSM", now: now, balanced: 1) == Outcome(flags: "EI", setCookie: "s2|awkh1; path=/", server: nil))
        // first date two days ahead is not checked without maxlife
        #expect(exchange(p, "SRV=s1|awkh1|awvE0", now: now) == Outcome(flags: "VU", setCookie: "s1|awkh1; path=/", server: 0))
    }

    // maxlife 1h only, with domain and httponly, HAProxy at t = 1795760596.
    @Test func maxLifeOnly() {
        let p = datedCookie(maxlife: 3_600_000) { $0.domains = [".ex.com"]; $0.httponly = true; $0.nocache = false }
        let now: Int64 = 1_795_760_596
        #expect(exchange(p, nil, now: now).setCookie == "s1|awkh1|awkh1; path=/; domain=.ex.com; HttpOnly")
        // last seen passed: refreshed even without maxidle (the date is there)
        #expect(exchange(p, "SRV=s1|awkhr|awkhr", now: now) == Outcome(flags: "VU", setCookie: "s1|awkh1|awkhr; path=/; domain=.ex.com; HttpOnly", server: 0))
        // unreadable last date, readable first date: nothing to do
        #expect(exchange(p, "SRV=s1|a*khw|awkhw", now: now) == Outcome(flags: "VN", setCookie: nil, server: 0))
        // last seen two days ahead is not checked without maxidle
        #expect(exchange(p, "SRV=s1|awvE1|awkh1", now: now) == Outcome(flags: "VN", setCookie: nil, server: 0))
        #expect(exchange(p, "SRV=s1|awkh1|awkSN", now: now, balanced: 1).flags == "OI")
        // an unknown server's dates are kept: the new cookie has its first date
        #expect(exchange(p, "SRV=s9|awkhr|awkhr", now: now, balanced: 1)
                == Outcome(flags: "II", setCookie: "s2|awkh1|awkhr; path=/; domain=.ex.com; HttpOnly", server: nil))
    }

    // No maxidle/maxlife: a dated cookie is re-sent without its dates (HAProxy, t = 1795760596).
    @Test func datesWithoutMaxIdleOrMaxLife() {
        let p = datedCookie()
        let now: Int64 = 1_795_760_596
        #expect(exchange(p, "SRV=s1", now: now) == Outcome(flags: "VN", setCookie: nil, server: 0))
        #expect(exchange(p, "SRV=s1|awkh1|awkh1", now: now) == Outcome(flags: "VU", setCookie: "s1; path=/", server: 0))
        #expect(exchange(p, "SRV=s1|awkSN|awkSN", now: now) == Outcome(flags: "VU", setCookie: "s1; path=/", server: 0))
        #expect(exchange(p, "SRV=s1|awkh1", now: now) == Outcome(flags: "VN", setCookie: nil, server: 0))
        #expect(exchange(p, "SRV=s1|awk", now: now) == Outcome(flags: "VN", setCookie: nil, server: 0))
    }

    @Test func expiredCookieIsStillStripped() {
        let p = datedCookie(maxidle: 30_000)
        let req = get("Cookie: a=1; SRV=s1|awkhp; b=2")
        let rw = HeadRewrite()
        let r = p.processRequest(req.head, states: FixedServerStates(allUp: 2), rewrite: rw, wallSeconds: 1_795_760_589)
        #expect(r.server == nil && r.logChar == CookieLogChar.expired)
        #expect(req.rendered(rw).contains("Cookie: a=1; b=2\r\n"))
    }

    @Test func dateCodec() {
        // Written form: valueFormatAtFixedTimes; here the reading side.
        let chars: [UInt8] = Array("awkhw".utf8)
        chars.withUnsafeBufferPointer { #expect(CookieDate.decode($0.baseAddress!, at: 0) << 2 == 1_795_760_576) }
        let bad: [UInt8] = Array("awk=w".utf8)
        bad.withUnsafeBufferPointer { #expect(CookieDate.decode($0.baseAddress!, at: 0) == -1) }
        let top: [UInt8] = Array("/////".utf8)
        top.withUnsafeBufferPointer { #expect(CookieDate.decode($0.baseAddress!, at: 0) == (1 << 30) - 1) }
    }

    // Through the façade: the dates read on the request reach the response.
    @Test func backendDeciderCarriesTheDates() {
        var b = ProxyConfig(kind: .backend, name: "be", location: testLoc)
        b.servers = servers([1, 1], cookies: ["s1", "s2"])
        var c = CookieConfig(name: "SRV"); c.mode = .insert; c.indirect = true; c.maxidle = 30_000; c.maxlife = 3_600_000
        b.cookie = c
        let d = BackendDecider(plan: BackendPlan(backend: b))
        let states = FixedServerStates(allUp: 2)
        let req = get("Cookie: SRV=s2|awkhx|awkhx")
        let dec = d.decideRequest(head: req.head, client: .none, states: states, rewrite: HeadRewrite(), now: 0,
                                  wallSeconds: 1_795_760_589)
        #expect(dec.server == 1 && dec.cookieLogChar == CookieLogChar.valid)
        let resp = testResponse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        let rw = HeadRewrite()
        let ch = d.decideResponse(dec, response: resp.head, rewrite: rw, states: states, now: 0, wallSeconds: 1_795_760_589)
        #expect(ch == CookieLogChar.updated)
        #expect(resp.rendered(rw).contains("Set-Cookie: SRV=s2|awkh0|awkhx; path=/\r\n"))
    }
}
