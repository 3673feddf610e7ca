// `option http-buffer-request` and the body fetches, side by side with HAProxy 2.6.12: what
// req.body, req.body_len, req.body_size and req.body_param read (Content-Length and chunked
// bodies), a rule deciding on the body, and the Host header the rules see once the parser has
// dropped a default port. (The waiting itself, its 408 and the client leaving while it waits:
// reg-test http-messaging/http_request_buffer.vtc, in Tests/RegTests/ci.txt.)
import Foundation
import Testing

private let haproxyInstalled = HAProxyProcess.isInstalled

@Suite(.serialized) struct RequestBodyRulesTests {
    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func bodyFetchesAndNormalisedHost() throws {
        let rules = """
            option http-buffer-request
            http-request deny deny_status 403 if { req.body_param(action) -m str drop }
            http-request set-header X-Body "%[req.body_param(user)]|%[req.body_param(USER)]|%[req.body_len]|%[req.body_size]|%[req.body,hex]"
            http-request set-header X-Host "%[req.hdr(host)]"
            """
        try RuleDifferential.compare("body", rulesConfig(rules), [
            RuleExchange("POST /f HTTP/1.1\r\nHost: test.local\r\nContent-Length: 20\r\n\r\na=1&user=bob&c=3&d=4"),
            // One chunk: HAProxy forwards a buffered chunked body re-chunked as one, ringproxy
            // with the client's chunks (README, "How ringproxy differs").
            RuleExchange("POST /c HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nuser=ann\r\n0\r\n\r\n"),
            // Denied on its body: the same 403; ringproxy then closes (HAProxy keeps the
            // connection: the body was read) — README, "How ringproxy differs".
            RuleExchange("POST /d HTTP/1.1\r\nHost: test.local\r\nContent-Length: 11\r\n\r\naction=drop", closeMayDiffer: true),
            RuleExchange("GET http://test.local:80/n HTTP/1.1\r\nHost: test.local:80\r\n\r\n"),
            RuleExchange("GET / HTTP/1.1\r\nHost: test.local\r\n\r\n"),
        ])
    }
}
