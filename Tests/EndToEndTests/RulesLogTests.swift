// Header captures in the httplog line and log-format lines, side by side with HAProxy 2.6.12:
// the same configuration and requests through both, the syslog lines compared after
// RuleDifferential's normalisation (dates, client ports, timer values, byte counts).
import Foundation
import Testing

private let haproxyInstalled = HAProxyProcess.isInstalled

@Suite(.serialized) struct RulesLogTests {
    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func headerCapturesInTheHTTPLogLine() throws {
        let config = rulesConfig("""
        capture request header Host len 8
        capture request header X-Long len 5
        capture request header User-Agent len 64
        capture response header X-Srv len 8
        capture response header Content-Length len 3
        """)
        try RuleDifferential.compare("captures", config, [
            .get("/a", ["X-Long: 0123456789", "User-Agent: a \"quoted\" {b|c} #d"]),
            .get("/b"),
            .get("/c", ["X-Long: one", "X-Long: two"]),
        ], answer: { _ in Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Srv: srv-one-two\r\n\r\nok".utf8) })
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func responseCapturesOnlyAndNoCaptureLeaveNoGap() throws {
        // One side captured, the other empty: HAProxy writes one block and one space.
        let config = rulesConfig("""
        capture response header X-Srv len 8
        """)
        try RuleDifferential.compare("response capture only", config, [.get("/a"), .get("/b", ["X-Srv: ignored"])])
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func logFormatWithCommonVariables() throws {
        let config = rulesConfig("""
        capture request header Host len 20
        http-request set-var(txn.who) str(alice) if { path_beg /a }
        log-format "%ci:%cp [%tr] %ft %b/%s %ST %tsc %hr %hs %HM %HU %HP %HPO %HQ %HV %{+Q}r rt=%rt v=%[var(txn.who)] c=%[capture.req.hdr(0)] %{+Q}[var(txn.none)] end"
        """)
        try RuleDifferential.compare("log-format", config, [
            .get("/a/b?x=1"),
            .get("/plain"),
            RuleExchange("GET http://abs.test/q?z HTTP/1.1\r\nHost: abs.test\r\n\r\n"),
            .get("/deny", ["X-Deny: 1"]),
        ])
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func logFormatAsTheDefaultHTTPLogAndSeparators() throws {
        // HAProxy's own httplog format written out; empty %hr/%hs add no space.
        let config = rulesConfig("""
        log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r"
        http-request deny if { path /deny }
        """)
        try RuleDifferential.compare("httplog as log-format", config, [.get("/ok"), .get("/deny")])
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func theLastLogFormatOfAProxyWins() throws {
        // `option httplog` after a log-format replaces it (one format per proxy in HAProxy).
        let config = rulesConfig("""
        log-format "custom %ST %HP"
        option httplog
        """)
        try RuleDifferential.compare("httplog after log-format", config, [.get("/x")])
        let custom = rulesConfig("""
        option httplog
        log-format "custom %ST %HP"
        """)
        try RuleDifferential.compare("log-format after httplog", custom, [.get("/y")])
    }
}
