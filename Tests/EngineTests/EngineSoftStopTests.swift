// Issue 15 item 1: a soft stop (reload with -sf, SIGUSR1) loses no request. The response being
// prepared is marked close (the head handler is asked for `Connection: close`); a connection
// whose response already went out without it stays open for the next request, which is
// answered (with close); a keep-alive connection is closed only once it has been quiet.
import CUring
import Glibc
import Testing

@Suite(.serialized) struct EngineSoftStopTests {
    @Test(arguments: [false, true]) func theResponseInPreparationIsMarkedClose(singleShot: Bool) throws {
        let origin = try ScriptedOrigin { conn, _ in
            _ = try conn.readHead()
            usleep(300_000)
            try conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            _ = conn.seesClose(within: 3000)
        }
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], singleShot: singleShot))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET / HTTP/1.1\r\n\r\n")
        #expect(eventually { origin.connectionsAccepted == 1 })
        h.beginSoftStop()
        #expect(eventually { h.stats().stopping == 1 })
        #expect(try c.response().status == 200)
        #expect(h.heads.responseCloseAsked.withLock { $0 } == [true])
        #expect(c.closes(within: 2000))
    }

    @Test(arguments: [false, true]) func aResponseAlreadySentWithoutCloseLeavesTheNextRequestAnswered(singleShot: Bool) throws {
        // The head goes out before the stop (no close announced), the body after it: the
        // client then sends its next request at once, as keep-alive allows.
        let origin = try ScriptedOrigin { conn, _ in
            while true {
                let head = try conn.readHead(timeoutMs: 5000)
                if head.hasPrefix("GET /slow") {
                    try conn.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab")
                    usleep(300_000)
                    try conn.write("cd")
                } else {
                    try conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                }
            }
        }
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], singleShot: singleShot))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET /slow HTTP/1.1\r\n\r\n")
        #expect(eventually { h.heads.responseCloseAsked.withLock { $0.count } == 1 })
        h.beginSoftStop()
        #expect(eventually { h.stats().stopping == 1 })
        let first = try c.response()
        #expect(first.body == Array("abcd".utf8))
        try c.send("GET /next HTTP/1.1\r\n\r\n")
        let next = try c.response()
        #expect(next.status == 200 && next.body == Array("ok".utf8))
        #expect(h.heads.responseCloseAsked.withLock { $0 } == [false, true])
        #expect(c.closes(within: 2000))
    }

    @Test func aQuietKeepAliveConnectionClosesAtOnceARecentOneAfterItsGrace() throws {
        let h = try EngineHarness(HarnessOptions())
        defer { h.stop() }
        let quiet = try h.client()
        try quiet.send("GET /local HTTP/1.1\r\n\r\n")
        _ = try quiet.response()
        usleep(700_000)                               // quiet for longer than the grace
        let recent = try h.client(), silent = try h.client()
        for c in [recent, silent] {
            try c.send("GET /local HTTP/1.1\r\n\r\n")
            _ = try c.response()
        }
        let stop = Sockets.now()
        h.beginSoftStop()
        #expect(quiet.closes(within: 300))
        #expect(!silent.closes(within: 100))
        // the recent one may still send a request: it is answered, then closed
        try recent.send("GET /local HTTP/1.1\r\n\r\n")
        #expect(try recent.response().status == 200)
        #expect(recent.closes(within: 2000))
        #expect(Sockets.now() - stop < 2000)
        // and a recent one that sends nothing is closed after its grace, not at once
        #expect(silent.closes(within: 2000))
        #expect(h.stats().soft_closes == 1)
    }
}
