// Rewrites that can fail or that change what the connection is, side by side with HAProxy
// 2.6.12: strict mode (a rewrite that does not fit the buffer answers 500), normalize-uri,
// set-src/set-dst with option forwardfor/originalto `except`.
import Foundation
import Testing

private let haproxyInstalled = HAProxyProcess.isInstalled
private let sixty = String(repeating: "1234567890", count: 6)

private func post(_ path: String, body: Int) -> RuleExchange {
    RuleExchange("POST \(path) HTTP/1.1\r\nHost: test.local\r\nContent-Length: \(body)\r\n\r\n" + String(repeating: "b", count: body))
}

@Suite(.serialized) struct RulesRewriteTests {
    /// http-rules/strict_rw_mode.vtc's situation: a 2 KiB buffer nearly full with a body leaves
    /// tune.maxrewrite for rewrites; the second 60-byte header does not fit.
    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func strictModeRequestRewrites() throws {
        let config = rulesConfig("""
        option http-buffer-request
        http-request set-header x-hdr1 \(sixty)
        http-request set-header x-hdr2 \(sixty) if { path /req2 }
        http-request strict-mode off if { path /req3 }
        http-request set-header x-hdr3 \(sixty) if { path /req3 }
        """, global: "    tune.bufsize 2048\n    tune.maxrewrite 128")
        try RuleDifferential.compare("strict-mode request", config, [
            post("/req1", body: 1900), post("/req2", body: 1900), post("/req3", body: 1900),
            .get("/req2"), post("/req2", body: 100),
        ], expectedLogs: 0)   // log lines not compared here
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func strictModeResponseRewrites() throws {
        let config = rulesConfig("", backend: """
        http-response set-header x-hdr1 \(sixty)
        http-response set-header x-hdr2 \(sixty) if { res.hdr(x-req) /req2 }
        http-response strict-mode off if { res.hdr(x-req) /req3 }
        http-response set-header x-hdr3 \(sixty) if { res.hdr(x-req) /req3 }
        """, global: "    tune.bufsize 2048\n    tune.maxrewrite 128")
        try RuleDifferential.compare("strict-mode response", config, [
            .get("/req1"), RuleExchange.get("/req2"), .get("/req3"), .get("/small2"),
        ], expectedLogs: 0, answer: { req in
            let path = req.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            let small = path.hasPrefix("/small")
            let body = String(repeating: "r", count: small ? 10 : 1900)
            return Array("HTTP/1.1 200 OK\r\nx-req: \(small ? "/req2" : path)\r\nContent-Length: \(body.count)\r\n\r\n\(body)".utf8)
        })   // log lines not compared here
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func normalizeURI() throws {
        let config = rulesConfig("""
        option accept-invalid-http-request
        http-request normalize-uri path-merge-slashes if { hdr(x-n) merge }
        http-request normalize-uri path-strip-dot if { hdr(x-n) dot }
        http-request normalize-uri path-strip-dotdot full if { hdr(x-n) dotdot-full }
        http-request normalize-uri percent-decode-unreserved strict if { hdr(x-n) decode-strict }
        http-request normalize-uri percent-to-uppercase strict if { hdr(x-n) upper-strict }
        http-request normalize-uri query-sort-by-name if { hdr(x-n) sort }
        http-request normalize-uri fragment-strip if { hdr(x-n) strip }
        http-request normalize-uri fragment-encode if { hdr(x-n) encode }
        """, global: "    expose-experimental-directives")
        let cases: [(String, String)] = [
            ("merge", "/foo//bar"), ("merge", "///foo///bar///"), ("merge", "//foo?bar=///"), ("merge", "http://test.local//a//b"),
            ("dot", "/a/./b"), ("dot", "/a/."), ("dot", "/./"), ("dot", "/.a/a./../x"), ("dot", "/?a=/./"),
            ("dotdot-full", "/foo/.."), ("dotdot-full", "/foo/bar/../"), ("dotdot-full", "/foo//../../bar/"),
            ("dotdot-full", "/a/b/c/../../d?x=/../"),
            ("dotdot-full", "/foo/../../bar/"), ("dotdot-full", "/../a"), ("dotdot-full", "/a/../../../b/.."),
            ("decode-strict", "/%61%7E"), ("decode-strict", "/%%36%36"), ("decode-strict", "/a%zz"),
            ("upper-strict", "/%aa?a=%aa%bB"), ("upper-strict", "/%aa"), ("upper-strict", "/%zz"),
            ("sort", "/?z=z&a=a"), ("sort", "/?c&b&a&z&x&y"), ("sort", "/?aaaa=&a=&aa=&aaa="), ("sort", "/?a=5&b=3&a=1&a=2&b=4"),
            ("sort", "/?"), ("sort", "/p?b&&a"),
            ("strip", "/#foo"), ("strip", "/a?b#c#d"), ("strip", "/%23foo"),
            ("encode", "/#foo/#foo"), ("encode", "/a?b#c"),
        ]
        try RuleDifferential.compare("normalize-uri",  config, cases.map { .get($0.1, ["x-n: \($0.0)"]) }
            + [RuleExchange("OPTIONS * HTTP/1.1\r\nHost: test.local\r\nx-n: dotdot-full\r\n\r\n")],
            expectedLogs: 0)   // logs not compared: a strict normalizer's 400 logs TR -1 in HAProxy, a time in ringproxy
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func aFragmentIsRefusedWithoutTheOption() throws {
        let config = rulesConfig("http-request normalize-uri fragment-strip", global: "    expose-experimental-directives")
        try RuleDifferential.compare("fragment", config, [.get("/#foo", exact: true), .get("/a")])
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func setSourceAndDestination() throws {
        let config = rulesConfig("""
        http-request set-src hdr(x-src) if { req.hdr(x-src) -m found }
        http-request set-dst hdr(x-dst) if { req.hdr(x-dst) -m found }
        http-request set-src-port hdr(x-sport) if { req.hdr(x-sport) -m found }
        http-request set-dst-port hdr(x-dport) if { req.hdr(x-dport) -m found }
        http-request set-header x-seen-src "%[src]"
        http-request set-header x-seen-dst "%[dst]"
        http-request set-header x-seen-ports "%[src_port]/%[dst_port]" if { req.hdr(x-sport) -m found } { req.hdr(x-dport) -m found }
        """, backend: """
        option forwardfor except 10.0.0.1/25
        option originalto except 10.0.0.1/25
        """)
        try RuleDifferential.compare("set-src/set-dst", config, [
            .get("/", ["x-src: 10.0.0.1", "x-dst: 10.0.0.2"]),
            .get("/", ["x-src: 10.0.0.128", "x-dst: 10.0.0.129"]),
            .get("/", ["x-src: 2001:db8::1", "x-dst: ::2"]),
            .get("/", ["x-src: 192.0.2.7", "x-dst: 192.0.2.8", "x-sport: 1234", "x-dport: 8080"]),
            .get("/", ["x-src: 2001:db8::7", "x-dst: 2001:db8::8", "x-sport: 99", "x-dport: 443"]),
            .get("/", ["x-src: not-an-address", "x-dst: 10.0.0.5"]),
        ], expectedLogs: 0)   // the log's %ci stays the connection's in ringproxy (README)
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func originalToAndForwardForWithHeaderNames() throws {
        let config = rulesConfig("""
        option forwardfor header X-Client
        option originalto header X-Dest except 192.0.2.0/24
        http-request set-dst hdr(x-dst) if { req.hdr(x-dst) -m found }
        """)
        try RuleDifferential.compare("originalto", config, [
            .get("/"), .get("/", ["x-dst: 192.0.2.1"]), .get("/", ["x-dst: 198.51.100.1"]),
        ], expectedLogs: 0)
    }

    /// wait-for-body: rules see the whole body (a deny on its content); a body that does not
    /// come within `time` is a 408; `at-least` lets a partial body through.
    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func waitForBody() throws {
        let config = rulesConfig("""
        http-request wait-for-body time 400ms at-least 64
        http-request deny if { req.body -m sub secret }
        http-request set-header x-body-len "%[req.body_len]"
        """)
        let head = "POST /p HTTP/1.1\r\nHost: test.local\r\nContent-Length: 100\r\n\r\n"
        // A deny after the body was buffered closes the connection in ringproxy (README).
        try RuleDifferential.compare("wait-for-body", config, [
            post("/a", body: 30),
            RuleExchange("POST /b HTTP/1.1\r\nHost: test.local\r\nContent-Length: 20\r\n\r\n0123456789secret6789", closeMayDiffer: true),
        ], expectedLogs: 2)
        // The body that does not come: 408 after `time` (HAProxy's page has its headers in
        // another order: ringproxy's engine sends its static 408).
        let started = ContinuousClock.now
        let ours = try RuleDifferential.run(config, [RuleExchange(head + String(repeating: "x", count: 10))], haproxy: false, expectedLogs: 0)
        #expect(ours.answers.first?.hasPrefix("HTTP/1.1 408 ") == true, "\(ours.answers)")
        #expect(ContinuousClock.now - started >= .milliseconds(350))
    }
}
