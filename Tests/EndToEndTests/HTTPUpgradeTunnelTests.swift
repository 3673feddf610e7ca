// An HTTP connection upgraded by a 101 Switching Protocols (WebSocket and the like) becomes a
// tunnel: after the 101 both sides' bytes are relayed as they are, and half-closes passed on.
// Run through ringproxy and, where it is installed, HAProxy 2.6.
import CBench
import CUring
import Foundation
import Glibc
import Testing

@Suite(.serialized) struct HTTPUpgradeTunnelTests {
    /// Answers the upgrade with a 101, then echoes upper-cased until the client half-closes,
    /// then writes "bye" and closes.
    static func upgradingOrigin() throws -> ScriptedTCPOrigin {
        try tunnelOrigin(answer: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nConnection: Upgrade\r\n\r\n")
    }

    /// Reads a request head, writes `answer`, then echoes upper-cased until the client
    /// half-closes, then writes "bye" and closes (ConnectTunnelTests too).
    static func tunnelOrigin(answer: String) throws -> ScriptedTCPOrigin {
        try ScriptedTCPOrigin { peer, _ in
            guard peer.readHead() != nil else { return }
            peer.write(answer)
            var pending = peer.buffer                  // bytes the client sent right after its head
            var b = [UInt8](repeating: 0, count: 65536)
            while true {
                if !pending.isEmpty { peer.write(pending.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }); pending = [] }
                let n = b.withUnsafeMutableBytes { recv(peer.fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                pending = Array(b[0..<n])
            }
            peer.write("bye")
        }
    }

    @Test(arguments: [false, true])
    func upgradedConnectionIsATunnel(_ sendEarly: Bool) throws {
        let origin = try Self.upgradingOrigin()
        defer { origin.stop() }
        let port = freePort()
        let config = """
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 1s
            listen l
                bind 127.0.0.1:\(port)
                server s 127.0.0.1:\(origin.port)

            """
        var seen: [String] = []
        for binary in [ProxyProcess.ringproxyBinary] + (HAProxyProcess.executable.map { [$0] } ?? []) {
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { p.stop() }
            let c = try RawHTTP(port: port)
            // (HAProxy checks the WebSocket key and accept headers: a 400 / 502 without them)
            let head = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\nConnection: Upgrade\r\n\r\n"
            // early: the first tunnel bytes in the same send as the request head
            try c.send(head + (sendEarly ? "early " : ""))
            let r = try c.readResponse()
            var text = "\(r.status) "
            try c.send("abc")
            shutdown(c.fd, Int32(SHUT_WR))
            text += String(decoding: try c.readAllUntilClose(), as: UTF8.self)
            seen.append(text)
        }
        let want = "101 " + (sendEarly ? "EARLY " : "") + "ABCbye"
        #expect(seen[0] == want, "\(seen)")
        #expect(seen.allSatisfy { $0 == want }, "\(seen)")
    }
}
