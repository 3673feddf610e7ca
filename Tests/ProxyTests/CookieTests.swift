import Testing
@testable import Proxy

/// COOKIE_srv of the seed configuration: `cookie SESSION_COOKIE insert indirect nocache`,
/// servers with cookies 11 and 12.
func seedCookie(_ configure: (inout CookieConfig) -> Void = { _ in }) -> CookiePersistence {
    var c = CookieConfig(name: "SESSION_COOKIE")
    c.mode = .insert; c.indirect = true; c.nocache = true
    configure(&c)
    return CookiePersistence(config: c, servers: servers([1, 1], cookies: ["11", "12"]))
}

@Suite struct CookieRequestTests {
    /// Runs the request side on `Cookie` lines and returns (server, log char, head as forwarded).
    func run(_ p: CookiePersistence, _ lines: [String], states: FixedServerStates = FixedServerStates(allUp: 2)) -> (Int?, Character, String) {
        let t = testRequest("GET / HTTP/1.1\r\nHost: cookie.9ai9.net\r\n" + lines.map { $0 + "\r\n" }.joined() + "Accept: */*\r\n\r\n")
        let rw = HeadRewrite()
        let r = p.processRequest(t.head, states: states, rewrite: rw)
        let out = t.rendered(rw)
        let body = out.replacingOccurrences(of: "GET / HTTP/1.1\r\nHost: cookie.9ai9.net\r\n", with: "")
            .replacingOccurrences(of: "Accept: */*\r\n\r\n", with: "")
        return (r.server, Character(UnicodeScalar(r.logChar)), body)
    }

    // Every row of the §5.1 table.
    @Test(arguments: [
        ("Cookie: SESSION_COOKIE=12; a=1; b=2", "Cookie: a=1; b=2\r\n"),
        ("Cookie: a=1; SESSION_COOKIE=12; b=2", "Cookie: a=1; b=2\r\n"),
        ("Cookie: a=1; b=2; SESSION_COOKIE=12", "Cookie: a=1; b=2\r\n"),
        ("Cookie: SESSION_COOKIE=12", ""),
        ("Cookie: a=1 ;  SESSION_COOKIE = 12 ; b=2", "Cookie: a=1; b=2\r\n"),
        ("Cookie: $Version=1; SESSION_COOKIE=12; $Path=/; a=1", "Cookie: $Version=1; a=1\r\n"),
        ("Cookie: a=1, SESSION_COOKIE=12", "Cookie: a=1\r\n"),
        ("Cookie: SESSION_COOKIE=99; a=1", "Cookie: a=1\r\n"),
    ])
    func strippingTable(_ sent: String, _ received: String) {
        let (_, _, out) = run(seedCookie(), [sent])
        #expect(out == received)
    }

    @Test func twoCookieHeaders() {
        let (s, c, out) = run(seedCookie(), ["Cookie: a=1", "Cookie: SESSION_COOKIE=12"])
        #expect(out == "Cookie: a=1\r\n")
        #expect(s == 1 && c == "V")
    }

    @Test func selectionAndLogChars() {
        let p = seedCookie()
        #expect(run(p, []).0 == nil && run(p, []).1 == "N")
        #expect(run(p, ["Cookie: SESSION_COOKIE=12"]).0 == 1)
        #expect(run(p, ["Cookie: SESSION_COOKIE=11; x=y"]).0 == 0)
        #expect(run(p, ["Cookie: SESSION_COOKIE=99"]).1 == "I")
        #expect(run(p, ["Cookie: SESSION_COOKIE="]).1 == "I")          // empty value never matches
        #expect(run(p, ["Cookie: SESSION_COOKIE=\"12\""]).1 == "I")    // quoted value is literal
        let down = run(p, ["Cookie: SESSION_COOKIE=12"], states: FixedServerStates([true, false]))
        #expect(down.0 == nil && down.1 == "D")
        #expect(down.2 == "")                                          // removed whatever its validity
        // Wrong-case or longer names are not ours and are forwarded untouched.
        let foreign = run(p, ["Cookie: session_cookie=12; SESSION_COOKIEX=12"])
        #expect(foreign.0 == nil && foreign.1 == "N" && foreign.2 == "Cookie: session_cookie=12; SESSION_COOKIEX=12\r\n")
        // First occurrence that names a usable server wins (2.6).
        #expect(run(p, ["Cookie: SESSION_COOKIE=12; SESSION_COOKIE=11"]).0 == 1)
        #expect(run(p, ["Cookie: SESSION_COOKIE=99; SESSION_COOKIE=11"]).0 == 0)
        // Two servers sharing a value: the first usable one.
        let shared = CookiePersistence(config: CookieConfig(name: "S"), servers: servers([1, 1, 1], cookies: ["x", "y", "x"]))
        #expect(run(shared, ["Cookie: S=x"], states: FixedServerStates([false, true, true])).0 == 2)
    }

    @Test func passiveModeNeverEdits() {
        let p = CookiePersistence(config: CookieConfig(name: "SERVERID"), servers: servers([1, 1], cookies: ["2", "1"]))
        let (s, c, out) = run(p, ["Cookie: SERVERID=1; a = b"], states: FixedServerStates(allUp: 2))
        #expect(s == 1 && c == "V" && out == "Cookie: SERVERID=1; a = b\r\n")
        #expect(run(p, ["Cookie: SERVERID=9"]).0 == nil)
    }

    @Test func insertWithoutIndirectKeepsTheCookie() {
        let p = seedCookie { $0.indirect = false }
        #expect(run(p, ["Cookie: SESSION_COOKIE=12; a=1"]).2 == "Cookie: SESSION_COOKIE=12; a=1\r\n")
    }

    @Test func prefixModeStripsTheServerPart() {
        var c = CookieConfig(name: "JSESSIONID"); c.mode = .prefix
        let p = CookiePersistence(config: c, servers: servers([1, 1], cookies: ["s1", "s2"]))
        let (s, ch, out) = run(p, ["Cookie: a=1; JSESSIONID=s2~abc; b=2"])
        #expect(s == 1 && ch == "V")
        #expect(out == "Cookie: a=1; JSESSIONID=abc; b=2\r\n")
    }
}

@Suite struct CookieResponseTests {
    func run(_ p: CookiePersistence, _ ctx: CookieResponseContext, _ head: String) -> (Character, String) {
        let t = testResponse(head)
        let rw = HeadRewrite()
        let c = p.processResponse(t.head, ctx, rewrite: rw)
        return (Character(UnicodeScalar(c)), t.rendered(rw))
    }

    let ok = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 3\r\n\r\n"

    @Test func insertsAfterTheServerHeaders() {
        let (c, out) = run(seedCookie(), CookieResponseContext(server: 0, direct: false, requestIsPost: false), ok)
        #expect(c == "I")
        #expect(out == "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 3\r\nSet-Cookie: SESSION_COOKIE=11; path=/\r\nCache-control: private\r\n\r\n")
    }

    @Test func directHitAddsNothingAndDeletesTheServersCookie() {
        let head = "HTTP/1.1 200 OK\r\nSet-Cookie: SESSION_COOKIE=zz; path=/\r\nSet-Cookie: other=1\r\n\r\n"
        let (c, out) = run(seedCookie(), CookieResponseContext(server: 1, direct: true, requestIsPost: false), head)
        #expect(c == "D")
        #expect(out == "HTTP/1.1 200 OK\r\nSet-Cookie: other=1\r\n\r\n")
        let (c2, out2) = run(seedCookie(), CookieResponseContext(server: 1, direct: true, requestIsPost: false), ok)
        #expect(c2 == "N" && out2 == ok)
    }

    @Test func serversOwnCookieReplacedWhenLoadBalanced() {
        let head = "HTTP/1.1 200 OK\r\nSet-Cookie: SESSION_COOKIE=zz; path=/\r\n\r\n"
        let (c, out) = run(seedCookie(), CookieResponseContext(server: 1, direct: false, requestIsPost: false), head)
        #expect(c == "I")
        #expect(out == "HTTP/1.1 200 OK\r\nSet-Cookie: SESSION_COOKIE=12; path=/\r\nCache-control: private\r\n\r\n")
    }

    @Test func preserveKeepsTheServersCookieAndDoesNotInsert() {
        let head = "HTTP/1.1 200 OK\r\nSet-Cookie: SESSION_COOKIE=zz; path=/\r\n\r\n"
        let (c, out) = run(seedCookie { $0.preserve = true }, CookieResponseContext(server: 1, direct: false, requestIsPost: false), head)
        #expect(c == "P" && out == head)
    }

    @Test func attributesAndExpiringForm() {
        let p = seedCookie { $0.nocache = false; $0.domains = [".a.com", ".b.com"]; $0.httponly = true; $0.secure = true; $0.attrs = ["SameSite=None"] }
        let (_, out) = run(p, CookieResponseContext(server: 0, direct: false, requestIsPost: false), ok)
        #expect(out.contains("\r\nSet-Cookie: SESSION_COOKIE=11; path=/; domain=.a.com; domain=.b.com; HttpOnly; Secure; SameSite=None\r\n\r\n"))
        var c = CookieConfig(name: "SC"); c.mode = .insert
        let noValue = CookiePersistence(config: c, servers: servers([1], cookies: [nil]))
        let (_, out2) = run(noValue, CookieResponseContext(server: 0, direct: false, requestIsPost: false), ok)
        #expect(out2.hasSuffix("Set-Cookie: SC=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/\r\n\r\n"))
    }

    @Test func postonly() {
        let p = seedCookie { $0.postonly = true }
        #expect(run(p, CookieResponseContext(server: 0, direct: false, requestIsPost: false), ok).0 == "N")
        let (c, out) = run(p, CookieResponseContext(server: 0, direct: false, requestIsPost: true), ok)
        #expect(c == "I" && out.contains("Set-Cookie: SESSION_COOKIE=11; path=/\r\n\r\n"))   // POST: no Cache-control
    }

    @Test func rewriteAndPrefixResponses() {
        var c = CookieConfig(name: "SERVERID"); c.mode = .rewrite
        let rw = CookiePersistence(config: c, servers: servers([1, 1], cookies: ["s1", "s2"]))
        let head = "HTTP/1.1 200 OK\r\nSet-Cookie: SERVERID=xxx; path=/\r\n\r\n"
        let (ch, out) = run(rw, CookieResponseContext(server: 1, direct: false, requestIsPost: false), head)
        #expect(ch == "R" && out == "HTTP/1.1 200 OK\r\nSet-Cookie: SERVERID=s2; path=/\r\n\r\n")
        c.mode = .prefix
        let px = CookiePersistence(config: c, servers: servers([1, 1], cookies: ["s1", "s2"]))
        let (ch2, out2) = run(px, CookieResponseContext(server: 0, direct: false, requestIsPost: false), head)
        #expect(ch2 == "R" && out2 == "HTTP/1.1 200 OK\r\nSet-Cookie: SERVERID=s1~xxx; path=/\r\n\r\n")
        // Passive: the server's cookie is left as is.
        let pv = CookiePersistence(config: CookieConfig(name: "SERVERID"), servers: servers([1, 1], cookies: ["s1", "s2"]))
        #expect(run(pv, CookieResponseContext(server: 0, direct: false, requestIsPost: false), head) == ("P", head))
    }

    // The nocache matrix: status × method × Cache-Control / Pragma.
    @Test(arguments: [
        (200, false, "", true),
        (203, false, "", true), (206, false, "", true), (300, false, "", true), (301, false, "", true), (410, false, "", true),
        (302, false, "", false), (404, false, "", false), (204, false, "", false),
        (200, true, "", false),                                             // POST
        (200, false, "Cache-Control: public\r\n", true),
        (200, false, "Cache-Control: private\r\n", false),
        (200, false, "Cache-Control: no-cache\r\n", false),
        (200, false, "Cache-Control: NO-STORE\r\n", false),
        (200, false, "Cache-Control: public, max-age=60, no-store\r\n", false),   // every token, not only the first
        (200, false, "Cache-Control: public\r\nCache-Control: private\r\n", false),
        (200, false, "Cache-Control: no-cache=\"set-cookie\"\r\n", false),
        (200, false, "Pragma: no-cache\r\n", false),
        (200, false, "Cache-Control: max-age=0\r\n", true),
    ])
    func nocacheMatrix(_ status: Int, _ post: Bool, _ extra: String, _ addsPrivate: Bool) {
        let head = "HTTP/1.1 \(status) X\r\n" + extra + "\r\n"
        let (c, out) = run(seedCookie(), CookieResponseContext(server: 0, direct: false, requestIsPost: post), head)
        #expect(c == "I")
        #expect(out.contains("Cache-control: private\r\n") == addsPrivate)
    }
}

/// What HAProxy 2.6.12 forwarded for these Cookie lines (`cookie SESSION_COOKIE insert indirect`,
/// observed on loopback on this machine; header names are lower-cased by 2.6, so only the
/// values are compared).
@Suite struct CookieDifferentialTests {
    @Test(arguments: [
        (["Cookie: SESSION_COOKIE=12; a=1; b=2"], ["a=1; b=2"]),
        (["Cookie: a=1; SESSION_COOKIE=12; b=2"], ["a=1; b=2"]),
        (["Cookie: a=1; b=2; SESSION_COOKIE=12"], ["a=1; b=2"]),
        (["Cookie: SESSION_COOKIE=12"], []),
        (["Cookie: a=1", "Cookie: SESSION_COOKIE=12"], ["a=1"]),
        (["Cookie: a=1 ;  SESSION_COOKIE = 12 ; b=2"], ["a=1; b=2"]),
        (["Cookie: $Version=1; SESSION_COOKIE=12; $Path=/; a=1"], ["$Version=1; a=1"]),
        (["Cookie: a=1, SESSION_COOKIE=12"], ["a=1"]),
        (["Cookie: SESSION_COOKIE=99; a=1"], ["a=1"]),
        (["Cookie: a=1;SESSION_COOKIE=12;b=2"], ["a=1; b=2"]),
        (["Cookie: a=1;SESSION_COOKIE=12"], ["a=1"]),
        (["Cookie: SESSION_COOKIE=12;a=1"], ["a=1"]),
        (["Cookie: SESSION_COOKIE=11; SESSION_COOKIE=12; a=1"], ["a=1"]),
        (["Cookie: a=1; SESSION_COOKIE=12; SESSION_COOKIE=11"], ["a=1"]),
        (["Cookie: x; SESSION_COOKIE=12; y"], ["x; y"]),
        (["Cookie: SESSION_COOKIE=12; x"], ["x"]),
        (["Cookie: a = 1; b=2"], ["a=1; b=2"]),
        (["Cookie: a=1,b=2, SESSION_COOKIE=11 ,c=3"], ["a=1,b=2, c=3"]),
        (["Cookie: SESSION_COOKIE=12; $Path=/"], []),
        (["Cookie: a=\"x;y\"; SESSION_COOKIE=12"], ["a=\"x;y\""]),
        (["Cookie: SESSION_COOKIE=12 ; ; a=1"], ["; a=1"]),
        (["Cookie: a=1; SESSION_COOKIE=12;"], ["a=1; "]),
        (["Cookie: a=1;  b=2 ;SESSION_COOKIE=11;c=3"], ["a=1;  b=2; c=3"]),
    ] as [([String], [String])])
    func sameAsHAProxy26(_ sent: [String], _ forwardedValues: [String]) {
        let t = testRequest("GET / HTTP/1.1\r\nHost: x\r\n" + sent.map { $0 + "\r\n" }.joined() + "\r\n")
        let rw = HeadRewrite()
        _ = seedCookie().processRequest(t.head, states: FixedServerStates(allUp: 2), rewrite: rw)
        let values = t.rendered(rw).components(separatedBy: "\r\n").filter { $0.hasPrefix("Cookie:") }.map { String($0.dropFirst(8)) }
        #expect(values == forwardedValues)
    }
}
