// Issue 15 items 3 and 9: what a faulty server leaves behind. A chunked body whose framing
// breaks before the response head has gone out is a 502 (the head is never sent); once the head
// is out, both connections are cut (SD). After a server-side error page (502, 503, 504) a
// keep-alive client keeps its connection, as HAProxy keeps it.
import CUring
import Glibc
import Testing

@Suite(.serialized) struct EngineServerErrorTests {
    /// An origin that answers `/second...` properly and everything else with `bad`.
    private func origin(_ bad: String, thenStall: Bool = false) throws -> ScriptedOrigin {
        try ScriptedOrigin { conn, _ in
            while true {
                let head = try conn.readHead(timeoutMs: 10000)
                if head.hasPrefix("GET /second") {
                    try conn.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond")
                } else {
                    try conn.write(bad)
                    if thenStall { _ = conn.seesClose(within: 5000); return }
                }
            }
        }
    }

    @Test(arguments: [false, true]) func brokenChunkBeforeTheHeadWentOutIsA502AndTheClientStays(singleShot: Bool) throws {
        let o = try origin("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff1\r\nx\r\n0\r\n\r\n", thenStall: true)
        defer { o.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [o.port], singleShot: singleShot))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET /first HTTP/1.1\r\n\r\n")
        let r = try c.response(timeoutMs: 2000)
        #expect(r.status == 502 && r.header("x-kept") == "1")
        #expect(eventually { h.heads.records.count == 1 })
        let d = h.heads.records.first
        #expect(d?.term == "PH" && d?.status == 502, "\(h.heads.records)")
        try c.send("GET /second HTTP/1.1\r\n\r\n")
        #expect(try c.response().body == Array("second".utf8))
        #expect(o.connectionsAccepted == 2)                 // the broken server connection is not reused
    }

    @Test func brokenChunkAfterTheHeadCutsBothConnections() throws {
        let o = try ScriptedOrigin { conn, _ in
            _ = try conn.readHead()
            try conn.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            usleep(200_000)
            try conn.write("ffffffffffffffffff1\r\nx\r\n0\r\n\r\n")
            _ = conn.seesClose(within: 5000)
        }
        defer { o.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [o.port], serverTimeoutMs: 10000))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET / HTTP/1.1\r\n\r\n")
        let start = Sockets.now()
        #expect(c.closes(within: 3000))
        #expect(Sockets.now() - start < 2000)
        #expect(h.heads.records.first?.term == "SD")
        #expect(h.quiescent())
    }

    @Test func anInvalidResponseHeadIs502AndTheClientStays() throws {
        let o = try origin("HTTP/1.1 abc\r\n\r\n", thenStall: true)
        defer { o.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [o.port]))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET /first HTTP/1.1\r\n\r\n")
        let r = try c.response()
        #expect(r.status == 502 && r.header("x-kept") == "1")
        try c.send("GET /second HTTP/1.1\r\n\r\n")
        #expect(try c.response().body == Array("second".utf8))
    }

    @Test func serverClosingWithoutAResponseIs502AndTheClientStays() throws {
        let o = try ScriptedOrigin { conn, i in
            let head = try conn.readHead()
            if head.hasPrefix("GET /second") { try conn.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond") }
        }
        defer { o.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [o.port]))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET /first HTTP/1.1\r\n\r\n")
        let r = try c.response()
        #expect(r.status == 502 && r.header("x-kept") == "1")
        #expect(eventually { h.heads.records.count == 1 })
        #expect(h.heads.records.first?.term == "SH")
        try c.send("GET /second HTTP/1.1\r\n\r\n")
        #expect(try c.response().body == Array("second".utf8))
    }

    @Test(arguments: [false, true]) func serverTimeoutIs504AndTheClientStays(singleShot: Bool) throws {
        let o = try ScriptedOrigin { conn, _ in
            while true {
                let head = try conn.readHead(timeoutMs: 5000)
                if head.hasPrefix("GET /second") { try conn.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond") }
                else { _ = conn.seesClose(within: 3000); return }
            }
        }
        defer { o.stop() }
        // only the first request has the short server timeout: the second's answer may take
        // longer than 300 ms on a loaded machine (its origin thread starts then)
        let h = try EngineHarness(HarnessOptions(servers: [o.port], singleShot: singleShot, serverTimeoutMs: 5000))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET /first?timeout=300 HTTP/1.1\r\n\r\n")
        let r = try c.response()
        #expect(r.status == 504 && r.header("x-kept") == "1")
        // the server receive that was in flight ends before the next exchange begins
        try c.send("GET /second HTTP/1.1\r\n\r\n")
        #expect(try c.response().body == Array("second".utf8))
        #expect(eventually { h.heads.records.count == 2 })
        #expect(h.heads.records.map(\.term) == ["sH", "--"])
    }

    @Test func aCloseAskedByTheClientStillCloses() throws {
        let o = try origin("HTTP/1.1 abc\r\n\r\n", thenStall: true)
        defer { o.stop() }
        let h = try EngineHarness(HarnessOptions(servers: [o.port]))
        defer { h.stop() }
        let c = try h.client()
        try c.send("GET /first HTTP/1.1\r\nConnection: close\r\n\r\n")
        _ = try c.response()
        #expect(c.closes(within: 2000))
    }
}
