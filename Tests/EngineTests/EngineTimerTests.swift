// Deadlines: none fires early, each ends the exchange the way its phase says.
import CUring
import Glibc
import Testing

@Suite(.serialized) struct EngineTimerTests {
    @Test func requestHeadDeadlineNeverFiresEarly() throws {
        let h = try EngineHarness(HarnessOptions(httpRequestTimeoutMs: 300))
        defer { h.stop() }
        let start = Sockets.now()
        let c = try h.client()
        try c.send("GET / HTTP/1.1\r\n")
        #expect(c.closes(within: 3000))
        let elapsed = Sockets.now() - start
        #expect(elapsed >= 300)
        #expect(h.heads.records.first?.term == "cR")
    }

    /// Issue 15 item 4: HAProxy starts `timeout http-request` at the request's first byte, on
    /// a new connection as between keep-alive requests.
    @Test(arguments: [false, true]) func requestHeadDeadlineCountsFromTheFirstByte(keepAlive: Bool) throws {
        let h = try EngineHarness(HarnessOptions(httpRequestTimeoutMs: 400, keepAliveTimeoutMs: 1000))
        defer { h.stop() }
        let c = try h.client()
        if keepAlive {
            try c.send("GET /local HTTP/1.1\r\n\r\n")
            _ = try c.response()
        }
        usleep(300_000)
        let first = Sockets.now()
        try c.send("GET / HTTP/1.1\r\n")
        let r = try c.response(timeoutMs: 3000)
        let seen = Sockets.now() - first
        #expect(r.status == 408)
        #expect(seen >= 400)
        #expect(eventually { h.heads.records.count == (keepAlive ? 2 : 1) })
        let d = h.heads.records.last
        // Tt counts from the first byte too: within what the client saw (counted from the idle
        // start, it would hold the 300 ms before it); a loaded machine may make both late
        #expect(d?.term == "cR" && d?.bytesOut == 0 && (d?.tt ?? 0) >= 400 && Int64(d?.tt ?? 99999) <= seen + 10, "Tt \(d?.tt ?? -1), client \(seen)")
    }

    /// Without `timeout http-request`, `timeout client` is an inactivity timeout on the head.
    @Test func clientTimeoutIsAnInactivityTimeoutOnTheHead() throws {
        let h = try EngineHarness(HarnessOptions(clientTimeoutMs: 300))
        defer { h.stop() }
        let c = try h.client()
        for byte in Array("GET /local HTTP/1.1\r\nHost: x\r\n".utf8) {
            try c.send([byte])
            usleep(60_000)                      // 2 s in all, never 300 ms without a byte
        }
        try c.send("\r\n")
        let r = try c.response()
        #expect(r.status == 200)
        // and once the client stops sending, the deadline comes
        let start = Sockets.now()          // before the first byte, which starts the deadline
        try c.send("GET / HTTP/1.1\r\n")
        #expect(try c.response(timeoutMs: 2000).status == 408)
        #expect(Sockets.now() - start >= 300)
    }

    @Test func serverDeadlineNeverFiresEarly() throws {
        let origin = try ScriptedOrigin { conn, _ in _ = try conn.readHead(); _ = conn.seesClose(within: 5000) }
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], serverTimeoutMs: 300))
        defer { h.stop() }
        let c = try h.client()
        #expect(eventually { h.stats().turns > 0 })
        let start = Sockets.now()
        try c.send("GET / HTTP/1.1\r\n\r\n")
        #expect(try c.response(timeoutMs: 3000).status == 504)
        #expect(Sockets.now() - start >= 300)
        #expect(eventually { h.heads.records.count == 1 })
        let r = h.heads.records.first
        #expect(r?.term == "sH" && r?.status == 504)
    }

    @Test func keepAliveIdleDeadlineNeverFiresEarly() throws {
        let h = try EngineHarness(HarnessOptions(keepAliveTimeoutMs: 250))
        defer { h.stop() }
        let c = try h.client()
        // from before the request: the engine arms the idle deadline at its loop's clock, which
        // can be a millisecond or more behind the moment this thread reads the response
        let start = Sockets.now()
        try c.send("GET /local HTTP/1.1\r\n\r\n")
        _ = try c.response()
        #expect(c.closes(within: 3000))
        #expect(Sockets.now() - start >= 250)
        #expect(h.quiescent())
    }

    @Test func connectDeadlineNeverFiresEarly() throws {
        // A server whose accept queue is full: SYNs are dropped, the connect hangs.
        let hole = try Sockets.listen(backlog: 0)
        defer { close(hole.fd) }
        let fillers = (0..<4).compactMap { _ in try? nonBlockingConnect(hole.port) }
        defer { fillers.forEach { close($0) } }
        let h = try EngineHarness(HarnessOptions(servers: [hole.port], connectTimeoutMs: 300))
        defer { h.stop() }
        let c = try h.client()
        #expect(eventually { h.stats().turns > 0 })
        let start = Sockets.now()
        try c.send("GET / HTTP/1.1\r\n\r\n")
        #expect(try c.response(timeoutMs: 3000).status == 503)
        #expect(Sockets.now() - start >= 300)
        #expect(eventually { h.heads.records.count == 1 })
        let r = h.heads.records.first
        #expect(r?.term == "sC" && r?.status == 503)
    }
}

/// Starts a connect without waiting (fills a listener's queue).
func nonBlockingConnect(_ port: UInt16) throws -> Int32 {
    let fd = socket(AF_INET, Int32(Glibc.SOCK_STREAM.rawValue) | Int32(Glibc.SOCK_NONBLOCK.rawValue), 0)
    var a = Sockets.loopback(port: port)
    _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    return fd
}
