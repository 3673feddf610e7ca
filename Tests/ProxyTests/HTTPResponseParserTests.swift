import Testing
@testable import Proxy

@Suite struct HTTPResponseParserTests {
    @Test func statusLineAndFields() {
        let p = response("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nServer: t\r\n\r\nhello")
        #expect(p.result == .complete)
        let h = p.head
        #expect(h.status == 404)
        #expect(h.string(h.statusLine) == "HTTP/1.1 404 Not Found")
        #expect(h.versionMinor == 1)
        #expect(h.headerCount == 2)
        #expect(h.string(h.fields[1].value) == "t")
        #expect(h.framing == .contentLength(5))
        #expect(h.headLength == p.raw.count - 5)
        #expect(!h.wantsClose && !h.isInterim)
    }

    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", BodyFraming.chunked, false),
        ("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n", .chunked, true),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", .untilClose, false),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 3\r\n\r\n", .untilClose, true),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .chunked, false),
        ("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", .contentLength(3), true),
        ("HTTP/1.1 200 OK\r\n\r\n", .untilClose, false),
        ("HTTP/1.0 200 OK\r\n\r\n", .untilClose, false),
        ("HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n", .none, false),
        ("HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n", .none, false),
        ("HTTP/1.1 100 Continue\r\n\r\n", .none, false),
        ("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", .none, false),
        ("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", .contentLength(0), false),
        ("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", .contentLength(0), false),
        ("HTTP/1.1 200 OK\nContent-Length: 1\n\n", .contentLength(1), false),
    ] as [(String, BodyFraming, Bool)])
    func framing(_ raw: String, _ framing: BodyFraming, _ dropCL: Bool) {
        let p = response(raw)
        #expect(p.result == .complete)
        #expect(p.head.framing == framing)
        #expect(p.head.dropContentLength == dropCL)
    }

    @Test func responseToHeadHasNoBody() {
        let raw = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
        #expect(response(raw, head: true).head.framing == .none)
        #expect(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", head: true).head.framing == .none)
        #expect(response(raw, head: false).head.framing == .contentLength(1000))
    }

    @Test func interimThenFinal() {
        let raw = Array("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok".utf8)
        let head = ResponseHead()
        raw.withUnsafeBytes { all in
            #expect(ResponseParser.parse(all, into: head, requestWasHead: false) == .complete)
            #expect(head.isInterim && head.status == 100)
            let rest = UnsafeRawBufferPointer(rebasing: all[head.headLength...])
            #expect(ResponseParser.parse(rest, into: head, requestWasHead: false) == .complete)
            #expect(!head.isInterim && head.status == 201 && head.framing == .contentLength(2))
        }
        #expect(!response("HTTP/1.1 101 Switching Protocols\r\n\r\n").head.isInterim)
        #expect(response("HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n").head.isInterim)
    }

    @Test func keepAliveFlags() {
        #expect(response("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").head.wantsClose)
        let ka10 = response("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").head
        #expect(!ka10.wantsClose && ka10.saidKeepAlive)
        #expect(response("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").head.wantsClose)
    }

    @Test(arguments: [
        ("HTTP/1.1 20 OK\r\n\r\n", ParseError.badStatusLine),
        ("HTTP/1.1 2000 OK\r\n\r\n", .badStatusLine),
        ("HTTP/1.1 abc OK\r\n\r\n", .badStatusLine),
        ("HTTP/1.1 099 Low\r\n\r\n", .badStatusLine),
        ("HTTP/2 200 OK\r\n\r\n", .badStatusLine),
        ("HTTP/1.2 200 OK\r\n\r\n", .badStatusLine),
        ("ICY 200 OK\r\n\r\n", .badStatusLine),
        ("HTTP/1.1 200 O\u{0}K\r\n\r\n", .badStatusLine),
        ("<html>", .badStatusLine),
        ("HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", .badHeaderName),
        ("HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n", .obsFold),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .conflictingContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", .badContentLength),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", .badTransferEncoding),
    ] as [(String, ParseError)])
    func refused(_ raw: String, _ error: ParseError) {
        #expect(response(raw).result == .invalid(error))
    }

    @Test func incomplete() {
        for raw in ["", "H", "HTTP/1.", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n", "HTTP/1.1 200 OK\r\n\r"] {
            #expect(response(raw).result == .incomplete, "\(raw.debugDescription)")
        }
    }
}
