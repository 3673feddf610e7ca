// The engine's exchange state machine with a fake head handler: keep-alive, local answers,
// closes, half-closes, the server pool and its replay, both receive modes.
import CUring
import Glibc
import Testing

/// An origin that answers every request on a connection with `body` (keep-alive), echoing a
/// request body's length in X-Got.
func echoOrigin(body: String = "hello", extraHeaders: String = "") throws -> ScriptedOrigin {
    try ScriptedOrigin { conn, _ in
        while true {
            let head = try conn.readHead(timeoutMs: 10000)
            let n = FakeHeads.header(head, "content-length").flatMap { Int($0) } ?? 0
            let got = try conn.readBody(n)
            try conn.write("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\nX-Got: \(got.count)\r\n\(extraHeaders)\r\n\(body)")
        }
    }
}

@Suite(.serialized) struct EngineExchangeTests {
    @Test(arguments: [false, true]) func keepAliveReusesTheServerConnection(singleShot: Bool) throws {
        let origin = try echoOrigin()
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], singleShot: singleShot))
        defer { h.stop() }
        let c = try h.client()
        for i in 0..<3 {
            try c.send("GET /r\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try c.response()
            #expect(r.status == 200)
            #expect(String(decoding: r.body, as: UTF8.self) == "hello")
        }
        let s = h.freshStats()
        #expect(origin.connectionsAccepted == 1)
        #expect(s.pool_hits == 2)
        #expect(s.pool_puts == 3)
        #expect(s.connects == 1)
        #expect(s.multishot == (singleShot ? 0 : 1))
        #expect(h.heads.records.map(\.status) == [200, 200, 200])
        #expect(h.heads.records.map(\.requestIndex) == [0, 1, 2])
    }

    @Test func localAnswersKeepAliveThenCloseOnRequest() throws {
        let h = try EngineHarness(HarnessOptions())
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET /local HTTP/1.1\r\n\r\n")
        #expect(try c.response().status == 200)
        try c.send("GET /local HTTP/1.1\r\n\r\n")
        #expect(try c.response().status == 200)
        #expect(!c.closes(within: 100))
        try c.send("GET /close HTTP/1.1\r\n\r\n")
        #expect(try c.response().status == 200)
        #expect(c.closes(within: 2000))
        #expect(h.quiescent())
        #expect(h.stats().closes == 1)
    }

    @Test(arguments: [false, true]) func pipelinedRequestsAreAnsweredInOrder(singleShot: Bool) throws {
        let origin = try echoOrigin()
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], singleShot: singleShot))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET /a HTTP/1.1\r\n\r\nGET /local HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        let r1 = try c.response(), r2 = try c.response(), r3 = try c.response()
        #expect([r1.status, r2.status, r3.status] == [200, 200, 200])
        #expect(String(decoding: r2.body, as: UTF8.self) == "local")
        #expect(r3.header("x-got") == "3")
    }

    @Test(arguments: [false, true]) func clientHalfCloseAfterACompleteRequestStillGetsTheResponse(singleShot: Bool) throws {
        let origin = try ScriptedOrigin { conn, _ in
            _ = try conn.readHead()
            usleep(150_000)                          // the client's FIN arrives first
            try conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        }
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], singleShot: singleShot))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET / HTTP/1.1\r\n\r\n")
        c.shutdownWrite()
        let r = try c.response()
        #expect(r.status == 200 && r.body == Array("ok".utf8))
        #expect(c.closes(within: 2000))
        #expect(h.quiescent())
    }

    @Test(arguments: [false, true]) func deadPooledConnectionIsReplayedOnAFreshOne(singleShot: Bool) throws {
        // The origin answers once without saying it will close, then closes: the pooled
        // connection is dead when the second request takes it.
        let origin = try ScriptedOrigin { conn, _ in
            _ = try conn.readHead()
            try conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            usleep(50_000)
        }
        defer { origin.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [origin.port], singleShot: singleShot))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET /1 HTTP/1.1\r\n\r\n")
        #expect(try c.response().status == 200)
        #expect(eventually { origin.connectionsClosed == 1 })   // the origin has closed its side
        try c.send("GET /2 HTTP/1.1\r\n\r\n")
        let r = try c.response()
        #expect(r.status == 200)
        let s = h.freshStats()
        #expect(s.replays == 1)
        #expect(origin.connectionsAccepted == 2)
    }

    @Test func hardStopClosesEverythingAndFreesTheEngine() throws {
        let origin = try ScriptedOrigin { conn, _ in _ = try conn.readHead(); _ = conn.seesClose(within: 30_000) }
        defer { origin.stop() }
        // Timeouts far beyond the test's length: under a loaded parallel run the steps below took
        // over 5 s, the server timeout expired and the engine closed its sockets between the two
        // readings of them.
        var o = HarnessOptions(servers: [origin.port])
        o.serverTimeoutMs = 60_000; o.clientTimeoutMs = 60_000
        let h = try EngineHarness(o)
        let clients = try (0..<4).map { _ in try h.client() }
        for c in clients { try c.send("GET / HTTP/1.1\r\n\r\n") }
        // each connected to the origin (which holds them), its request forwarded
        // (by its peers' ports: another test's socket may still be connected to an earlier
        // listener of the same port number, EngineTestSupportTests)
        let mine = { (e: TCPTable.Entry) in e.remote == origin.port && origin.acceptedPeerPorts.contains(e.local) }
        // the engine's sockets, by inode: its listener, the ends of the clients' connections and
        // its connections to the origin (other suites open and close descriptors meanwhile, in
        // this process: a count of all of them could not tell the engine's apart). Read until one
        // reading has them all: /proc/net/tcp is not a snapshot, and a reading taken while other
        // suites open and close sockets can skip entries.
        var listener = Set<UInt64>(), accepted = Set<UInt64>(), toOrigin = Set<UInt64>()
        #expect(eventually {
            listener = TCPTable.inodes { $0.local == h.port && $0.remote == 0 }
            accepted = TCPTable.inodes { $0.local == h.port && $0.remote != 0 }
            toOrigin = TCPTable.inodes(mine)
            return origin.connectionsAccepted == 4 && listener.count == 1 && accepted.count == 4 && toOrigin.count == 4
        }, "listener \(listener.count), accepted \(accepted.count), to the origin \(toOrigin.count)")
        let engine = listener.union(accepted).union(toOrigin)
        #expect(openSocketInodes().isSuperset(of: engine))
        h.stop()
        for c in clients { #expect(c.closes(within: 2000)) }
        #expect(eventually { openSocketInodes().isDisjoint(with: engine) }, "still open: \(openSocketInodes().intersection(engine))")
    }

    @Test func aWorkerThatCannotSetUpItsRingFailsTheStartAndUnbinds() throws {
        var o = HarnessOptions()
        o.failWorker = 1
        o.engineBinds = true
        var message = ""
        do { _ = try EngineHarness(o) } catch { message = "\(error)" }
        #expect(message.contains("worker 0: io_uring setup failed"))
        // nobody listens on the port any more
        var port: UInt16 = 0
        o.failWorker = 0
        let ok = try EngineHarness(o)           // the port is free again: bind it to learn it
        port = ok.port
        ok.stop()
        #expect(throws: SocketError.self) { _ = try Sockets.connect(port: port) }
    }
}

/// The inodes of the sockets this process holds open (/proc/self/fd links "socket:[N]").
func openSocketInodes() -> Set<UInt64> {
    guard let d = opendir("/proc/self/fd") else { return [] }
    defer { closedir(d) }
    var out = Set<UInt64>()
    var link = [CChar](repeating: 0, count: 128)
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let n = readlink("/proc/self/fd/" + name, &link, link.count - 1)
        guard n > 0 else { continue }
        let text = String(decoding: link[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("socket:["), let v = UInt64(text.dropFirst(8).dropLast()) { out.insert(v) }
    }
    return out
}

/// IPv4 TCP sockets on loopback as /proc/net/tcp lists them (ports only; 0 = none).
enum TCPTable {
    struct Entry { var local: UInt16; var remote: UInt16; var inode: UInt64 }
    static func entries() -> [Entry] {
        guard let f = fopen("/proc/net/tcp", "r") else { return [] }
        defer { fclose(f) }
        var out: [Entry] = []
        var line = [CChar](repeating: 0, count: 512)
        _ = fgets(&line, Int32(line.count), f)                      // the header
        while fgets(&line, Int32(line.count), f) != nil {
            let w = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
            guard w.count > 9, let l = w[1].split(separator: ":").last, let r = w[2].split(separator: ":").last,
                  let lp = UInt16(l, radix: 16), let rp = UInt16(r, radix: 16), let ino = UInt64(w[9]) else { continue }
            out.append(Entry(local: lp, remote: rp, inode: ino))
        }
        return out
    }
    static func inodes(_ match: (Entry) -> Bool) -> Set<UInt64> { Set(entries().filter(match).map(\.inode).filter { $0 != 0 }) }
}
