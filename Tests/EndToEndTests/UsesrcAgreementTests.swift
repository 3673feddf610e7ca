// `source … usesrc client|clientip|ADDR` (issue 12), side by side with HAProxy 2.6: clients
// connect from 127.0.0.2 / 127.0.0.3 and the origin answers with the address it sees, so the
// test sees where each server connection left from. A server connection bound to a client's
// address serves that client only. A bind that fails (the client's own port, not shareable)
// fails the connection with HAProxy's alert and 503 SC.
import CBench
import CUring
import Foundation
import Glibc
import Testing

@Suite(.serialized) struct UsesrcAgreementTests {
    /// IP_TRANSPARENT needs CAP_NET_ADMIN: tried on a socket of the test process.
    static let canUseTransparent: Bool = {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var one: Int32 = 1
        return setsockopt(fd, Int32(IPPROTO_IP), 19 /* IP_TRANSPARENT */, &one, socklen_t(MemoryLayout<Int32>.size)) == 0
    }()

    /// Answers each request with `X-Peer: ADDR:PORT` (its connection's peer) and `X-Conn: N`.
    static func peerOrigin() throws -> ScriptedTCPOrigin {
        try ScriptedTCPOrigin { peer, index in
            var a = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(peer.fd, $0, &len) } }
            var text = [CChar](repeating: 0, count: 64)
            inet_ntop(AF_INET, &a.sin_addr, &text, 64)
            let addr = String(cString: text) + ":\(UInt16(bigEndian: a.sin_port))"
            while peer.readHead() != nil {
                peer.write("HTTP/1.1 200 OK\r\nX-Peer: \(addr)\r\nX-Conn: \(index)\r\nContent-Length: 0\r\n\r\n")
            }
        }
    }

    static func config(origin: UInt16, source: String, server: String = "") -> (UInt16, UInt16) -> String {
        { port, log in
            """
            global
                log 127.0.0.1:\(log) local0
            defaults
                mode http
                log global
                option httplog
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be
            backend be
                \(source)
                server s1 127.0.0.1:\(origin) \(server)

            """
        }
    }

    /// The local port of a client socket.
    static func localPort(_ fd: Int32) -> UInt16 {
        var a = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return UInt16(bigEndian: a.sin_port)
    }

    static func frontendLogs(_ side: TwinProxies.Side, count: Int) -> [OpsLogLine] {
        var lines: [OpsLogLine] = []
        _ = ProcessProbe.waitUntil(timeout: .seconds(5)) {
            lines = side.syslog.messages.compactMap(OpsLogLine.init).filter { $0["%ft"] == "fe" }
            return lines.count >= count
        }
        return lines
    }

    /// Two clients (127.0.0.2 then 127.0.0.3), two requests each, the first one kept open
    /// while the second asks: what the origin saw for each (address, whether the port is the
    /// client's own, which origin connection) and the log lines' fields that do not vary.
    static func run(_ source: String, server: String = "") throws -> [String: [String]] {
        let origin = try peerOrigin()
        defer { origin.stop() }
        let twins = try TwinProxies(config(origin: origin.port, source: source, server: server))
        defer { twins.stop() }
        var out: [String: [String]] = [:]
        for side in twins.sides {
            var seen: [String] = []
            let base = origin.connections          // both sides share the origin: count from here
            let a = try RawHTTP(port: side.port, source: "127.0.0.2")
            let b = try RawHTTP(port: side.port, source: "127.0.0.3")
            for (client, name) in [(a, "a"), (b, "b"), (a, "a"), (b, "b")] {
                try client.send("GET /\(name) HTTP/1.1\r\nHost: x\r\n\r\n")
                let r = try client.readResponse()
                let peer = r.header("X-Peer") ?? "?"
                let host = peer.split(separator: ":").first.map(String.init) ?? "?"
                let ownPort = peer.hasSuffix(":\(localPort(client.fd))")
                seen.append("\(name) \(host) own-port=\(ownPort) conn=\(r.header("X-Conn").flatMap { Int($0) }.map { $0 - base } ?? -1)")
            }
            a.close(); b.close()
            // Log lines of the two clients' connections come in any order (workers log apart): sorted.
            seen += frontendLogs(side, count: 4).map {
                "log \($0["%ci:%cp"].split(separator: ":").first ?? "") \($0["%b/%s"]) \($0["%ST"]) \($0["%tsc"]) \($0.request)"
            }.sorted()
            out[side.name] = seen
        }
        return out
    }

    @Test(.enabled(if: canUseTransparent, "usesrc needs CAP_NET_ADMIN (IP_TRANSPARENT); the test process lacks it"))
    func clientIPLeavesFromEachClientsAddress() throws {
        let got = try Self.run("source 0.0.0.0 usesrc clientip")
        let want = [
            "a 127.0.0.2 own-port=false conn=0", "b 127.0.0.3 own-port=false conn=1",
            "a 127.0.0.2 own-port=false conn=0", "b 127.0.0.3 own-port=false conn=1",
            "log 127.0.0.2 be/s1 200 ---- \"GET /a HTTP/1.1\"", "log 127.0.0.2 be/s1 200 ---- \"GET /a HTTP/1.1\"",
            "log 127.0.0.3 be/s1 200 ---- \"GET /b HTTP/1.1\"", "log 127.0.0.3 be/s1 200 ---- \"GET /b HTTP/1.1\"",
        ]
        for (name, seen) in got { #expect(seen == want, "\(name)") }
        #expect(got["ringproxy"] != nil)
    }

    @Test(.enabled(if: canUseTransparent, "usesrc needs CAP_NET_ADMIN (IP_TRANSPARENT); the test process lacks it"))
    func serverOptionWithAFixedForeignAddress() throws {
        let got = try Self.run("", server: "source 0.0.0.0 usesrc 127.0.0.4")
        let hosts = got.mapValues { $0.prefix(4).map { $0.split(separator: " ")[1] } }
        for (name, h) in hosts { #expect(h == ["127.0.0.4", "127.0.0.4", "127.0.0.4", "127.0.0.4"], "\(name): \(got[name] ?? [])") }
        if let h = got["haproxy"] { #expect(got["ringproxy"]?.suffix(4) == h.suffix(4)) }
    }

    /// `usesrc client`: the client's port too. The proxy may bind it only when the client's
    /// socket allows it (SO_REUSEADDR); otherwise the bind fails: alert, retries, 503 SC.
    @Test(.enabled(if: canUseTransparent, "usesrc needs CAP_NET_ADMIN (IP_TRANSPARENT); the test process lacks it"))
    func clientKeepsThePortOrFailsTheConnection() throws {
        let origin = try Self.peerOrigin()
        defer { origin.stop() }
        let twins = try TwinProxies(Self.config(origin: origin.port, source: "source 0.0.0.0 usesrc client"))
        defer { twins.stop() }
        var results: [String: [String]] = [:]
        for side in twins.sides {
            let ok = try RawHTTP(port: side.port, source: "127.0.0.2", reuseAddress: true)
            try ok.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try ok.readResponse()
            let peer = r.header("X-Peer") ?? "?"
            #expect(peer == "127.0.0.2:\(Self.localPort(ok.fd))", "\(side.name)")
            ok.close()
            let refused = try RawHTTP(port: side.port, source: "127.0.0.3")
            try refused.send("GET /no HTTP/1.1\r\nHost: x\r\n\r\n")
            let f = try refused.readResponse()
            refused.close()
            let alert = "Cannot bind to tproxy source address before connect() for backend be. Aborting."
            #expect(ProcessProbe.waitUntil(timeout: .seconds(5)) { side.process.stderrText.contains(alert) }, "\(side.name): \(side.process.stderrText)")
            let logs = Self.frontendLogs(side, count: 2)
            results[side.name] = ["\(r.status)", "\(f.status)"] + logs.map { "\($0["%b/%s"]) \($0["%ST"]) \($0["%tsc"]) \($0["%ac/%fc/%bc/%sc/%rc"].split(separator: "/").last ?? "")" }
        }
        for (name, seen) in results {
            #expect(seen == ["200", "503", "be/s1 200 ---- 0", "be/s1 503 SC-- 3"], "\(name)")
        }
    }
}
