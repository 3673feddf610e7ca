import Testing
@testable import Proxy

/// Requests HAProxy 2.6.12 answers 400 (or 422) and ringproxy must refuse, each with the
/// reason the parser gives. The inputs were sent to 2.6.12 on the wire (spec §18, App. C).
@Suite struct HTTPRequestRejectionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let raw: [UInt8]
        let error: ParseError
        init(_ name: String, _ raw: String, _ error: ParseError) { self.name = name; self.raw = Array(raw.utf8); self.error = error }
        init(_ name: String, bytes: [UInt8], _ error: ParseError) { self.name = name; self.raw = bytes; self.error = error }
        var testDescription: String { name }
    }

    static let manyHeaders = (0..<100).map { "X-\($0): a\r\n" }.joined()

    static let cases: [Case] = [
        Case("HTTP/0.9", "GET /echo\r\n\r\n", .http09),
        Case("HTTP/2.0 version", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", .badVersion),
        Case("lower-case version", "GET / http/1.1\r\nHost: x\r\n\r\n", .badVersion),
        Case("blank after version", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", .badVersion),
        Case("space inside target", "GET /ec ho HTTP/1.1\r\nHost: x\r\n\r\n", .badVersion),
        Case("method not a token", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", .badMethod),
        Case("line starts with space", " GET / HTTP/1.1\r\nHost: x\r\n\r\n", .badMethod),
        Case("CTL in target", "GET /e\u{01}cho HTTP/1.1\r\nHost: x\r\n\r\n", .badTarget),
        Case("non-ASCII in target", "GET /é HTTP/1.1\r\nHost: x\r\n\r\n", .badTarget),
        Case("empty authority", "GET http:///x HTTP/1.1\r\nHost: x\r\n\r\n", .badTarget),
        Case("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", .badHeaderName),
        Case("parenthesis in name", "GET / HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n", .badHeaderName),
        Case("empty name", "GET / HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n", .badHeaderName),
        Case("no colon", "GET / HTTP/1.1\r\nHost: x\r\nFoo\r\n\r\n", .badHeaderName),
        Case("NUL in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n", .badHeaderValue),
        Case("CR in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", .badHeaderValue),
        Case("obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  b\r\n\r\n", .obsFold),
        Case("obs-fold with tab", "GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\nHost: x\r\n\r\n", .obsFold),
        Case("two different Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 1\r\n\r\n", .conflictingContentLength),
        Case("different Content-Length in a list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n", .conflictingContentLength),
        Case("non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", .badContentLength),
        Case("signed Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +0\r\n\r\n", .badContentLength),
        Case("empty Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", .badContentLength),
        Case("Content-Length above Int64.max", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9223372036854775808\r\n\r\n", .badContentLength),
        Case("Content-Length of commas only", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ,\r\n\r\n", .badContentLength),
        Case("Transfer-Encoding of commas only", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,\r\n\r\n", .badTransferEncoding),
        Case("chunked not last", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .badTransferEncoding),
        // Empty elements are codings, as HAProxy 2.6.12 splits the value (differential fuzzer).
        Case("empty coding before chunked (422)", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: , chunked\r\n\r\n", .unsupportedTransferCoding),
        Case("empty line before chunked (422)", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,\r\nTransfer-Encoding: chunked\r\n\r\n", .unsupportedTransferCoding),
        Case("empty coding after chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, ,\r\n\r\n", .badTransferEncoding),
        Case("a quote joins the rest into one coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: iden\"tity, chunked\r\n\r\n", .badTransferEncoding),
        Case("gzip alone", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", .badTransferEncoding),
        Case("chunked twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", .badTransferEncoding),
        Case("chunked on two lines", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .badTransferEncoding),
        Case("empty Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\n\r\n", .badTransferEncoding),
        Case("gzip then chunked (422)", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding),
        // HAProxy 2.6.12: an HTTP/1.0 GET, HEAD or DELETE with a body is refused with 413 (after
        // the authority check, before the 422 of an unsupported coding).
        Case("HTTP/1.0 GET with a body (413)", "GET / HTTP/1.0\r\nContent-Length: 1\r\n\r\n", .payloadInHTTP10GetHeadDelete),
        Case("HTTP/1.0 HEAD with a body (413)", "HEAD / HTTP/1.0\r\nContent-Length: 5\r\n\r\n", .payloadInHTTP10GetHeadDelete),
        Case("HTTP/1.0 DELETE chunked (413)", "DELETE / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .payloadInHTTP10GetHeadDelete),
        Case("HTTP/1.0 GET gzip, chunked (413, not 422)", "GET / HTTP/1.0\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .payloadInHTTP10GetHeadDelete),
        Case("HTTP/1.0 GET with a body, host differs (400 first)", "GET http://y/ HTTP/1.0\r\nHost: x\r\nContent-Length: 1\r\n\r\n", .hostMismatch),
        Case("101 headers", "GET / HTTP/1.1\r\nHost: x\r\n" + manyHeaders + "\r\n", .tooManyHeaders),
        Case("absolute-form host differs", "GET http://y/echo HTTP/1.1\r\nHost: x\r\n\r\n", .hostMismatch),
        Case("absolute-form port differs", "GET http://x:8080/ HTTP/1.1\r\nHost: x\r\n\r\n", .hostMismatch),
        Case("Host port differs", "GET http://x/ HTTP/1.1\r\nHost: x:81\r\n\r\n", .hostMismatch),
        Case("two different Host", "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", .multipleHost),
        Case("two equal Host", "GET / HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n", .multipleHost),
        Case("head over 16 KiB", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 20000) + "\r\n\r\n", .headTooLarge),
        Case("bare CR before request line", "\rGET / HTTP/1.1\r\n\r\n", .badRequestLine),
    ]

    @Test(arguments: cases) func refused(_ c: Case) {
        let p = request(c.raw)
        #expect(p.result == .invalid(c.error))
    }

    /// A comma after the last coding is not an empty coding (HAProxy 2.6.12 forwards it).
    @Test func chunkedWithATrailingComma() {
        #expect(request("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked,\r\n\r\n").result == .complete)
    }

    /// The 413 only for HTTP/1.0, only GET/HEAD/DELETE (exact case), only with a body.
    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n",
        "GET / HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
        "POST / HTTP/1.0\r\nContent-Length: 1\r\n\r\n",
        "OPTIONS / HTTP/1.0\r\nContent-Length: 1\r\n\r\n",
        "get / HTTP/1.0\r\nContent-Length: 1\r\n\r\n",
        "DELETE / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    ]) func bodyAcceptedOutsideHTTP10GetHeadDelete(_ raw: String) {
        #expect(request(raw).result == .complete)
    }

    @Test func statusForEachReason() {
        #expect(ParseError.unsupportedTransferCoding.requestStatus == 422)
        #expect(ParseError.payloadInHTTP10GetHeadDelete.requestStatus == 413)
        #expect(ParseError.obsFold.requestStatus == 400)
        #expect(ParseError.multipleHost.requestStatus == 400)
    }

    /// A prefix of tune.bufsize − 64 bytes with no blank line is refused at once (HAProxy's
    /// input buffer is full), one byte less is still waiting.
    @Test func headLimitWithoutEnd() {
        let prefix = Array("GET / HTTP/1.1\r\nX-Big: ".utf8)
        let full = prefix + [UInt8](repeating: 97, count: HeadLimits.haproxyDefault.rawBytes - prefix.count)
        #expect(request(full).result == .invalid(.headTooLarge))
        #expect(request(Array(full.dropLast())).result == .incomplete)
    }

    /// Errors in complete lines are reported before the head is complete.
    @Test func earlyRefusal() {
        #expect(request("GET / HTTP/1.1\r\nHost : x\r\n").result == .invalid(.badHeaderName))
        #expect(request("GET /x\r\n").result == .invalid(.http09))
    }
}

/// Requests that must be accepted, with the framing and flags the engine relies on.
@Suite struct HTTPRequestAcceptanceTests {
    @Test func plainGet11() {
        let p = request("GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n")
        #expect(p.result == .complete)
        let h = p.head
        #expect(h.string(h.method) == "GET")
        #expect(h.string(h.target) == "/a/b?c=d")
        #expect(h.string(h.requestLine) == "GET /a/b?c=d HTTP/1.1")
        #expect(h.versionMinor == 1)
        #expect(h.headerCount == 2)
        #expect(h.string(h.fields[0].name) == "Host")
        #expect(h.string(h.fields[0].value) == "example.com")
        #expect(h.string(h.fields[0].line) == "Host: example.com\r\n")
        #expect(h.string(h.fields[1].line) == "User-Agent: t\r\n")
        #expect(h.endOfHeaders == 57)   // 23 + 19 + 15 bytes of lines
        #expect(h.headLength == 59)
        #expect(h.framing == .none)
        #expect(!h.wantsClose && !h.saidKeepAlive && !h.dropContentLength)
        #expect(h.isGetHeadPost && !h.isHead && !h.isPost && !h.expectContinue)
    }

    @Test func bodyBytesAfterHeadAreNotPartOfIt() {
        let p = request("POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(p.result == .complete)
        #expect(p.head.headLength == p.raw.count - 5)
        #expect(p.head.framing == .contentLength(5))
        #expect(p.head.bytes.count == p.head.headLength)
        #expect(p.head.isPost && p.head.isGetHeadPost)
    }

    @Test func http10Defaults() {
        let plain = request("GET / HTTP/1.0\r\n\r\n")
        #expect(plain.result == .complete)
        #expect(plain.head.versionMinor == 0 && plain.head.wantsClose)
        let ka = request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
        #expect(ka.result == .complete)
        #expect(!ka.head.wantsClose && ka.head.saidKeepAlive)
    }

    @Test func http11Close() {
        let p = request("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n")
        #expect(p.result == .complete)
        #expect(p.head.wantsClose)
    }

    @Test func contentLengthWithChunked() {
        let p = request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        #expect(p.result == .complete)
        #expect(p.head.framing == .chunked)
        #expect(p.head.dropContentLength)
    }

    @Test func equalContentLengths() {
        for raw in ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n",
                    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 7, 7\r\n\r\n"] {
            let p = request(raw)
            #expect(p.result == .complete)
            #expect(p.head.framing == .contentLength(7))
            #expect(p.head.dropContentLength)
        }
        let largest = request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9223372036854775807\r\n\r\n")
        #expect(largest.head.framing == .contentLength(Int64.max))
        let single = request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 007\r\n\r\n")
        #expect(single.head.framing == .contentLength(7))
        #expect(!single.head.dropContentLength)
    }

    @Test func chunkedSpellings() {
        for te in ["chunked", "CHUNKED", " chunked ", "Chunked,"] {
            let p = request("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \(te)\r\n\r\n")
            #expect(p.result == .complete, "\(te)")
            #expect(p.head.framing == .chunked)
            #expect(!p.head.dropContentLength)
        }
        // HAProxy 2.6 also forwards chunked HTTP/1.0 requests as chunked.
        let old = request("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(old.head.framing == .chunked)
    }

    @Test func bareLineFeeds() {
        let p = request("GET /echo HTTP/1.1\nHost: x\nX-A: b\n\n")
        #expect(p.result == .complete)
        #expect(p.head.headerCount == 2)
        #expect(p.head.string(p.head.fields[1].line) == "X-A: b\n")
        #expect(p.head.string(p.head.fields[1].value) == "b")
        #expect(p.head.endOfHeaders == p.raw.count - 1)
        #expect(p.head.headLength == p.raw.count)
        #expect(p.head.string(p.head.requestLine) == "GET /echo HTTP/1.1")
    }

    @Test func tolerated() {
        let ok = [
            "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",            // empty line first
            "GET  /  HTTP/1.1\r\nHost: x\r\n\r\n",              // several spaces
            "get / HTTP/1.1\r\nHost: x\r\n\r\n",                // lower-case method
            "GET / HTTP/1.1\r\n\r\n",                           // no Host (routing decides)
            "GET / HTTP/1.1\r\nHost:\r\n\r\n",                  // empty Host
            "GET / HTTP/1.1\r\nHost: x, y\r\n\r\n",             // list in Host (2.6 forwards it)
            "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{01}b\r\n\r\n", // other CTLs in values
            "GET http://x/echo HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET http://x:80/echo HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET http://x/echo HTTP/1.1\r\nHost: x:80\r\n\r\n",
            "GET https://x:443/echo HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET http://X/echo HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET http://u@x/echo HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET http://[::1]:8080/ HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
            "GET http://y/echo HTTP/1.1\r\n\r\n",               // absolute-form, no Host
            "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
            "CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n",
        ]
        for raw in ok { #expect(request(raw).result == .complete, "\(raw.debugDescription)") }
    }

    @Test func hundredHeadersIsTheLimit() {
        let raw = "GET / HTTP/1.1\r\nHost: x\r\n" + (0..<99).map { "X-\($0): a\r\n" }.joined() + "\r\n"
        let p = request(raw)
        #expect(p.result == .complete)
        #expect(p.head.headerCount == 100)
    }

    @Test func valuesAreTrimmed() {
        let p = request("GET / HTTP/1.1\r\nHost: x\r\nX-A:\tb c\t \r\nX-E:\r\n\r\n")
        #expect(p.result == .complete)
        #expect(p.head.string(p.head.fields[1].value) == "b c")
        #expect(p.head.fields[2].value.isEmpty)
    }

    @Test func methods() {
        let head = request("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n").head
        #expect(head.isHead && head.isGetHeadPost && !head.isPost)
        let put = request("PUT / HTTP/1.1\r\nHost: x\r\n\r\n").head
        #expect(!put.isGetHeadPost && !put.isHead && !put.isPost)
        let lower = request("post / HTTP/1.1\r\nHost: x\r\n\r\n").head
        #expect(!lower.isPost)   // methods are case-sensitive
    }

    @Test func expectContinue() {
        #expect(request("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n").head.expectContinue)
        #expect(!request("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n").head.expectContinue)
    }

    /// Every proper prefix of a valid request is incomplete, never invalid or complete.
    @Test func everyPrefixIsIncomplete() {
        let raw = Array("\r\nPOST /x?y HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nX-A:  v \r\n\r\n".utf8)
        for n in 0..<raw.count {
            #expect(request(Array(raw[0..<n])).result == .incomplete, "prefix \(n)")
        }
        #expect(request(raw).result == .complete)
    }

    /// The head object is reused: a second parse must not keep anything from the first.
    @Test func reuseResetsState() {
        let head = RequestHead()
        let a = Array("POST / HTTP/1.0\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n".utf8)
        let b = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        a.withUnsafeBytes { _ = RequestParser.parse($0, into: head) }
        #expect(head.dropContentLength)
        b.withUnsafeBytes { raw in
            #expect(RequestParser.parse(raw, into: head) == .complete)
            #expect(head.headerCount == 1 && head.framing == .none && !head.dropContentLength)
            #expect(!head.isPost && head.versionMinor == 1 && !head.wantsClose && !head.expectContinue)
        }
    }

    @Test func tokenMasksMatchTheRFCList() {
        let tchar = Set(Array("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8))
        for c in 0...255 {
            #expect(ByteClass.isTokenChar(UInt8(c)) == tchar.contains(UInt8(c)), "byte \(c)")
        }
    }
}

extension HTTPRequestRejectionTests {
    /// Values are checked 8 bytes at a time: a CR or NUL at any offset of a long value must
    /// be found, and bytes that only look alike (0x8D, 0x80, 0x0C, 0x0E) must not.
    @Test func crAndNulAtEveryOffset() {
        for bad: UInt8 in [0, 13] {
            for offset in 0..<21 {
                var value = [UInt8](repeating: 97, count: 21)
                value[offset] = bad
                let raw = Array("GET / HTTP/1.1\r\nX-V: ".utf8) + value + Array("\r\n\r\n".utf8)
                #expect(request(raw).result == .invalid(.badHeaderValue), "byte \(bad) at \(offset)")
            }
        }
        let lookalikes: [UInt8] = [0x8D, 0x80, 0x0C, 0x0E, 0x01, 0xFF, 0x8D, 0x0D ^ 0x80, 0x20, 0x2D, 0x7F, 0x81]
        let raw = Array("GET / HTTP/1.1\r\nX-V: ".utf8) + lookalikes + Array("\r\n\r\n".utf8)
        #expect(request(raw).result == .complete)
    }
}
