// Connection persistence of the back-end (RFC 9112 §9.3) and its failure controls.
import Testing
import Proxy
import Origins

@Suite struct OriginKeepAliveTests {
    @Test func threeRequestsOnOneHTTP11Connection() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let c = try RawHTTP(port: s.port)
        for i in 1...3 {
            try c.send("GET /r\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try c.readResponse()
            #expect(r.bodyText.contains("GET /r\(i) HTTP/1.1"))
            #expect(r.header("Connection") == nil)
        }
        #expect(!c.isClosed(within: .milliseconds(100)))
        #expect(s.connectionsAccepted == 1)
        #expect(s.requestsServed == 3)
    }

    @Test func requestHelperReusesTheConnection() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let c = try RawHTTP(port: s.port)
        #expect(try c.request(path: "/one").bodyText.contains("GET /one HTTP/1.1\r\nHost: localhost\r\n"))
        let posted = try c.request("POST", path: "/?hash=1", body: Array("xyz".utf8))
        #expect(posted.bodyText == "bytes=3 fnv1a64=\(FNV1a64.hex(FNV1a64.hash(Array("xyz".utf8))))\n")
        #expect(try c.request("HEAD", path: "/h").body.isEmpty)
        #expect(s.connectionsAccepted == 1)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let c = try RawHTTP(port: s.port)
        try c.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: x\r\n\r\n")
        for path in ["GET /1", "POST /2", "GET /3"] {
            #expect(try c.readResponse().bodyText.contains(path + " HTTP/1.1"))
        }
    }

    @Test func connectionCloseIsHonoured() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let c = try RawHTTP(port: s.port)
        try c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(try c.readResponse().header("Connection") == "close")
        #expect(c.isClosed(within: .seconds(2)))
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let plain = try RawHTTP(port: s.port)
        try plain.send("GET / HTTP/1.0\r\n\r\n")
        #expect(try plain.readResponse().header("Connection") == "close")
        #expect(plain.isClosed(within: .seconds(2)))

        let kept = try RawHTTP(port: s.port)
        for _ in 1...2 {
            try kept.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try kept.readResponse().header("Connection") == "keep-alive")
        }
        #expect(!kept.isClosed(within: .milliseconds(100)))
    }

    @Test func closesEveryConnectionLikeTheSpecHarness() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        s.closesEveryConnection = true
        let c = try RawHTTP(port: s.port)
        try c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().header("Connection") == "close")
        #expect(c.isClosed(within: .seconds(2)))
    }

    @Test func refusingActsLikeADeadServerAndRecovers() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        let open = try RawHTTP(port: s.port)
        try open.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try open.readResponse()
        s.refusing = true
        #expect(open.isClosed(within: .seconds(2)))
        #expect(throws: RawHTTPError.self) { _ = try RawHTTP(port: s.port) }
        s.refusing = false
        #expect(try RawHTTP.get(port: s.port).status == 200)
    }

    @Test func pausedHoldsAnswersUntilResumed() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        s.paused = true
        let c = try RawHTTP(port: s.port)
        try c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(throws: RawHTTPError.self) { _ = try c.readResponse(timeout: .milliseconds(300)) }
        s.paused = false
        #expect(try c.readResponse().status == 200)
    }
}
