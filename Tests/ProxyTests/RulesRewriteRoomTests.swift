// rules3's unit checks: HAProxy's rewrite room (strict mode), the URI normalizers on
// HAProxy's own reg-test cases, set-src/set-dst, wait-for-body and the keywords' errors.
import Foundation
import Testing
@testable import Proxy

@Suite struct RulesRewriteRoomTests {
    private func normalized(_ n: String, _ uri: String) throws -> (RuleOutcome, String) {
        var p = try RulesProbe(frontendConfig("http-request normalize-uri \(n)", extra: "global\n    expose-experimental-directives"))
        let o = p.request("GET \(uri) HTTP/1.1\r\nHost: a\r\n\r\n")
        return (o, String(decoding: p.context.request.uriBytes, as: UTF8.self))
    }

    @Test func normalizersFollowHAProxysRegTest() throws {
        let cases: [(String, String, String)] = [
            ("path-merge-slashes", "///foo///bar///", "/foo/bar/"), ("path-merge-slashes", "//foo?bar=///", "/foo?bar=///"),
            ("path-merge-slashes", "*", "*"),
            ("path-strip-dot", "/a/./a", "/a/a"), ("path-strip-dot", "/a/.", "/a/"), ("path-strip-dot", "/./", "/"),
            ("path-strip-dot", "/.a", "/.a"), ("path-strip-dot", "/a/../", "/a/../"), ("path-strip-dot", "/?a=/./", "/?a=/./"),
            ("path-strip-dotdot", "/foo/..", "/"), ("path-strip-dotdot", "/foo/bar/../", "/foo/"),
            ("path-strip-dotdot", "/foo/../../bar/", "/../bar/"), ("path-strip-dotdot full", "/foo/../../bar/", "/bar/"),
            ("path-strip-dotdot", "/foo//../../bar/", "/bar/"), ("path-strip-dotdot", "/foo/../?bar=/foo/../", "/?bar=/foo/../"),
            ("query-sort-by-name", "/?a=5&b=3&a=1&a=2&b=4", "/?a=5&a=1&a=2&b=3&b=4"),
            ("query-sort-by-name", "/?aaaa=&a=&aa=&aaa=", "/?a=&aa=&aaa=&aaaa="), ("query-sort-by-name", "/?", "/?"),
            ("percent-to-uppercase", "/%aa?a=%aa", "/%AA?a=%AA"), ("percent-to-uppercase", "/%zz?a=%zz", "/%zz?a=%zz"),
            ("percent-decode-unreserved", "/%61?%61=%61", "/a?a=a"), ("percent-decode-unreserved", "/%3F?foo=bar", "/%3F?foo=bar"),
            ("percent-decode-unreserved", "/%%36%36", "/%66"),
            ("fragment-encode", "/#foo/#foo", "/%23foo/%23foo"), ("fragment-strip", "/#foo", "/"),
        ]
        for (n, uri, want) in cases {
            var p = try RulesProbe(frontendConfig("http-request normalize-uri \(n)", extra: "global\n    expose-experimental-directives"))
            p.head.acceptsFragment = true
            p.request("GET \(uri) HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(String(decoding: p.context.request.uriBytes, as: UTF8.self) == want, "\(n) \(uri)")
        }
        for (n, uri) in [("percent-to-uppercase strict", "/%zz"), ("percent-decode-unreserved strict", "/%%36%36")] {
            let (o, _) = try normalized(n, uri)
            guard case .reply(.badRequest) = o else { Issue.record("\(n) \(uri): \(o)"); continue }
        }
    }

    @Test func normalizeURIIsExperimental() {
        func errors(_ text: String) -> [String] {
            do { _ = try ConfigParser.parse(text: text, file: "t.cfg"); return [] } catch { return error.errors.map(\.description) }
        }
        #expect(errors(frontendConfig("http-request normalize-uri path-merge-slashes")).first?
            .contains("'normalize-uri' action is experimental, must be allowed via a global 'expose-experimental-directives'") == true)
        #expect(errors(frontendConfig("http-request normalize-uri bogus", extra: "global\n    expose-experimental-directives")).first?
            .contains("unknown normalizer 'bogus'") == true)
        #expect(errors(frontendConfig("http-request wait-for-body time 1s if { path /x }")).isEmpty)
        #expect(errors(frontendConfig("http-response wait-for-body time 1s at-least 1k if { status eq 200 }\nhttp-response set-header x-l %[res.body_len]")).isEmpty)
        #expect(errors(frontendConfig("http-after-response wait-for-body time 1s")).isEmpty == false)
        #expect(errors(frontendConfig("http-request set-header x %[res.body_len]")).isEmpty == false)
        #expect(errors(frontendConfig("http-request wait-for-body at-least 10")).first?.contains("expects 'time <time>'") == true)
        #expect(errors(frontendConfig("http-request set-src hdr(x)\nhttp-request wait-for-body time 2s at-least 1k")).isEmpty)
    }

    /// A rewrite that would not fit HAProxy's buffer fails; strict mode (the default) makes it
    /// a 500, `strict-mode off` skips it; a deleted header gives its room back.
    @Test func rewriteRoomFollowsTheBuffer() throws {
        let sixty = String(repeating: "x", count: 60)
        var p = try RulesProbe(frontendConfig("""
            http-request set-header x-a \(sixty)
            http-request set-header x-b \(sixty) if { path /two }
            http-request strict-mode off if { path /soft }
            http-request set-header x-c \(sixty) if { path /soft }
            """, extra: "global\n    tune.bufsize 2048\n    tune.maxrewrite 128"))
        func run(_ path: String, body: Int) -> RuleOutcome {
            let raw = "POST \(path) HTTP/1.1\r\nHost: a\r\nContent-Length: \(body)\r\n\r\n" + String(repeating: "b", count: body)
            p.bytes = Array(raw.utf8)
            let h = p.head, ctx = p.context
            return p.bytes.withUnsafeBytes { b in
                guard case .complete = RequestParser.parse(b, into: h) else { return .reply(.badRequest) }
                ctx.beginRequest(h, client: .v4(1))
                ctx.request.limitRewrites(headHTX: h.htxBytes, bufferedBody: h.bodyBytesHeld(received: b.count), HeadLimits(bufferSize: 2048, maxRewrite: 128))
                p.slot.beginTransaction(newConnection: true, refs: p.compiled.tables.variables, layout: p.compiled.captures[0], frontend: 0)
                ctx.slot = p.slot
                return ctx.run(p.compiled.proxies[0]!.httpRequest, of: p.compiled.proxies[0]!)
            }
        }
        if case .reply = run("/one", body: 1900) { Issue.record("one header fits") }
        guard case .reply(.internalError) = run("/two", body: 1900) else { Issue.record("the second header does not fit"); return }
        if case .reply = run("/two", body: 100) { Issue.record("a small body leaves room") }
        if case .reply = run("/soft", body: 1900) { Issue.record("strict-mode off") }
        #expect(p.header("x-c") == nil && p.header("x-a") == sixty)
    }

    @Test func setSourceKeepsThePortInTheSameFamily() throws {
        var p = try RulesProbe(frontendConfig("""
            http-request set-src hdr(x-src)
            http-request set-src-port hdr(x-port) if { req.hdr(x-port) -m found }
            http-request set-header x-seen "%[src]:%[src_port]"
            """))
        p.context.clientPort = 4321
        p.request("GET / HTTP/1.1\r\nHost: a\r\nx-src: 10.1.2.3\r\n\r\n")
        #expect(p.context.addressesOverridden)
        #expect(p.context.client == .v4(0x0A01_0203))
        p.request("GET / HTTP/1.1\r\nHost: a\r\nx-src: 2001:db8::1\r\nx-port: 99\r\n\r\n")
        #expect(p.header("x-seen") == "2001:db8::1:99")
        p.request("GET / HTTP/1.1\r\nHost: a\r\nx-src: nonsense\r\n\r\n")
        #expect(p.context.client == .v4(0x7F00_0001))
    }
}
