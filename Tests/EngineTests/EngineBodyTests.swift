// Bodies through the engine: the splice pump starting and stopping at the end of a message,
// provided-buffer back-pressure (ENOBUFS), and closes while a send is in flight.
import CUring
import Glibc
import Testing

@Suite(.serialized) struct EngineBodyTests {
    @Test(arguments: [false, true]) func largeBodiesAreSplicedAndKeepAliveGoesOn(singleShot: Bool) throws {
        let size = 1 << 20
        let body = pattern(size)
        let origin = try ScriptedOrigin { conn, _ in
            while true {
                let head = try conn.readHead(timeoutMs: 10000)
                let n = FakeHeads.header(head, "content-length").flatMap { Int($0) } ?? 0
                let got = try conn.readBody(n)
                let ok = got == pattern(n, seed: 3)
                if head.hasPrefix("GET /big") {
                    try conn.write("HTTP/1.1 200 OK\r\nContent-Length: \(size)\r\n\r\n")
                    try conn.write(body)
                } else {
                    try conn.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Got: \(got.count)\r\nX-OK: \(ok)\r\n\r\n")
                }
            }
        }
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], singleShot: singleShot, spliceThreshold: 65536))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET /big HTTP/1.1\r\n\r\n")
        let r = try c.response(timeoutMs: 20000)
        #expect(r.status == 200 && r.body.count == size && r.body == body)
        var s = h.freshStats()
        #expect(s.splices == 1 && s.splices_done == 1)
        // a request body above the threshold, on the same client and server connections
        try c.send("POST /up HTTP/1.1\r\nContent-Length: \(size)\r\n\r\n")
        try c.send(pattern(size, seed: 3))
        let up = try c.response(timeoutMs: 20000)
        #expect(up.header("x-got") == "\(size)" && up.header("x-ok") == "true")
        s = h.freshStats()
        #expect(s.splices == 2 && s.splices_done == 2)
        // and a small exchange after both, still on the same connection
        try c.send("POST /small HTTP/1.1\r\nContent-Length: 10\r\n\r\n")
        try c.send(pattern(10, seed: 3))
        #expect(try c.response().header("x-ok") == "true")
        #expect(origin.connectionsAccepted == 1)
    }

    /// A response delimited by the server's close (no Content-Length, not chunked), with
    /// `option splice-response`: spliced until the server's EOF, then the client connection
    /// closes at once (not at its timeout); the spliced bytes are reported for the h1 stats.
    @Test(arguments: [false, true]) func closeDelimitedResponseIsSplicedThenTheClientCloses(splice: Bool) throws {
        let size = 1 << 20
        let body = pattern(size, seed: 7)
        let origin = try ScriptedOrigin { conn, _ in
            _ = try conn.readHead(timeoutMs: 10000)
            try conn.write("HTTP/1.1 200 OK\r\n\r\n")
            try conn.write(body)
            // the origin's connection closes when the script returns: the body's end
        }
        defer { origin.stop() }
        // a client timeout far beyond the test's wait: a close seen in time is the engine's
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], spliceResponse: splice, clientTimeoutMs: 30000, serverTimeoutMs: 30000))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET /stream HTTP/1.1\r\n\r\n")
        let r = try c.response(timeoutMs: 10000)
        #expect(r.status == 200 && r.body.count == size && r.body == body)
        let s = h.freshStats()
        #expect(s.splices == (splice ? 1 : 0) && s.splices_done == (splice ? 1 : 0))
        #expect(eventually { h.heads.records.count == 1 })
        let d = try #require(h.heads.records.first)
        #expect(d.status == 200 && d.term == "--")
        #expect(d.bytesOut >= UInt64(size))
        #expect(d.splicedReq == 0)
        if splice {
            // what came with the head went by copy; the rest (most of it) by splice
            #expect(d.splicedResp > UInt64(size / 2) && d.splicedResp <= UInt64(size))
        } else {
            #expect(d.splicedResp == 0)
        }
    }

    @Test func exhaustedProvidedBuffersPauseReceivesWithoutLosingBytes() throws {
        let size = 1 << 20
        let origin = try ScriptedOrigin(receiveBuffer: 4096) { conn, _ in
            let head = try conn.readHead(timeoutMs: 10000)
            let n = FakeHeads.header(head, "content-length").flatMap { Int($0) } ?? 0
            var got: [UInt8] = []
            usleep(200_000)                          // a late reader behind a small window:
            while got.count < n {                    // the proxy's buffers fill up meanwhile
                got += try conn.readBody(min(65536, n - got.count))
            }
            try conn.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-OK: \(got == pattern(n, seed: 5))\r\n\r\n")
        }
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], bufringEntries: 16, clientTimeoutMs: 60000, serverTimeoutMs: 60000))
        defer { h.stop() }
        let clients = try (0..<4).map { _ in try h.client() }
        for c in clients {
            try c.send("POST / HTTP/1.1\r\nContent-Length: \(size)\r\n\r\n")
        }
        // the bodies, interleaved, so that every connection holds buffers at once
        let body = pattern(size, seed: 5)
        var off = 0
        while off < size {
            for c in clients { try c.send(Array(body[off..<min(size, off + 65536)])) }
            off += 65536
        }
        for c in clients {
            let r = try? c.response(timeoutMs: 10000)
            #expect(r?.header("x-ok") == "true", "stalled: \(h.stats())")
        }
        let s = h.freshStats()
        #expect(s.enobufs > 0)
        #expect(s.multishot == 1)
        #expect(eventually { h.stats().bufs_out == 0 })
    }

    @Test(arguments: [0, 65536]) func clientResetWhileTheResponseSendIsBlocked(spliceThreshold: Int32) throws {
        let size = 32 << 20
        let origin = try ScriptedOrigin { conn, _ in
            _ = try conn.readHead()
            try? conn.write("HTTP/1.1 200 OK\r\nContent-Length: \(size)\r\n\r\n")
            let chunk = [UInt8](repeating: 65, count: 1 << 20)
            for _ in 0..<32 { do { try conn.write(chunk) } catch { return } }
        }
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], spliceThreshold: spliceThreshold, clientTimeoutMs: 20000, serverTimeoutMs: 20000))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET / HTTP/1.1\r\n\r\n")
        // the client reads nothing: the proxy's send (or splice poll) to it blocks
        #expect(eventually { let s = h.stats(); return s.inflight >= 2 && origin.connectionsAccepted == 1 })
        usleep(200_000)
        c.reset()
        #expect(h.quiescent())
        let recs = h.heads.records
        #expect(recs.count == 1 && recs.first?.term == "CD")
        #expect(h.stats().closes == 1)
    }
}
