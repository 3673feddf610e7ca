// The response half's buffer is larger than the request half's (a 64 KiB response in one
// receive and one send), but a response head must still end within the first 32 KiB.
import CUring
import Glibc
import Testing

@Suite(.serialized) struct EngineResponseBufferTests {
    /// Responses around and above the old 32 KiB buffer, each written by the origin in one go,
    /// arrive intact and the connection keeps alive between them (with and without splicing).
    @Test(arguments: [0, 65536]) func responsesLargerThanTheRequestBufferArriveIntact(spliceThreshold: Int32) throws {
        let sizes = [40_000, 65_536, 100_000, 131_072, 300_000, 10]
        let origin = try ScriptedOrigin { conn, _ in
            while true {
                let head = try conn.readHead(timeoutMs: 10000)
                let n = Int(head.split(separator: " ")[1].dropFirst()) ?? 0
                try conn.write(Array("HTTP/1.1 200 OK\r\nContent-Length: \(n)\r\n\r\n".utf8) + pattern(n, seed: n))
            }
        }
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], spliceThreshold: spliceThreshold))
        defer { h.stop() }
        let c = try h.client()
        for n in sizes {
            try c.send("GET /\(n) HTTP/1.1\r\n\r\n")
            let r = try c.response(timeoutMs: 20000)
            #expect(r.status == 200 && r.body.count == n && r.body == pattern(n, seed: n), "response of \(n) bytes")
        }
        #expect(origin.connectionsAccepted == 1)
    }

    /// A head that does not end within 32 KiB is refused (502) even though the response
    /// buffer could hold it: the limit is the head's, not the buffer's.
    @Test func aResponseHeadLongerThan32KiBIsRefused() throws {
        let origin = try ScriptedOrigin { conn, _ in
            _ = try conn.readHead(timeoutMs: 10000)
            let big = String(repeating: "x", count: 40_000)
            try conn.write("HTTP/1.1 200 OK\r\nX-Big: \(big)\r\nContent-Length: 0\r\n\r\n")
            _ = try? conn.readHead(timeoutMs: 2000)
        }
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port]))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET / HTTP/1.1\r\n\r\n")
        #expect(try c.response(timeoutMs: 10000).status == 502)
    }
}
