// `server … socks4 ADDR:PORT` for traffic, side by side with HAProxy 2.6.12: a new connection to
// the server goes to the SOCKS4 proxy, which gets the 16-byte CONNECT request (version 4,
// command 1, the server's port and address, user id "HAProxy"); a grant (0x5A) makes it the
// server's connection (the request follows on it), a refusal is a failed connection (retries,
// then 503 SC). The SOCKS4 proxy is a scripted server that answers the request itself once it
// granted it. Compared: what the client sees, what the proxy received, the log line.
import Foundation
import Testing

@Suite(.serialized) struct Socks4TrafficEndToEndTests {
    typealias S = ScriptedServer

    /// The server's address is never contacted directly: only named in the CONNECT request.
    static let serverPort: UInt16 = 8080

    static func config(socks: UInt16, retries: Int) -> String {
        rulesConfig("", backend: "retries \(retries)\ntimeout connect 300ms")
            .replacingOccurrences(of: "server s1 @BACK@", with: "server s1 192.0.2.10:\(serverPort) socks4 127.0.0.1:\(socks)")
    }

    struct Run { var answer = ""; var received: [[UInt8]] = []; var logs: [String] = [] }

    static func run(_ script: [S.Step], retries: Int, connections: Int, haproxy: Bool) throws -> Run {
        let socks = try S(script)
        defer { socks.stop() }
        let syslog = try SyslogCollector()
        defer { syslog.stop() }
        let front = freePort()
        let cfg = config(socks: socks.port, retries: retries)
            .replacingOccurrences(of: "@FRONT@", with: "\(front)")
            .replacingOccurrences(of: "@LOG@", with: "127.0.0.1:\(syslog.port)")
        let p = haproxy ? try HAProxyProcess.start(config: cfg, waitForPorts: [front])
                        : try ProxyProcess(config: cfg, waitForPorts: [front])
        defer { _ = p.stop() }
        var out = Run()
        let c = try RawHTTP(port: front)
        try c.send("GET /x HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n")
        let r = try c.readResponse(timeout: .seconds(5))
        out.answer = WaitForBodyEndToEndTests.normalizedAnswer(String(decoding: r.rawHead + r.rawBody, as: UTF8.self))
        out.logs = syslog.waitForMessages(count: 1, timeout: .seconds(5)).map(RuleDifferential.normalizedLog)
        let until = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < until, socks.connections.count < connections { usleep(20_000) }   // recorded once each ends
        out.received = socks.connections.map { b in
            // the CONNECT request as is; the HTTP request after it with its head normalised
            let rest = String(decoding: b.dropFirst(16), as: UTF8.self)
            return Array(b.prefix(16)) + Array(RuleDifferential.normalizedHead(rest).utf8)
        }
        return out
    }

    static let connectRequest: [UInt8] = [4, 1, UInt8(serverPort >> 8), UInt8(serverPort & 0xff), 192, 0, 2, 10] + Array("HAProxy".utf8) + [0]
    static let granting: [S.Step] = [.receive(16), S.hex("005A000000000000"), .receiveHTTPRequest,
                                     S.text("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\ngranted")]
    static let refusing: [S.Step] = [.receive(16), S.hex("005B000000000000")]

    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed"))
    func grantedAsHAProxy() throws {
        let theirs = try Self.run(Self.granting, retries: 1, connections: 1, haproxy: true)
        let ours = try Self.run(Self.granting, retries: 1, connections: 1, haproxy: false)
        #expect(ours.answer.hasPrefix("HTTP/1.1 200 ") && ours.answer.hasSuffix("granted"), "\(ours.answer)")
        #expect(ours.received.first.map { Array($0.prefix(16)) } == Self.connectRequest, "\(ours.received)")
        #expect(ours.answer == theirs.answer, "ours: \(ours.answer.debugDescription)\nhaproxy: \(theirs.answer.debugDescription)")
        #expect(ours.received == theirs.received, "ours: \(ours.received)\nhaproxy: \(theirs.received)")
        #expect(ours.logs == theirs.logs, "ours: \(ours.logs)\nhaproxy: \(theirs.logs)")
    }

    /// A SOCKS4 proxy that never answers: `timeout connect` covers the handshake (sC), retried.
    static let silent: [S.Step] = [.receive(16), .sleep(milliseconds: 800)]

    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed"))
    func handshakeTimeoutAsHAProxy() throws {
        let theirs = try Self.run(Self.silent, retries: 1, connections: 2, haproxy: true)
        let ours = try Self.run(Self.silent, retries: 1, connections: 2, haproxy: false)
        #expect(ours.answer.hasPrefix("HTTP/1.1 503 "), "\(ours.answer)")
        #expect(ours.logs.first?.contains(" sC--") == true, "\(ours.logs)")
        #expect(ours.received.count == 2 && ours.received.allSatisfy { $0 == Self.connectRequest }, "\(ours.received)")
        #expect(ours.answer == theirs.answer, "ours: \(ours.answer.debugDescription)\nhaproxy: \(theirs.answer.debugDescription)")
        #expect(ours.received == theirs.received, "ours: \(ours.received)\nhaproxy: \(theirs.received)")
        #expect(ours.logs == theirs.logs, "ours: \(ours.logs)\nhaproxy: \(theirs.logs)")
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed"))
    func refusedAsHAProxy() throws {
        let theirs = try Self.run(Self.refusing, retries: 1, connections: 2, haproxy: true)
        let ours = try Self.run(Self.refusing, retries: 1, connections: 2, haproxy: false)
        #expect(ours.answer.hasPrefix("HTTP/1.1 503 "), "\(ours.answer)")
        #expect(ours.logs.first?.contains(" SC--") == true, "\(ours.logs)")
        #expect(ours.received.count == 2 && ours.received.allSatisfy { $0 == Self.connectRequest }, "\(ours.received)")
        #expect(ours.answer == theirs.answer, "ours: \(ours.answer.debugDescription)\nhaproxy: \(theirs.answer.debugDescription)")
        #expect(ours.received == theirs.received, "ours: \(ours.received)\nhaproxy: \(theirs.received)")
        #expect(ours.logs == theirs.logs, "ours: \(ours.logs)\nhaproxy: \(theirs.logs)")
    }
}
