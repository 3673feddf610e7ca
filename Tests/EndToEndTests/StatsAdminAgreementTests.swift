// The stats page's admin form and keep-alive, side by side with HAProxy 2.6: the same
// requests on one keep-alive connection to both get the same status lines and headers (the
// HTML body is ringproxy's own), the same 303 redirects, and leave the servers in the same
// states (`show stat`, `show servers state`).
import Foundation
import Testing
import Proxy

@Suite(.serialized) struct StatsAdminAgreementTests {
    static let template: @Sendable (String, String, [UInt16]) -> String = { admin, user, p in
        """
        global
            maxconn 1000
            stats socket \(admin) level admin
            stats socket \(user) level user
        defaults
            mode http
            timeout connect 5s
            timeout client 5s
            timeout server 5s
        frontend fe1
            bind 127.0.0.1:\(p[0])
            stats enable
            stats refresh 5s
            stats uri /
            stats admin if TRUE
        frontend fe2
            bind 127.0.0.1:\(p[1])
            stats enable
            stats uri /st
            stats admin if FALSE
        backend b1
            server srv1 127.0.0.1:\(p[2])
            server srv2 127.0.0.1:\(p[2])
            server srv3 127.0.0.1:\(p[2])
        backend b2
            server srv1 127.0.0.1:\(p[2])
            server srv2 127.0.0.1:\(p[2])
        """
    }

    static func post(_ path: String, _ body: String, minor: Int = 1, extra: String = "") -> String {
        "POST \(path) HTTP/1.\(minor)\r\nHost: x\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// The requests, in order, on one connection to the admin page (fe1): (bytes, is HEAD).
    static let exchanges: [(String, Bool)] = [
        ("GET /;csv;norefresh HTTP/1.1\r\nHost: x\r\n\r\n", false),
        ("GET /?;csv;scope=b1 HTTP/1.1\r\nHost: x\r\n\r\n", false),
        (post("/?scope=b2", "s=srv1&s=srv2&s=srv3&action=maint&b=%234"), false),
        (post("/;up;norefresh", "s=srv2&action=drain&b=%234"), false),
        (post("/", "s=srv1&action=maint&b=%235"), false),
        (post("/", "s=nosuch&s=srv2&action=ready&b=b2"), false),
        (post("/", "s=srv1&action=bogus&b=b2"), false),
        (post("/", "action=ready&b=nope"), false),
        ("HEAD /;csv HTTP/1.1\r\nHost: x\r\n\r\n", true),
        ("GET /;st=DONE HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false),
        ("GET /;csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false),
    ]

    /// Status line and headers of each answer (chunk sizes and HTML bodies set aside), and
    /// whether the connection was closed after the last.
    static func run(port: UInt16) throws -> (heads: [String], closed: Bool) {
        let c = try RawHTTP(port: port)
        var heads: [String] = []
        for (request, isHead) in exchanges {
            try c.send(request)
            let r = try c.readResponse(forHEAD: isHead)
            heads.append(r.headText)
        }
        return (heads, c.isClosed(within: .seconds(2)))
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs /usr/sbin/haproxy"))
    func formAndKeepAliveAsHAProxy() throws {
        let pair = try CLIPair(ports: 3, listening: 2, Self.template)
        let hap = try Self.run(port: pair.hapPorts[0])
        let rp = try Self.run(port: pair.rpPorts[0])
        for (i, (a, b)) in zip(hap.heads, rp.heads).enumerated() {
            #expect(a == b, "exchange \(i): \(Self.exchanges[i].0.prefix(40))")
        }
        #expect(hap.closed && rp.closed)
        // States and weights (the traffic counters differ: the HTML pages are not the same size).
        func states(_ csv: String) -> [String] {
            csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(21) }
                .map { r in [0, 1, 17, 18, 19, 20].map { $0 < r.count ? String(r[$0]) : "" }.joined(separator: ",") }
        }
        let (hs, rs) = try pair.both("show stat")
        #expect(states(hs) == states(rs))
        #expect(rs.contains("\nb1,srv1,") && states(rs).contains { $0.hasPrefix("b1,srv2,DRAIN,") }
                && states(rs).contains { $0.hasPrefix("b2,srv1,MAINT,") })
        let (ha, ra) = try pair.both("show servers state")
        #expect(ha == ra)
        // A page whose `stats admin` condition is false refuses the form (DENY) but keeps the
        // connection; the states are unchanged.
        for port in [pair.hapPorts[1], pair.rpPorts[1]] {
            let c = try RawHTTP(port: port)
            try c.send(Self.post("/st", "s=srv3&action=ready&b=b1"))
            let r = try c.readResponse()
            #expect(r.status == 303 && r.header("location") == "/st;st=DENY" && r.header("connection") == nil)
            try c.send("GET /st;csv HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try c.readResponse().status == 200)
        }
        let (a, b) = try pair.both("show servers state b1")
        #expect(a == b && b.contains(" srv3 ") && b.split(separator: "\n").last?.split(separator: " ")[6] == "1")
    }

    @Test func htmlPageShowsTheFormsAndTheOutcome() throws {
        let ports = (0..<3).map { _ in freePort() }
        var t = Array("/tmp/rp-sa-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&t)!)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try ProxyProcess(config: Self.template(dir + "/a.sock", dir + "/u.sock", ports), waitForPorts: [ports[0]])
        defer { _ = p.stop() }
        let page = try RawHTTP.get(port: ports[0], path: "/;st=PART?scope=b1").bodyText
        #expect(page.contains("Action partially processed."))
        #expect(page.contains("<input type=\"checkbox\" name=\"s\" value=\"srv3\">"))
        #expect(page.contains("<input type=\"hidden\" name=\"b\" value=\"#4\">"))
        #expect(page.contains("<section id=\"b1\">") && !page.contains("<section id=\"b2\">"))
        // Without admin rights: no form.
        let plain = try RawHTTP.get(port: ports[1], path: "/st").bodyText
        #expect(!plain.contains("type=\"checkbox\"") && plain.contains("<section id=\"b2\">"))
    }
}
