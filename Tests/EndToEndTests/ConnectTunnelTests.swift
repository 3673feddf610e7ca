// A CONNECT answered with a 2xx becomes a tunnel, as in HAProxy 2.6: after the response head
// both sides' bytes are relayed as they are (the server's bytes after its head included), and
// half-closes are passed on. Run through ringproxy and, where it is installed, HAProxy 2.6.
import CBench
import CUring
import Foundation
import Glibc
import Testing

@Suite(.serialized) struct ConnectTunnelTests {
    /// Answers the CONNECT with `status`, then (for a 2xx) echoes upper-cased until the client
    /// half-closes, then writes "bye" and closes.
    static func connectingOrigin(status: String, headers: String = "", early: String = "") throws -> ScriptedTCPOrigin {
        try HTTPUpgradeTunnelTests.tunnelOrigin(answer: "HTTP/1.1 \(status)\r\n\(headers)\r\n\(early)")
    }

    static func config(_ port: UInt16, _ origin: UInt16) -> String {
        """
        defaults
            mode http
            timeout client 5s
            timeout server 5s
            timeout connect 1s
        listen l
            bind 127.0.0.1:\(port)
            server s 127.0.0.1:\(origin)

        """
    }

    static var binaries: [String] { [ProxyProcess.ringproxyBinary] + (HAProxyProcess.executable.map { [$0] } ?? []) }

    /// (status line, extra response headers, server bytes right after the head, client bytes
    /// in the same send as the CONNECT head)
    @Test(arguments: [("200 Connection established", "", "", ""),
                      ("200 OK", "Content-Length: 0\r\n", "hi ", "early "),
                      ("204 No Content", "", "", "early ")])
    func aTwoHundredMakesATunnel(_ a: (String, String, String, String)) throws {
        let (status, headers, serverEarly, clientEarly) = a
        var seen: [String] = []
        for binary in Self.binaries {
            let origin = try Self.connectingOrigin(status: status, headers: headers, early: serverEarly)
            defer { origin.stop() }
            let port = freePort()
            let p = try ProxyProcess(config: Self.config(port, origin.port), binary: binary, waitForPorts: [port])
            defer { p.stop() }
            let c = try RawHTTP(port: port)
            try c.send("CONNECT backend.example:443 HTTP/1.1\r\nHost: backend.example:443\r\n\r\n" + clientEarly)
            let r = try c.readResponse(forHEAD: true)      // no body: what follows is the tunnel's
            var text = "\(r.status) \(r.header("Connection") ?? "-") "
            try c.send("abc")
            shutdown(c.fd, Int32(SHUT_WR))
            text += String(decoding: try c.readAllUntilClose(), as: UTF8.self)
            seen.append(text)
        }
        let code = status.prefix(3)
        let want = "\(code) - " + serverEarly + clientEarly.uppercased() + "ABCbye"
        #expect(seen[0] == want, "\(seen)")
        #expect(seen.allSatisfy { $0 == want }, "\(seen)")
    }

    /// A CONNECT refused by the server (407) is not a tunnel: the connection goes on in HTTP.
    @Test func aRefusedConnectStaysHTTP() throws {
        var seen: [String] = []
        for binary in Self.binaries {
            let origin = try RecordingOrigin(reply: "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            defer { origin.stop() }
            let port = freePort()
            let p = try ProxyProcess(config: Self.config(port, origin.port), binary: binary, waitForPorts: [port])
            defer { p.stop() }
            let c = try RawHTTP(port: port)
            try c.send("CONNECT backend.example:443 HTTP/1.1\r\nHost: backend.example:443\r\n\r\n")
            let r1 = try c.readResponse()
            try c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            let r2 = try c.readResponse()
            let requests = origin.connections.flatMap { StrictFraming.messages($0).map(\.requestLine) }
            seen.append("\(r1.status) \(r2.status) \(requests)")
        }
        let want = "407 407 [\"CONNECT backend.example:443 HTTP/1.1\", \"GET / HTTP/1.1\"]"
        #expect(seen[0] == want, "\(seen)")
        #expect(seen.allSatisfy { $0 == want }, "\(seen)")
    }

    /// `timeout tunnel` takes over from `timeout client`/`server` once a 101 or a CONNECT's 200
    /// made the connection a tunnel: a silent tunnel is closed after it (long before the 20 s
    /// client and server timeouts), by ringproxy as by HAProxy.
    @Test(arguments: ["GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        + "Sec-WebSocket-Version: 13\r\nConnection: Upgrade\r\n\r\n",
                      "CONNECT backend.example:443 HTTP/1.1\r\nHost: backend.example:443\r\n\r\n"])
    func timeoutTunnelAppliesOnceTheTunnelIsUp(_ request: String) throws {
        let answer = request.hasPrefix("GET")
            ? "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nConnection: Upgrade\r\n\r\n"
            : "HTTP/1.1 200 Connection established\r\n\r\n"
        for binary in Self.binaries {
            let origin = try HTTPUpgradeTunnelTests.tunnelOrigin(answer: answer)
            defer { origin.stop() }
            let port = freePort()
            let config = """
                defaults
                    mode http
                    timeout client 20s
                    timeout server 20s
                    timeout connect 1s
                    timeout tunnel 400ms
                listen l
                    bind 127.0.0.1:\(port)
                    server s 127.0.0.1:\(origin.port)

                """
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { p.stop() }
            let c = try RawHTTP(port: port)
            try c.send(request)
            let r = try c.readResponse(forHEAD: true)
            #expect(r.status == (request.hasPrefix("GET") ? 101 : 200), "\(binary)")
            // one exchange through the tunnel: it is up, and activity pushes the timeout back
            try c.send("ping")
            let echoed = String(decoding: try c.readBytes(4), as: UTF8.self)
            #expect(echoed == "PING", "\(binary)")
            let start = ContinuousClock.now
            #expect(c.isClosed(within: .seconds(8)), "\(binary): the silent tunnel stays open")
            let waited = ContinuousClock.now - start
            #expect(waited >= .milliseconds(300) && waited < .seconds(8), "\(binary): closed after \(waited)")
        }
    }
}
