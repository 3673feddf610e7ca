// Issue 15 item 2: a client that half-closes (or closes) in the middle of its request ends the
// exchange at once — an incomplete head is answered 400 and logged CR, an incomplete body closes
// both connections and is logged CD — while a complete request still gets its response.
import CUring
import Glibc
import Testing
import Synchronization

@Suite(.serialized) struct EngineHalfCloseTests {
    static let partialBodies = [
        "POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nh",
        "POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe",
        "POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
    ]

    @Test(arguments: [false, true], partialBodies)
    func halfCloseDuringTheBodyEndsBothConnectionsAtOnce(singleShot: Bool, request: String) throws {
        let originSawClose = Atomic2()
        let origin = try ScriptedOrigin { conn, _ in
            _ = try conn.readHead()
            if conn.seesClose(within: 8000) { originSawClose.set() }
        }
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], singleShot: singleShot, clientTimeoutMs: 10000, serverTimeoutMs: 10000))
        defer { h.stop() }
        let c = try h.client()
        try c.send(request)
        #expect(eventually { origin.connectionsAccepted == 1 })
        let start = Sockets.now()
        c.shutdownWrite()
        #expect(c.closes(within: 3000))
        #expect(Sockets.now() - start < 2000)              // not at a timeout (10 s)
        #expect(c.pending.isEmpty)                          // no answer: the exchange is cut
        #expect(eventually(3000) { originSawClose.value })
        let r = h.heads.records
        #expect(r.count == 1 && r.first?.term == "CD" && r.first?.status == -1)
        #expect(h.quiescent())
    }

    @Test(arguments: [false, true], ["GET /f HTTP/1.1\r\nHost: x\r\n", "G", ""])
    func halfCloseDuringTheHeadIsA400(singleShot: Bool, request: String) throws {
        let h = try EngineHarness(HarnessOptions(singleShot: singleShot, clientTimeoutMs: 10000))
        defer { h.stop() }
        let c = try h.client()
        if !request.isEmpty { try c.send(request) }
        c.shutdownWrite()
        let r = try c.response(timeoutMs: 3000)
        #expect(r.status == 400)
        #expect(c.closes(within: 2000))
        #expect(eventually { h.heads.records.count == 1 })
        let d = h.heads.records.first
        #expect(d?.term == "CR" && d?.status == 400 && d?.bytesOut == 0)
    }

    @Test(arguments: [false, true]) func idleKeepAliveCloseIsNotAnError(singleShot: Bool) throws {
        let h = try EngineHarness(HarnessOptions(singleShot: singleShot))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET /local HTTP/1.1\r\n\r\n")
        _ = try c.response()
        c.shutdownWrite()
        #expect(c.closes(within: 2000))
        #expect(c.pending.isEmpty)
        #expect(h.quiescent())
        #expect(h.heads.records.count == 1)                 // only the request
    }
}

/// A flag set from another thread.
final class Atomic2: @unchecked Sendable {
    private let m = Mutex<Bool>(false)
    func set() { m.withLock { $0 = true } }
    var value: Bool { m.withLock { $0 } }
}
