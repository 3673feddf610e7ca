// `tcp-request connection expect-proxy layer4 if COND`, side by side with HAProxy 2.6: only the
// trusted address (127.0.0.2) must send a PROXY header (v1 or v2), whose address the origin
// (X-Forwarded-For) and the log line see; another client (127.0.0.3) speaks HTTP directly and
// keeps its own address; a trusted client that omits the header is closed without an answer.
import CBench
import CUring
import Foundation
import Glibc
import Testing
import Origins

@Suite(.serialized) struct ExpectProxyEndToEndTests {
    static var binaries: [String] {
        [ProxyProcess.ringproxyBinary] + (HAProxyProcess.executable.map { [$0] } ?? [])
    }

    static func config(_ port: UInt16, _ origin: UInt16, _ syslog: UInt16, _ rules: String) -> String {
        """
        global
            log 127.0.0.1:\(syslog) local0
        defaults
            mode http
            log global
            timeout client 5s
            timeout server 5s
            timeout connect 1s
        frontend f
            bind 127.0.0.1:\(port)
            log-format "%ci %HM %HU %ST"
            option forwardfor
        \(rules)
            default_backend b
        backend b
            server s 127.0.0.1:\(origin)

        """
    }

    /// The log line's text after the syslog header.
    static func logText(_ syslog: SyslogCollector) -> String {
        let m = syslog.waitForMessages(count: 1)
        guard let line = m.first, let r = line.range(of: "]: ") else { return "no log line: \(m)" }
        return String(line[r.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Per proxy: for each (source, bytes) the X-Forwarded-For the origin saw and the log line.
    static func run(_ rules: String, _ exchanges: [(String, [UInt8], String)]) throws -> [[String]] {
        let syslog = try SyslogCollector()
        defer { syslog.stop() }
        let port = freePort()
        var out: [[String]] = []
        for binary in binaries {
            let origin = try RecordingOrigin()
            defer { origin.stop() }
            let p = try ProxyProcess(config: config(port, origin.port, syslog.port, rules), binary: binary, waitForPorts: [port])
            defer { p.stop() }
            var seen: [String] = []
            for (k, (source, bytes, path)) in exchanges.enumerated() {
                syslog.clear()
                let c = try RawHTTP(port: port, source: source)
                try c.send(bytes + Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                let r = try c.readResponse()
                seen.append("\(r.status) xff=\(forwardedFor(origin, k)) log=\(logText(syslog))")
            }
            out.append(seen)
        }
        return out
    }

    /// The X-Forwarded-For of the origin's connection k (each exchange is a connection).
    static func forwardedFor(_ origin: RecordingOrigin, _ k: Int) -> String {
        let got = origin.wait { $0.count > k && StrictFraming.headEnd($0[k]) != nil }
        guard got.count > k, let end = StrictFraming.headEnd(got[k]) else { return "no request" }
        return StrictFraming.headers(Array(got[k][..<end])).first { $0.name == "x-forwarded-for" }?.value ?? "none"
    }

    static let v1 = Array("PROXY TCP4 192.0.2.7 198.51.100.1 40000 8080\r\n".utf8)

    @Test func onlyTheTrustedSourceSendsAHeader() throws {
        let seen = try Self.run("    tcp-request connection expect-proxy layer4 if { src 127.0.0.2 }", [
            ("127.0.0.2", Self.v1, "/v1"),
            ("127.0.0.3", [], "/plain"),
            ("127.0.0.2", ProxyProtocolEndToEndTests.v2Header("203.0.113.9", 5555, "198.51.100.1", 80), "/v2"),
        ])
        #expect(seen[0] == ["200 xff=192.0.2.7 log=192.0.2.7 GET /v1 200",
                            "200 xff=127.0.0.3 log=127.0.0.3 GET /plain 200",
                            "200 xff=203.0.113.9 log=203.0.113.9 GET /v2 200"], "\(seen)")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    /// `unless`, a list of networks, and a bookkeeping rule before it (it runs once, on the request).
    @Test func unlessAndNetworks() throws {
        let seen = try Self.run("""
                tcp-request connection set-var(sess.seen) int(1)
                tcp-request connection expect-proxy layer4 unless { src 127.0.0.3 127.0.0.4/31 }
            """, [
            ("127.0.0.3", [], "/plain"),
            ("127.0.0.2", Self.v1, "/v1"),
            ("127.0.0.5", [], "/plain5"),
        ])
        #expect(seen[0] == ["200 xff=127.0.0.3 log=127.0.0.3 GET /plain 200",
                            "200 xff=192.0.2.7 log=192.0.2.7 GET /v1 200",
                            "200 xff=127.0.0.5 log=127.0.0.5 GET /plain5 200"], "\(seen)")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    /// A trusted client without a header: closed without a byte (both), nothing reaches the origin.
    @Test func trustedClientWithoutHeaderIsClosed() throws {
        let syslog = try SyslogCollector()
        defer { syslog.stop() }
        let port = freePort()
        let origin = try RecordingOrigin()
        defer { origin.stop() }
        let rules = "    tcp-request connection expect-proxy layer4 if { src 127.0.0.2 }"
        var seen: [String] = []
        for binary in Self.binaries {
            let p = try ProxyProcess(config: Self.config(port, origin.port, syslog.port, rules), binary: binary, waitForPorts: [port])
            defer { p.stop() }
            let c = try RawHTTP(port: port, source: "127.0.0.2")
            try c.send("GET /nohdr HTTP/1.1\r\nHost: x\r\n\r\n")
            let bytes = (try? c.readAllUntilClose(timeout: .seconds(5))) ?? []
            seen.append("\(bytes.count) bytes")
        }
        #expect(seen.allSatisfy { $0 == "0 bytes" }, "\(seen)")
        #expect(origin.connections.isEmpty)
    }
}
