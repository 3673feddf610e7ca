// Under load the worker's provided buffers run out (ENOBUFS): a client's multishot receive
// then stops until buffers come back, and what the client sends meanwhile waits in its
// socket. Such a client is not idle: a soft stop (or a keep-alive deadline) that took it for
// idle closed it with its request unanswered ("connection closed with 0 bytes").
import CUring
import Glibc
import Synchronization
import Testing

/// A gate the origin's script waits on.
final class Gate: Sendable {
    private let isOpen = Atomic<Bool>(false)
    func open() { isOpen.store(true, ordering: .releasing) }
    func wait(timeoutMs: Int64 = 10000) { _ = eventually(timeoutMs) { isOpen.load(ordering: .acquiring) } }
}

@Suite(.serialized) struct EngineBufferShortageTests {
    @Test func aKeepAliveClientWhoseRequestWaitsForBuffersIsNotClosedBySoftStop() throws {
        let gate = Gate()
        let origin = try ScriptedOrigin { conn, _ in
            _ = try conn.readHead()
            gate.wait()
            try conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        }
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], bufringEntries: 4, clientTimeoutMs: 20000, serverTimeoutMs: 20000))
        defer { h.stop() }
        // two keep-alive clients between two requests: `quiet` for longer than the soft stop's
        // grace (500 ms), `recent` not (each way of closing an idle client is checked)
        let quiet = try h.client(), recent = try h.client()
        try quiet.send("GET /local HTTP/1.1\r\n\r\n")
        #expect(try quiet.response().status == 200)
        let quietSince = Sockets.now()
        _ = eventually { Sockets.now() - quietSince > 600 }          // the grace, and more
        try recent.send("GET /local HTTP/1.1\r\n\r\n")
        #expect(try recent.response().status == 200)
        // b: a request the origin holds; then bytes that wait behind it and take every provided
        // buffer (its exchange reads nothing until its response is through)
        let b = try h.client()
        try b.send("GET /hold HTTP/1.1\r\nConnection: close\r\n\r\n")
        #expect(eventually { origin.connectionsAccepted == 1 })
        try b.send(String(repeating: "X", count: 40_000))
        #expect(eventually { h.stats().enobufs == 1 && h.stats().bufs_out == 4 })
        // their next requests: no buffer for them, they stay in their sockets
        for c in [quiet, recent] { try c.send("GET /local HTTP/1.1\r\n\r\n") }
        #expect(eventually { h.stats().enobufs == 3 }, "the clients' receives did not run out of buffers: \(h.stats())")
        h.beginSoftStop()
        #expect(eventually { h.stats().stopping == 1 })
        for c in [quiet, recent] { #expect(!c.closes(within: 1000), "closed as idle with its request unanswered") }
        #expect(h.stats().soft_closes == 0)
        gate.open()                                   // b's exchange ends, its buffers come back
        #expect(try b.response().status == 200)
        for c in [quiet, recent] {
            #expect(try c.response().status == 200)
            #expect(c.closes(within: 2000))
        }
        #expect(eventually { h.stats().active == 0 })
    }
}
