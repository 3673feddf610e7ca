// tcp-response content rules (mode http), last_rule_file/last_rule_line, and the layer-6
// fetches req.len / req.payload in mode tcp, each case run through ringproxy and (where
// installed) HAProxy 2.6 with the same configuration and traffic, and compared.
import CBench
import CUring
import Foundation
import Glibc
import Testing

@Suite(.serialized) struct TCPRulesContentEndToEndTests {
    /// An HTTP origin: reads a head, answers 200 with a small body, closes.
    static func httpOrigin() throws -> ScriptedTCPOrigin {
        try ScriptedTCPOrigin { peer, _ in
            _ = peer.readHead(timeout: .seconds(5))
            peer.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        }
    }

    static func get(_ port: UInt16, _ path: String) throws -> String {
        let c = try RawHTTP(port: port)
        try c.send("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return String(decoding: TCPModeEndToEndTests.readAll(c.fd, timeout: .seconds(5)), as: UTF8.self)
    }

    /// The status line and the x-seen header of an answer ("" when the connection closed
    /// with nothing).
    static func summary(_ answer: String) -> String {
        guard let first = answer.split(separator: "\r\n").first else { return "" }
        let seen = answer.split(separator: "\r\n").first { $0.lowercased().hasPrefix("x-seen:") }
        return String(first) + (seen.map { " | " + $0 } ?? "")
    }

    @Test func tcpResponseRulesAndLastRule() throws {
        let origin = try Self.httpOrigin()
        defer { origin.stop() }
        let syslog = try SyslogCollector()
        defer { syslog.stop() }
        let port = freePort()
        // Lines are counted by the expectations below (last_rule_line): keep their order.
        let config = """
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 1s
            frontend fe
                bind 127.0.0.1:\(port)
                log 127.0.0.1:\(syslog.port) local0
                log-format "lr=%[last_rule_file]:%[last_rule_line] st=%ST ts=%ts"
                default_backend be
            backend be
                tcp-response inspect-delay 2s
                tcp-request content set-var(txn.path) path
                tcp-request content reject if { var(txn.path) -m beg /trqrej }
                tcp-request content accept if { var(txn.path) -m beg /trqacc }
                tcp-response content set-var(txn.seen) str(yes)
                tcp-response content reject if { var(txn.path) -m beg /trsrej }
                tcp-response content accept if { var(txn.path) -m beg /trsacc }
                http-response set-header x-seen %[var(txn.seen)]
                http-response deny if { var(txn.path) -m beg /trsacc/deny }
                server s 127.0.0.1:\(origin.port)

            """
        let paths = ["/none", "/trqrej", "/trqacc", "/trsrej", "/trsacc", "/trsacc/deny"]
        var answers: [[String]] = []
        var logs: [[String]] = []
        for binary in TCPModeEndToEndTests.binaries() {
            syslog.clear()
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { p.stop() }
            var got: [String] = []
            for path in paths {
                got.append(Self.summary(try Self.get(port, path)))
                // one log line per request, in order
                _ = syslog.waitForMessages(count: got.count, timeout: .seconds(5))
            }
            answers.append(got)
            logs.append(syslog.messages.map { m in
                // the text after the syslog header, the configuration's path made neutral
                let body = m.range(of: "lr=").map { String(m[$0.lowerBound...]) } ?? m
                return body.replacingOccurrences(of: p.configPath, with: "CFG").trimmingCharacters(in: .whitespacesAndNewlines)
            })
        }
        #expect(answers[0] == ["HTTP/1.1 200 OK | x-seen: yes", "", "HTTP/1.1 200 OK | x-seen: yes", "",
                               "HTTP/1.1 200 OK | x-seen: yes", "HTTP/1.1 502 Bad Gateway"], "ringproxy: \(answers[0])")
        // (as HAProxy 2.6.12 logs them: the tcp-request reject, the tcp-response reject, the
        // http-response deny after a tcp-response accept are each the last rule)
        #expect(logs[0] == ["lr=-:- st=200 ts=--", "lr=CFG:14 st=-1 ts=PR", "lr=CFG:15 st=200 ts=--",
                            "lr=CFG:17 st=-1 ts=PD", "lr=CFG:18 st=200 ts=--", "lr=CFG:20 st=502 ts=PH"],
                "ringproxy: \(logs[0])")
        #expect(answers.allSatisfy { $0 == answers[0] }, "\(answers)")
        #expect(logs.allSatisfy { $0 == logs[0] }, "\(logs)")
    }

    @Test func tcpResponseRulesRunWithoutAnInspectDelay() throws {
        // HAProxy 2.6 installs the backend's response analyser when it has tcp-response rules,
        // with or without `tcp-response inspect-delay`: the reject below closes the client.
        let origin = try Self.httpOrigin()
        defer { origin.stop() }
        let port = freePort()
        let config = """
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 1s
            frontend f
                bind 127.0.0.1:\(port)
                default_backend b
            backend b
                tcp-response content reject
                server s 127.0.0.1:\(origin.port)

            """
        var seen: [String] = []
        for binary in TCPModeEndToEndTests.binaries() {
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { p.stop() }
            seen.append(Self.summary(try Self.get(port, "/")))
        }
        #expect(seen[0] != "HTTP/1.1 200 OK", "ringproxy: \(seen[0])")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    /// An origin that echoes what it received, prefixed.
    static func echoOrigin() throws -> ScriptedTCPOrigin {
        try ScriptedTCPOrigin { peer, _ in
            var b = [UInt8](repeating: 0, count: 256)
            let n = b.withUnsafeMutableBytes { recv(peer.fd, $0.baseAddress, $0.count, 0) }
            peer.write("GOT:" + String(decoding: b[0..<max(0, n)], as: UTF8.self))
        }
    }

    @Test func requestLengthAndPayloadWaitForTheBytes() throws {
        let origin = try Self.echoOrigin()
        defer { origin.stop() }
        let port = freePort()
        // As HAProxy's checks reg-tests: accept only a 14-byte Redis PING, whole.
        let config = """
            defaults
                mode tcp
                timeout client 5s
                timeout server 5s
                timeout connect 1s
            listen redis
                bind 127.0.0.1:\(port)
                tcp-request inspect-delay 1s
                tcp-request content accept if { req.len eq 14 } { req.payload(0,14) -m str "*1\\r\\n\\$4\\r\\nPING\\r\\n" }
                tcp-request content accept if { req.payload_lv(0,1) -m bin 414243 }
                tcp-request content reject

            """ + "    server s 127.0.0.1:\(origin.port)\n"
        var seen: [[String]] = []
        for binary in TCPModeEndToEndTests.binaries() {
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { p.stop() }
            var got: [String] = []
            let start = ContinuousClock.now
            got.append(try TCPRulesEndToEndTests.exchange(port, ["*1\r\n$4\r\nPING\r\n"]))
            got.append(try TCPRulesEndToEndTests.exchange(port, ["*1\r\n$4", "\r\nPING\r\n"]))    // in two pieces
            #expect(ContinuousClock.now - start < .milliseconds(900), "\(binary): waited for the delay")
            got.append(try TCPRulesEndToEndTests.exchange(port, ["*1\r\n$4\r\nPONG\r\n"]))   // right length, wrong bytes
            got.append(try TCPRulesEndToEndTests.exchange(port, ["\u{3}ABC"]))              // length-prefixed block
            let slow = ContinuousClock.now
            got.append(try TCPRulesEndToEndTests.exchange(port, ["*1\r\n"]))                // too short: the delay, then reject
            #expect(ContinuousClock.now - slow >= .milliseconds(900), "\(binary): rejected before the delay")
            seen.append(got)
        }
        #expect(seen[0] == ["GOT:*1\r\n$4\r\nPING\r\n", "GOT:*1\r\n$4\r\nPING\r\n", "", "GOT:\u{3}ABC", ""], "ringproxy: \(seen[0])")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }
}
