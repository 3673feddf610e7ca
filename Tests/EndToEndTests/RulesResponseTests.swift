// http-response and http-after-response rules side by side with HAProxy 2.6.12.
import Foundation
import Testing

private let haproxyInstalled = HAProxyProcess.isInstalled

extension RuleExchange {
    /// A GET answered by an http-response rule's reply.
    static func responseReply(_ path: String) -> RuleExchange {
        var e = RuleExchange.get(path, exact: true)
        e.closeMayDiffer = true
        return e
    }
}

@Suite(.serialized) struct RulesResponseTests {
    /// The backend answers with the status and headers the path asks for.
    static let answer: @Sendable (String) -> [UInt8] = { head in
        let line = head.split(separator: "\r\n").first ?? ""
        let path = line.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        var status = "200 OK"
        if path.contains("s201") { status = "201 Created" }
        if path.contains("s500") { status = "500 Internal Server Error" }
        let body = "body of \(path)"
        return Array("HTTP/1.1 \(status)\r\nContent-Length: \(body.utf8.count)\r\nX-Srv: a\r\nX-Srv: b\r\nX-List: one, two ,three\r\nSet-Cookie: SID=abc; path=/\r\nX-Remove: r\r\n\r\n\(body)".utf8)
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func responseActions() throws {
        let config = rulesConfig("""
        http-response set-header X-Fe-Set "%[status] %[res.hdr(x-srv)] %[res.hdr_cnt(x-srv)] %[res.cook(SID)]"
        http-response add-header X-Fe-Add "%[var(txn.seen)]"
        """, backend: """
        http-request set-var(txn.seen) path
        http-response set-status 299 reason "Fine Thanks" if { status 201 }
        http-response set-status 404 if { var(txn.seen) -m beg /nf }
        http-response del-header X-Remove
        http-response replace-header X-Srv ^(.)$ srv-\\1
        http-response replace-value X-List ^t(.*)$ T\\1
        http-response deny if { var(txn.seen) -m beg /deny }
        http-response deny status 503 content-type text/plain string "denied" if { var(txn.seen) -m beg /d503 }
        http-response return status 200 content-type text/plain lf-string "replaced %[status]" if { var(txn.seen) -m beg /ret }
        http-response redirect location /elsewhere if { var(txn.seen) -m beg /redir }
        http-response allow if { var(txn.seen) -m beg /allow }
        http-response set-header X-Not-After-Allow yes
        """)
        try RuleDifferential.compare("http-response", config, [
            .get("/plain"), .get("/s201"), .get("/nf"), .responseReply("/deny"), .responseReply("/d503"),
            .responseReply("/ret"), .responseReply("/redir"), .get("/allow"), .get("/s500"),
        ], answer: Self.answer)
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func afterResponseOnEveryAnswer() throws {
        let config = rulesConfig("""
        http-request deny if { path /deny }
        http-request redirect location / if { path /redir }
        http-request return status 200 content-type text/plain string hi if { path /ret }
        http-after-response set-header X-After "%[status]"
        http-after-response set-status 202 if { status 200 }
        http-after-response del-header X-Srv
        http-after-response allow if { status 403 }
        http-after-response add-header X-Last yes
        """, backend: """
        http-after-response add-header X-Be-After be
        """)
        try RuleDifferential.compare("http-after-response", config, [
            .get("/ok"), .get("/deny", exact: true), .get("/redir", exact: true), .get("/ret", exact: true),
        ], answer: Self.answer)
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func afterResponseOnProxyErrors() throws {
        let config = """
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
            http-after-response set-header X-Error "%[status]"
            use_backend be if { path /be }
        backend be
            server s1 @BACK@ disabled
        """
        try RuleDifferential.compare("after-response on 503", config, [.get("/nowhere", exact: true), .get("/be", exact: true)])
    }
}
