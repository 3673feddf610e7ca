// The echo back-end (spec Appendix B harness), driven through the raw client.
import Testing
import Proxy
import Glibc
import Origins

@Suite struct OriginEchoTests {
    @Test func echoesServerNameRequestLineAndHeadersAsReceived() throws {
        let s = try AppServer(name: "REALsrv_70", port: 0, behaviour: .echo)
        defer { s.stop() }
        let c = try RawHTTP(port: s.port)
        try c.send("GET /a/b?x=1 HTTP/1.1\r\nHost: cookie.9ai9.net\r\nX-Odd:   spaced  \r\nCookie: A=1\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 200)
        #expect(r.header("X-Server") == "REALsrv_70")
        #expect(r.bodyText == "REALsrv_70\nGET /a/b?x=1 HTTP/1.1\r\nHost: cookie.9ai9.net\r\nX-Odd:   spaced  \r\nCookie: A=1\r\n")
        #expect(s.requestsServed == 1)
    }

    @Test func setCookieIsRepeatableAndCacheControlIsSet() throws {
        let s = try AppServer(name: "REALsrv_120", port: 0)
        defer { s.stop() }
        let r = try RawHTTP.get(port: s.port, path: "/p?setck=SERVERID=1&setck=B=two%20words&cc=max-age%3D60")
        #expect(r.headers(named: "Set-Cookie") == ["SERVERID=1; path=/", "B=two words; path=/"])
        #expect(r.header("Cache-Control") == "max-age=60")
    }

    @Test func hdrOptionAddsAnyResponseHeader() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let r = try RawHTTP.get(port: s.port, path: "/?hdr=ETag:%22v1%22&hdr=Expires:%20Thu,%2001%20Jan%202037%2000:00:00%20GMT&hdr=bad")
        #expect(r.header("ETag") == "\"v1\"")
        #expect(r.header("Expires") == "Thu, 01 Jan 2037 00:00:00 GMT")
        #expect(r.header("bad") == nil)
    }

    @Test func statusOptionSetsTheStatus() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let r = try RawHTTP.get(port: s.port, path: "/?status=503")
        #expect(r.status == 503)
        #expect(r.reason == "Service Unavailable")
        let noContent = try RawHTTP.get(port: s.port, path: "/?status=204")
        #expect(noContent.status == 204)
        #expect(noContent.header("Content-Length") == nil)
        #expect(noContent.body.isEmpty)
    }

    @Test func sleepDelaysTheAnswer() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let start = ContinuousClock.now
        let r = try RawHTTP.get(port: s.port, path: "/?sleep=300")
        let took = ContinuousClock.now - start
        #expect(r.status == 200)
        #expect(took >= .milliseconds(300))
        #expect(took < .seconds(3))
    }

    @Test func closeOptionClosesWithoutAnswering() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let c = try RawHTTP(port: s.port)
        try c.send("GET /?close=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readAllUntilClose().isEmpty)
        #expect(s.requestsReceived == 1)
        #expect(s.requestsServed == 0)
    }

    @Test func closeAfterSleepAndResetOptions() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let start = ContinuousClock.now
        let late = try RawHTTP(port: s.port)
        try late.send("GET /?close=1&sleep=200 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try late.readAllUntilClose().isEmpty)
        #expect(ContinuousClock.now - start >= .milliseconds(200))

        let reset = try RawHTTP(port: s.port)
        try reset.send("GET /?reset=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(reset.isClosed(within: .seconds(2)))
        #expect(reset.lastError == ECONNRESET)
        #expect(late.lastError == nil) // a plain close is an EOF, not a reset
    }

    @Test func sizeOptionSendsThePatternBody() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        for size in [0, 1, 4093, 100_000] {
            let r = try RawHTTP.get(port: s.port, path: "/?size=\(size)")
            #expect(r.framing == .contentLength(size))
            let intact = r.body == BodyPattern.bytes(count: size)
            #expect(intact, "body of ?size=\(size) differs from the pattern")
        }
    }

    @Test func chunkedOptionAnswersChunkedInSeveralChunks() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let echo = try RawHTTP.get(port: s.port, path: "/c?chunked=1")
        #expect(echo.framing == .chunked)
        #expect(echo.header("Content-Length") == nil)
        #expect(echo.bodyText.hasPrefix("S\nGET /c?chunked=1 HTTP/1.1\r\n"))
        // Raw framing: more than one data chunk, then the last chunk.
        let raw = String(decoding: echo.rawBody, as: UTF8.self)
        #expect(raw.components(separatedBy: "\r\n").filter { Int($0, radix: 16) != nil }.count >= 3)
        #expect(raw.hasSuffix("\r\n0\r\n\r\n"))

        let big = try RawHTTP.get(port: s.port, path: "/?size=70000&chunked=1")
        #expect(big.framing == .chunked)
        let intact = big.body == BodyPattern.bytes(count: 70000)
        #expect(intact, "chunked ?size=70000 body differs from the pattern")
    }

    @Test func hashOptionDigestsAOneMebibyteBodyOfEitherFraming() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        var body = [UInt8](repeating: 0, count: 1 << 20)
        for i in body.indices { body[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 9) }
        let expected = "bytes=1048576 fnv1a64=\(FNV1a64.hex(FNV1a64.hash(body)))\n"

        let c = try RawHTTP(port: s.port)
        try c.send("POST /up?hash=1 HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")
        try c.send(body)
        #expect(try c.readResponse().bodyText == expected)

        // Same body chunked (odd chunk sizes, an extension, a trailer), same connection.
        var chunked: [UInt8] = Array("POST /up?hash=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        var i = 0
        var n = 1
        while i < body.count {
            let take = min(n, body.count - i)
            chunked += Array("\(String(take, radix: 16));ext=1\r\n".utf8) + body[i..<i + take] + [13, 10]
            i += take
            n = n * 3 + 7
        }
        chunked += Array("0\r\nX-Trailer: t\r\n\r\n".utf8)
        try c.send(chunked)
        #expect(try c.readResponse().bodyText == expected)
    }

    @Test func expectContinueGetsAnInterimResponseBeforeTheBody() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let c = try RawHTTP(port: s.port)
        try c.send("POST /?hash=1 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        #expect(try c.readResponse().status == 100)
        try c.send("abc")
        #expect(try c.readResponse().bodyText == "bytes=3 fnv1a64=\(FNV1a64.hex(FNV1a64.hash(Array("abc".utf8))))\n")
        // Body sent along with the head: no interim response.
        try c.send("POST /?hash=1 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc")
        #expect(try c.readResponse().status == 200)
    }

    @Test func fnv1a64MatchesKnownVectors() {
        #expect(FNV1a64.hex(FNV1a64.hash([UInt8]())) == "cbf29ce484222325")
        #expect(FNV1a64.hex(FNV1a64.hash(Array("a".utf8))) == "af63dc4c8601ec8c")
        #expect(FNV1a64.hex(FNV1a64.hash(Array("foobar".utf8))) == "85944171f73967e8")
    }

    @Test func headRequestGetsHeadersOnly() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let c = try RawHTTP(port: s.port)
        try c.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try c.readResponse(forHEAD: true)
        #expect(Int(head.header("Content-Length") ?? "") ?? 0 > 0)
        #expect(head.body.isEmpty)
        // The next response starts right after the head: nothing was sent as a body.
        #expect(try c.readResponse().bodyText.contains("GET /after HTTP/1.1"))
    }

    @Test func malformedRequestGets400AndClose() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let c = try RawHTTP(port: s.port)
        try c.send("NONSENSE\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 400)
        #expect(c.isClosed(within: .seconds(2)))
    }
}
