// `http-request|http-response wait-for-body time T [at-least N] if COND`, side by side with
// HAProxy 2.6: the same configuration and the same traffic (a server that sends its response
// body in pieces, late, or not at all; a client that does the same with its request body); the
// client-visible bytes, what the server received and the log lines (termination state, status,
// which timers are set) must be the same.
import Foundation
import Testing

private let haproxyInstalled = HAProxyProcess.isInstalled

/// One scenario: what the server plays, what the client sends (pieces, with pauses between
/// them that shape the traffic), and how the client reads the answer.
struct BodyWaitScenario {
    var server: [ScriptedServer.Step]
    var client: [(bytes: String, pauseMs: Int)]
    /// Connections the server gets (none when the proxy answers by itself first).
    var serverConnections = 1
}

struct BodyWaitRun {
    var answers: [String] = []
    var received: [[String]] = []
    var logs: [String] = []
}

@Suite(.serialized) struct WaitForBodyEndToEndTests {
    static let piece = String(repeating: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=====================================\n", count: 1)

    /// A response body of 1001 bytes sent as ten 100-byte pieces after the head, then the last byte.
    static func slowResponse(status: String, lastByteAfterMs: Int?, extraHeaders: String = "") -> [ScriptedServer.Step] {
        var s: [ScriptedServer.Step] = [.receiveHTTPRequest,
                                        ScriptedServer.text("HTTP/1.1 \(status)\r\nContent-Length: 1001\r\nConnection: close\r\n\(extraHeaders)\r\n"),
                                        .sleep(milliseconds: 10)]
        for _ in 0..<10 { s.append(ScriptedServer.text(piece)) }
        if let ms = lastByteAfterMs { s += [.sleep(milliseconds: ms), ScriptedServer.text("1")] }
        else { s.append(.sleep(milliseconds: 1500)) }     // never sent within the proxies' wait
        return s
    }

    static let config = rulesConfig("""
        http-request wait-for-body time 300ms if { path /a }
        http-request wait-for-body time 300ms at-least 1000 if { path /b }
        http-request set-header x-req-len "%[req.body_len]" if { path /a } || { path /b }
        """, backend: """
        http-response wait-for-body time 300ms if { status eq 200 }
        http-response wait-for-body time 300ms at-least 1000 if { status eq 201 }
        http-response set-header x-res-len "%[res.body_len]" if { status eq 200 } || { status eq 201 }
        http-response deny if { res.body -m sub forbidden }
        """)

    static let answerOK: [ScriptedServer.Step] = [.receiveHTTPRequest, ScriptedServer.text("HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")]

    static var scenarios: [(String, BodyWaitScenario)] {
        let get = "GET / HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n"
        func post(_ path: String) -> String { "POST \(path) HTTP/1.1\r\nHost: test.local\r\nContent-Length: 1001\r\nConnection: close\r\n\r\n" }
        let body1000 = String(repeating: piece, count: 10)
        return [
            // the whole body comes late: the rules see all of it
            ("response whole", BodyWaitScenario(server: slowResponse(status: "200 OK", lastByteAfterMs: 20), client: [(get, 0)])),
            // at-least 1000: the rules see 1000 bytes, the last one follows
            ("response at-least", BodyWaitScenario(server: slowResponse(status: "201 Created", lastByteAfterMs: 150), client: [(get, 0)])),
            // the body does not come within T: 504, sH
            ("response timeout", BodyWaitScenario(server: slowResponse(status: "200 OK", lastByteAfterMs: nil), client: [(get, 0)])),
            // no rule applies: forwarded at once (the body follows)
            ("response no rule", BodyWaitScenario(server: slowResponse(status: "202 Accepted", lastByteAfterMs: 20), client: [(get, 0)])),
            // a body delimited by the server's close: the rules see it once the server closed
            ("response until close", BodyWaitScenario(server: [.receiveHTTPRequest,
                ScriptedServer.text("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello "), .sleep(milliseconds: 30),
                ScriptedServer.text("world")], client: [(get, 0)])),
            // a chunked body in two chunks, the second late; a deny on its content (http-response
            // deny answers 502)
            ("response chunked deny", BodyWaitScenario(server: [.receiveHTTPRequest,
                ScriptedServer.text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n"),
                .sleep(milliseconds: 30), ScriptedServer.text("9\r\nforbidden\r\n0\r\n\r\n")], client: [(get, 0)])),
            // request: the body comes late, the rules see it all (/a); at-least 1000 (/b)
            ("request whole", BodyWaitScenario(server: answerOK, client: [(post("/a"), 20), (body1000, 20), ("1", 0)])),
            ("request at-least", BodyWaitScenario(server: answerOK, client: [(post("/b"), 20), (body1000, 150), ("1", 0)])),
            // request: the body does not come within T: 408, cR
            ("request timeout", BodyWaitScenario(server: answerOK, client: [(post("/a") + body1000, 0)], serverConnections: 0)),
            // request: no rule applies (/c): forwarded without waiting
            ("request no rule", BodyWaitScenario(server: answerOK, client: [(post("/c") + body1000, 100), ("1", 0)])),
        ]
    }

    private static func run(_ s: BodyWaitScenario, haproxy: Bool) throws -> BodyWaitRun {
        let server = try ScriptedServer(s.server)
        defer { server.stop() }
        let syslog = try SyslogCollector()
        defer { syslog.stop() }
        let front = freePort()
        let config = Self.config.replacingOccurrences(of: "@FRONT@", with: "\(front)")
            .replacingOccurrences(of: "@BACK@", with: "127.0.0.1:\(server.port)")
            .replacingOccurrences(of: "@LOG@", with: "127.0.0.1:\(syslog.port)")
        let proxy = haproxy ? try HAProxyProcess.start(config: config, waitForPorts: [front])
                            : try ProxyProcess(config: config, waitForPorts: [front])
        defer { _ = proxy.stop() }
        var out = BodyWaitRun()
        let c = try RawHTTP(port: front)
        for (bytes, pause) in s.client {
            try c.send(bytes)
            if pause > 0 { usleep(UInt32(pause) * 1000) }     // shapes the traffic (a slow client)
        }
        // Every scenario ends with the proxy closing the client connection (Connection: close:
        // the client asked for it, error pages close): all the client sees, byte for byte.
        let answer = String(decoding: try c.readAllUntilClose(timeout: .seconds(5)), as: UTF8.self)
        out.answers.append(Self.normalizedAnswer(answer))
        out.logs = syslog.waitForMessages(count: 1, timeout: .seconds(5)).map(RuleDifferential.normalizedLog)
        // the server records a connection once its script ended (it may end after the proxy answered)
        let until = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < until, server.connections.count < s.serverConnections { usleep(10_000) }
        // what the server received, its head normalised (HAProxy writes header names in lower case)
        out.received = server.connections.map { b in
            let t = String(decoding: b, as: UTF8.self)
            guard let r = t.range(of: "\r\n\r\n") else { return [t] }
            return [RuleDifferential.normalizedHead(String(t[..<r.lowerBound])), String(t[r.upperBound...])]
        }
        return out
    }

    /// The answer with its header lines sorted (the status line first, the body after).
    static func headerLinesSorted(_ a: String) -> String {
        guard let r = a.range(of: "\r\n\r\n") else { return a }
        var lines = a[..<r.lowerBound].components(separatedBy: "\r\n")
        let first = lines.removeFirst()
        return ([first] + lines.sorted()).joined(separator: "\r\n") + "\r\n\r\n" + String(a[r.upperBound...])
    }

    /// The answer with its head's header names in lower case (HAProxy's HTX), the body as is.
    static func normalizedAnswer(_ a: String) -> String {
        guard let r = a.range(of: "\r\n\r\n") else { return a }
        return RuleDifferential.normalizedHead(String(a[..<r.lowerBound])) + "\r\n\r\n" + String(a[r.upperBound...])
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"), arguments: 0..<10)
    func sameAsHAProxy(_ i: Int) throws {
        let (name, s) = Self.scenarios[i]
        let ours = try Self.run(s, haproxy: false)
        let theirs = try Self.run(s, haproxy: true)
        // The 408 after T is the engine's page, whose headers are in the order of HAProxy's
        // head-timeout 408 (README): compared with its header lines in any order.
        let (oa, ta) = name == "request timeout" ? (ours.answers.map(Self.headerLinesSorted), theirs.answers.map(Self.headerLinesSorted))
                                                 : (ours.answers, theirs.answers)
        #expect(oa == ta, "\(name) answer\n ours:    \(ours.answers.debugDescription)\n haproxy: \(theirs.answers.debugDescription)")
        #expect(ours.received == theirs.received, "\(name) received\n ours:    \(ours.received)\n haproxy: \(theirs.received)")
        #expect(ours.logs == theirs.logs, "\(name) logs\n ours:    \(ours.logs)\n haproxy: \(theirs.logs)")
        // the scenario is what it says (a test that could pass with nothing working fails here)
        let a = ours.answers.first ?? ""
        switch name {
        case "response whole": #expect(a.contains("x-res-len: 1001\r\n"))
        case "response at-least": #expect(a.contains("x-res-len: 1000\r\n"))
        case "response timeout": #expect(a.hasPrefix("HTTP/1.1 504 ")); #expect(ours.logs.first?.contains(" sR--") == true)
        case "response until close": #expect(a.contains("x-res-len: 11\r\n"))
        case "response chunked deny": #expect(a.hasPrefix("HTTP/1.1 502 ")); #expect(ours.logs.first?.contains(" PH--") == true)
        case "request whole": #expect(ours.received.first?.first?.contains("x-req-len: 1001") == true)
        case "request at-least": #expect(ours.received.first?.first?.contains("x-req-len: 1000") == true)
        case "request timeout": #expect(a.hasPrefix("HTTP/1.1 408 "))
        default: break
        }
    }
}
