// A chunked request body whose framing breaks after its head has gone to the server, side by
// side with HAProxy 2.6.12: with no response begun, the client gets the 400 page and the
// connection closes (HAProxy logs PH); the server saw the head and the first chunk only.
// (The differential fuzzer's "chunk error after the head was forwarded" class.)
import Foundation
import Testing

@Suite struct RequestBodyFramingTests {
    static func outcome(_ binary: String) throws -> (status: Int, closed: Bool, origin: String) {
        let origin = try RecordingOrigin()
        defer { origin.stop() }
        let port = freePort()
        let p = try ProxyProcess(config: """
            defaults
                mode http
                timeout connect 2s
                timeout client 5s
                timeout server 5s
            frontend f
                bind 127.0.0.1:\(port)
                default_backend b
            backend b
                server s 127.0.0.1:\(origin.port)
            """, binary: binary, waitForPorts: [port])
        defer { _ = p.stop() }
        let c = try RawHTTP(port: port)
        try c.send("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        // the head and the first chunk reach the server before the bad chunk size is sent
        let forwarded = { (c: [[UInt8]]) in c.first.map { String(decoding: $0, as: UTF8.self).contains("hello\r\n") } == true }
        #expect(forwarded(origin.wait(until: forwarded)), "\(binary): the head never reached the server")
        try c.send("zz\r\nbad\r\n0\r\n\r\n")
        let r = try c.readResponse()
        return (r.status, c.isClosed(within: .seconds(2)), String(decoding: origin.connections.first ?? [], as: UTF8.self))
    }

    @Test func aChunkErrorAfterTheHeadWentIsA400() throws {
        let ours = try Self.outcome(ProxyProcess.ringproxyBinary)
        #expect(ours.status == 400 && ours.closed, "\(ours)")
        #expect(!ours.origin.contains("bad"), "the broken chunk is not forwarded: \(ours.origin)")
        if let h = HAProxyProcess.executable {
            let theirs = try Self.outcome(h)
            #expect(ours.status == theirs.status && ours.closed == theirs.closed, "ringproxy \(ours), haproxy \(theirs)")
        }
    }
}
