// Stick counters side by side with HAProxy 2.6.12: the usual rate limit (track-sc0 src, deny
// 429 over a rate), counters read back in a reply, and the runtime API's `show table`,
// `set table ... data.X`, `clear table` on the same traffic (entry addresses and expiry aside).
import Foundation
import Glibc
import Testing

private let haproxyInstalled = HAProxyProcess.isInstalled

@Suite(.serialized) struct StickCountersEndToEndTests {
    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func rateLimitAnswersAsHAProxy() throws {
        let config = rulesConfig("""
        stick-table type ip size 100k expire 30s store http_req_rate(10s),http_req_cnt,conn_cnt,conn_cur,gpc0,gpc0_rate(10s),http_err_cnt,gpt0
        http-request track-sc0 src
        http-request sc-inc-gpc0(0) if { path_beg /inc }
        http-request sc-set-gpt0(0) 42 if { path_beg /gpt }
        http-request deny deny_status 429 if { sc_http_req_rate(0) gt 6 }
        http-request return status 200 content-type text/plain lf-string "rate=%[sc_http_req_rate(0)] cnt=%[sc0_http_req_cnt] conn=%[sc_conn_cnt(0)] cur=%[sc_conn_cur(0)] gpc0=%[sc_get_gpc0(0)]/%[src_get_gpc0]/%[sc0_gpc0_rate] gpt0=%[sc_get_gpt0(0)] err=%[sc_http_err_cnt(0)] tracked=%[sc_tracked(0)]/%[sc1_tracked] trackers=%[sc0_trackers] src=%[src_http_req_rate]/%[src_conn_cur] table=%[src,table_http_req_cnt(fe)]/%[src,in_table(fe)]/%[str(192.0.2.1),in_table(fe)]\\n" if { path_beg /show }
        """)
        var exchanges: [RuleExchange] = [.get("/inc"), .get("/show", exact: true), .get("/gpt"),
                                          RuleExchange("GET /inc HTTP/1.1\r\nHost: a\r\n\r\n"),
                                          RuleExchange("GET /show HTTP/1.1\r\nHost: a\r\n\r\n", reuse: true, exact: true)]
        // Over the limit: 429 (counted as client errors), then the counters say so.
        exchanges += (0..<3).map { _ in RuleExchange.get("/x") }
        exchanges.append(.get("/show", exact: true))
        try RuleDifferential.compare("rate limit", config, exchanges)
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func showSetClearTableAsHAProxy() throws {
        var outputs: [String: [String]] = [:]
        for (name, binary) in [("ringproxy", ProxyProcess.ringproxyBinary), ("haproxy", HAProxyProcess.executable!)] {
            var t = Array("/tmp/rp-sc-XXXXXX".utf8CString)
            let dir = String(cString: mkdtemp(&t)!)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let port = freePort(), sock = dir + "/admin.sock"
            let p = try ProxyProcess(config: """
                global
                    stats socket \(sock) level admin
                defaults
                    mode http
                    timeout connect 2s
                    timeout client 10s
                    timeout server 10s
                frontend fe
                    bind 127.0.0.1:\(port)
                    stick-table type ip size 1k expire 10m store gpc0,conn_cnt,conn_cur,http_req_cnt,http_req_rate(10s),http_err_rate(10s)
                    http-request track-sc1 src
                    http-request deny deny_status 403 if { path /deny }
                    http-request return status 200
                backend counters
                    stick-table type string len 16 size 1k expire 10m store gpc0,gpt0
                """, binary: binary, waitForPorts: [port], timeout: .seconds(30))
            defer { p.stop() }
            try CLIClient.waitForSocket(sock)
            for path in ["/", "/", "/deny"] { _ = try RawHTTP.get(port: port, path: path) }
            var out: [String] = []
            func cli(_ command: String) throws {
                // Entry addresses and expiry differ; everything else must not.
                let text = try CLIClient.send(command, socket: sock)
                out.append(command)
                out += text.split(separator: "\n").map { line in
                    line.split(separator: " ").filter { !$0.hasPrefix("0x") && !$0.hasPrefix("exp=") }.joined(separator: " ")
                }
            }
            try cli("show table")
            try cli("show table fe")
            try cli("set table fe key 10.1.2.3 data.gpc0 7")
            try cli("set table counters key alice data.gpt0 3 data.gpc0 2")
            try cli("set table fe key 10.1.2.3 data.gpt0 1")
            try cli("show table fe data.gpc0 gt 5")
            try cli("show table counters")
            try cli("show table fe key 10.1.2.3")
            try cli("clear table fe key 10.1.2.3")
            try cli("show table fe")
            outputs[name] = out
        }
        let rp = try #require(outputs["ringproxy"]), hp = try #require(outputs["haproxy"])
        #expect(rp == hp, "ours:\n\(rp.joined(separator: "\n"))\nhaproxy:\n\(hp.joined(separator: "\n"))")
        #expect(rp.contains { $0.contains("key=127.0.0.1 use=0 gpc0=0 conn_cnt=3 conn_cur=0 http_req_cnt=3 http_req_rate(10000)=3 http_err_rate(10000)=1") })
    }
}
