// so_name / so_id (the bind line), unique-id-format / unique-id-header, http-request
// set-timeout with be_/cur_server_timeout and friends, and http-request reject: parsed,
// compiled and run through a worker's RuleContext (stream/unique-id.vtc,
// sample_fetches/so_name.vtc and http-set-timeout/set_timeout.vtc run them end to end).
import Foundation
import Testing
@testable import Proxy

@Suite struct TransactionFetchTests {
    @Test func soNameIsTheBindLinesName() throws {
        let config = """
        frontend fe
            mode http
            bind 127.0.0.1:8080 name first
            bind 127.0.0.1:8081 id 7
            http-request set-header X-Name %[so_name]
            http-request set-header X-ID %[so_id]
        """
        var p = try RulesProbe(config)
        p.context.listener = 0
        p.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(p.header("x-name") == "first")
        #expect(p.header("x-id") == "1")
        p.context.listener = 1
        p.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(p.header("x-name") == "")          // no name: no sample
        #expect(p.header("x-id") == "7")
    }

    @Test func uniqueIDIsRenderedOnceAndSentInItsHeader() throws {
        var p = try RulesProbe(frontendConfig("""
        unique-id-format TEST-%[req.hdr(in)]-%[rand]
        unique-id-header X-Unique-ID
        http-request set-header X-A %[unique-id]
        http-request set-header X-B %[unique-id]
        """))
        p.request("GET / HTTP/1.1\r\nIn: 12345678\r\n\r\n")
        let a = try #require(p.header("x-a"))
        #expect(a.hasPrefix("TEST-12345678-"))
        #expect(p.header("x-b") == a)                // the same value for the whole transaction
        p.context.finishUniqueID()
        #expect(p.header("x-unique-id") == a)
        p.request("GET / HTTP/1.1\r\nIn: 9\r\n\r\n")
        #expect(p.header("x-a")?.hasPrefix("TEST-9-") == true)    // a new transaction, a new ID
    }

    @Test func noUniqueIDFormatMeansNoSample() throws {
        var p = try RulesProbe(frontendConfig("http-request set-header X-A \"<%[unique-id]>\""))
        p.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(p.header("x-a") == "<>")
    }

    @Test func setTimeoutOverridesTheServerTimeout() throws {
        let config = """
        defaults
            mode http
            timeout client 7s
            timeout server 5s
            timeout tunnel 1m
        listen li
            bind 127.0.0.1:8080
            http-request set-header X-Before "%[be_server_timeout] %[cur_server_timeout] %[cur_tunnel_timeout]"
            http-request set-timeout server int(3),mul(1000)
            http-request set-timeout tunnel 2s
            http-request set-timeout server str(nope)
            http-request set-header X-After "%[be_server_timeout] %[cur_server_timeout] %[be_tunnel_timeout] %[cur_tunnel_timeout] %[fe_client_timeout]"
            server s1 127.0.0.1:9000
        """
        var p = try RulesProbe(config)
        p.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(p.header("x-before") == "5000 5000 0")
        #expect(p.header("x-after") == "5000 3000 60000 2000 7000")
        #expect(p.slot.timeouts.server == 3000)
        p.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(p.slot.timeouts.server == 3000)            // set again by this transaction's rule
    }

    @Test func setTimeoutAndRejectAreCheckedAtLoad() {
        func error(_ text: String) -> String {
            do { _ = try ConfigParser.parse(text: text, file: "t.cfg"); return "" } catch { return error.errors.map(\.description).joined(separator: "\n") }
        }
        #expect(error(frontendConfig("http-request set-timeout server 5s")).contains("has no backend capability"))
        #expect(error(frontendConfig("http-request set-timeout client 5s")).contains("expects 'server' or 'tunnel'"))
        #expect(error(frontendConfig("http-response reject")).contains("reject"))
        #expect(error(frontendConfig("http-request reject if { src 10.0.0.0/8 }")) == "")
    }

    @Test func rejectEndsTheRulesWithoutAReply() throws {
        var p = try RulesProbe(frontendConfig("""
        http-request reject if { req.hdr(x-bad) -m found }
        http-request set-header X-Seen yes
        """))
        guard case .reject = p.request("GET / HTTP/1.1\r\nX-Bad: 1\r\n\r\n") else { Issue.record("not rejected"); return }
        guard case .next = p.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n") else { Issue.record("rejected a good request"); return }
        #expect(p.header("x-seen") == "yes")
    }
}
