// `option checkcache` side by side with HAProxy 2.6.12 (RuleDifferential: same configuration,
// same requests): which responses are blocked, the bytes the client gets instead (HAProxy's
// error page of the server's status), the log lines (PH, Tr -1, the server's status) and the
// alert on the backend's loggers. `option http_proxy` is refused by both.
import Foundation
import Testing

private let haproxyInstalled = HAProxyProcess.isInstalled

@Suite(.serialized) struct CheckCacheAgreementTests {
    /// The server's answer, chosen by the request's path.
    static let answer: @Sendable (String) -> [UInt8] = { request in
        let path = request.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let (status, headers): (String, [String]) = switch path {
        case "/maxage": ("200 OK", ["Cache-Control: max-age=60", "Set-Cookie: a=b"])
        case "/etag": ("200 OK", ["ETag: \"x\"", "Set-Cookie: a=b"])
        case "/public": ("200 OK", ["Cache-Control: public", "Set-Cookie: a=b"])
        case "/plain": ("200 OK", ["Set-Cookie: a=b"])
        case "/private": ("200 OK", ["Cache-Control: private, max-age=60", "Set-Cookie: a=b"])
        case "/nocookie": ("200 OK", ["Cache-Control: max-age=60"])
        case "/cookie2": ("200 OK", ["Cache-Control: max-age=60", "Set-Cookie2: a=b"])
        case "/ncsc": ("200 OK", ["Cache-Control: max-age=60, no-cache=\"set-cookie\"", "Set-Cookie: a=b"])
        case "/pragma": ("200 OK", ["Cache-Control: max-age=60", "Pragma: no-cache", "Set-Cookie: a=b"])
        case "/s404": ("404 Not Found", ["Cache-Control: max-age=60", "Set-Cookie: a=b"])
        case "/s301": ("301 Moved", ["Cache-Control: max-age=60", "Set-Cookie: a=b", "Location: /x"])
        case "/s302": ("302 Found", ["Cache-Control: max-age=60", "Set-Cookie: a=b", "Location: /x"])
        case "/s302public": ("302 Found", ["Cache-Control: public, max-age=60", "Set-Cookie: a=b", "Location: /x"])
        case "/s500": ("500 Oops", ["Cache-Control: max-age=60", "Set-Cookie: a=b"])
        case "/s501": ("501 NI", ["Cache-Control: max-age=60", "Set-Cookie: a=b"])
        default: ("200 OK", [])
        }
        return Array(("HTTP/1.1 \(status)\r\n" + headers.map { $0 + "\r\n" }.joined() + "Content-Length: 2\r\n\r\nok").utf8)
    }

    static let config = """
    global
        log @LOG@ local0
    defaults
        mode http
        log global
        option httplog
        timeout connect 2s
        timeout client 5s
        timeout server 5s
    frontend fe
        bind 127.0.0.1:@FRONT@
        default_backend be
    backend be
        option checkcache
        server s1 @BACK@
    """

    /// A blocked answer is the proxy's own (compared byte for byte); ringproxy closes the
    /// connection after a reply replacing a server's response (README).
    static func blocked(_ method: String, _ path: String, _ extra: String = "") -> RuleExchange {
        RuleExchange("\(method) \(path) HTTP/1.1\r\nHost: test.local\r\n\(extra)\r\n", exact: true, closeMayDiffer: true)
    }
    static func passed(_ method: String, _ path: String, _ extra: String = "") -> RuleExchange {
        RuleExchange("\(method) \(path) HTTP/1.1\r\nHost: test.local\r\n\(extra)\r\n")
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func blocksAsHAProxy() throws {
        let exchanges: [RuleExchange] = [
            Self.blocked("GET", "/maxage"), Self.blocked("GET", "/etag"), Self.passed("GET", "/public"),
            Self.passed("GET", "/plain"), Self.passed("GET", "/private"), Self.passed("GET", "/nocookie"),
            Self.blocked("GET", "/cookie2"), Self.passed("GET", "/ncsc"), Self.passed("GET", "/pragma"),
            Self.blocked("GET", "/s404"), Self.blocked("GET", "/s301"), Self.passed("GET", "/s302"),
            Self.blocked("GET", "/s302public"), Self.passed("GET", "/s500"), Self.blocked("GET", "/s501"),
            Self.passed("POST", "/maxage", "Content-Length: 0\r\n"), Self.blocked("POST", "/s302public", "Content-Length: 0\r\n"),
            Self.blocked("GET", "/maxage", "Authorization: Basic dTpw\r\nCache-Control: no-store\r\n"),
            Self.blocked("OPTIONS", "/maxage"),         // HEAD: RawHTTP would wait for the page's body
        ]
        let blockedCount = exchanges.filter(\.exact).count
        try RuleDifferential.compare("checkcache", Self.config, exchanges,
                                     expectedLogs: exchanges.count + blockedCount, answer: Self.answer)
        // It can fail: what ringproxy answered is checked on its own too.
        let ours = try RuleDifferential.run(Self.config, exchanges, haproxy: false,
                                            expectedLogs: exchanges.count + blockedCount, answer: Self.answer)
        #expect(ours.exactAnswers[0].hasPrefix("HTTP/1.1 200 OK\r\n") && ours.exactAnswers[0].contains("Service ready."))
        #expect(ours.logs.filter { $0.contains("PH--") }.count == blockedCount)
        #expect(ours.logs.filter { $0 == "Blocking cacheable cookie in response from instance be, server s1." }.count == blockedCount)
    }

    @Test func ringproxyAloneBlocks() throws {
        let ours = try RuleDifferential.run(Self.config, [Self.blocked("GET", "/maxage"), Self.passed("GET", "/plain")],
                                            haproxy: false, expectedLogs: 3, answer: Self.answer)
        #expect(ours.exactAnswers[0].contains("Service ready."))
        #expect(ours.answers[1].contains("set-cookie: a=b"))
        #expect(ours.logs.contains { $0.contains("\"GET /maxage HTTP/1.1\"") && $0.contains("PH--") && $0.contains(" N/N/N/-1/N 200 B ") })
    }

    @Test func httpProxyIsRefusedAsByHAProxy() throws {
        for option in ["option http_proxy", "no option http_proxy"] {
            let cfg = "defaults\n    mode http\nbackend px\n    \(option)\n"
            let r = try ProxyProcess.run(["-c", "-f", ProxyProcess.writeConfig(cfg)])
            #expect(r.status != 0)
            #expect(r.stderr.contains("option 'http_proxy' is not supported any more since HAProxy 2.5."), "\(r.stderr)")
        }
    }
}
