// Issue 15 item 12 and `option abortonclose`: a client that leaves while its request waits in a
// queue, for a connection or for the response. The queue counters (current, max), the time in
// the queue and "no server assigned" are what the log and the stats need.
import CUring
import Glibc
import Testing

@Suite(.serialized) struct EngineAbortOnCloseTests {
    /// An origin that answers after `delay` ms.
    private func slowOrigin(_ delayMs: UInt32 = 600) throws -> ScriptedOrigin {
        try ScriptedOrigin { conn, _ in
            while true {
                _ = try conn.readHead(timeoutMs: 10000)
                usleep(delayMs * 1000)
                try conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            }
        }
    }

    @Test(arguments: [false, true]) func aClientLeavingTheQueueIsCountedAndLogsNoServer(singleShot: Bool) throws {
        let o = try slowOrigin()
        defer { o.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [o.port], singleShot: singleShot, queueTimeoutMs: 5000,
                                                 serverMaxconn: 1, abortOnClose: true))
        defer { h.stop() }
        let a = try h.client(), b = try h.client()
        try a.send("GET /a HTTP/1.1\r\n\r\n")
        #expect(eventually { o.connectionsAccepted == 1 })
        try b.send("GET /b HTTP/1.1\r\n\r\n")
        #expect(eventually { h.stats().queued == 1 })
        #expect(h.queue(backend: 0) == (1, 1))             // load-balanced: the backend's queue
        #expect(h.queue(server: 0) == (0, 0))
        usleep(200_000)
        b.reset()
        #expect(eventually { h.heads.records.count == 1 })
        let d = h.heads.records[0]
        #expect(d.term == "CQ" && d.status == -1 && d.unassigned)
        #expect(d.tw >= 200 && d.tw < 1000, "Tw \(d.tw)")
        #expect(h.queue(backend: 0) == (0, 1))
        #expect(try a.response().status == 200)
        #expect(eventually { h.heads.records.count == 2 })
        #expect(!h.heads.records[1].unassigned && h.heads.records[1].tw == 0)
    }

    @Test func aQueuedRequestThatGetsItsServerIsNotUnassigned() throws {
        let o = try slowOrigin(300)
        defer { o.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [o.port], queueTimeoutMs: 5000, serverMaxconn: 1))
        defer { h.stop() }
        let a = try h.client(), b = try h.client()
        try a.send("GET /a HTTP/1.1\r\n\r\n")
        #expect(eventually { o.connectionsAccepted == 1 })
        try b.send("GET /b HTTP/1.1\r\n\r\n")
        #expect(try a.response().status == 200)
        #expect(try b.response().status == 200)
        #expect(eventually { h.heads.records.count == 2 })
        let queued = h.heads.records.first { $0.tw > 0 }
        #expect(queued != nil && queued!.unassigned == false && queued!.tw >= 100)
        #expect(h.queue(backend: 0) == (0, 1))
    }

    @Test(arguments: [false, true]) func aClientLeavingWhileTheResponseIsAwaitedAbortsIt(singleShot: Bool) throws {
        let serverSawClose = Atomic2()
        let o = try ScriptedOrigin { conn, _ in
            _ = try conn.readHead()
            if conn.seesClose(within: 3000) { serverSawClose.set() }
        }
        defer { o.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [o.port], singleShot: singleShot, abortOnClose: true))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET / HTTP/1.1\r\n\r\n")
        #expect(eventually { o.connectionsAccepted == 1 })
        usleep(100_000)
        c.shutdownWrite()
        #expect(eventually { h.heads.records.count == 1 })
        let d = h.heads.records.first
        #expect(d?.term == "CH" && d?.status == 400)       // HAProxy 2.6 logs the abort so
        #expect(eventually(3000) { serverSawClose.value })
    }
}
