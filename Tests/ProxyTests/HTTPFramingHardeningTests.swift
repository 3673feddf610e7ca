import Foundation
import Testing
@testable import Proxy

/// Issue 15 items 5–8 and 10 at the parser level; the same inputs go through ringproxy and
/// HAProxy 2.6.12 on the wire in FramingHardeningTests (EndToEndTests).
@Suite struct HTTPFramingHardeningTests {
    // MARK: item 5 — Transfer-Encoding with Content-Length

    @Test func transferEncodingWithContentLengthClosesAfterTheResponse() {
        let p = request("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n")
        #expect(p.result == .complete)
        #expect(p.head.framing == .chunked && p.head.dropContentLength && p.head.framingForcesClose)
        #expect(!ConnectionPolicy.clientKeepsAlive(p.head, mode: .keepAlive))
        let rw = HeadRewrite()
        ContentLengthRewrite.apply(head: p.head, rewrite: rw)
        ConnectionPolicy.rewriteRequest(head: p.head, rewrite: rw, mode: .keepAlive)
        #expect(p.rendered(rw) == "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    }

    @Test func chunkedHTTP10RequestClosesAndAsksNoKeepAlive() {
        let p = request("POST / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(p.result == .complete && p.head.framing == .chunked && p.head.framingForcesClose)
        #expect(!ConnectionPolicy.clientKeepsAlive(p.head, mode: .keepAlive))
        let rw = HeadRewrite()
        ConnectionPolicy.rewriteRequest(head: p.head, rewrite: rw, mode: .keepAlive)
        #expect(p.rendered(rw) == "POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    }

    @Test func plainChunkedKeepsTheConnection() {
        let p = request("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(p.result == .complete && !p.head.framingForcesClose)
        #expect(ConnectionPolicy.clientKeepsAlive(p.head, mode: .keepAlive))
    }

    @Test func responseWithBothIsChunkedAndNotReused() {
        let p = response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n")
        #expect(p.result == .complete && p.head.framing == .chunked && p.head.dropContentLength && p.head.framingForcesClose)
        #expect(!response("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n").head.framingForcesClose)
    }

    // MARK: item 6 — Content-Length lists with empty elements (CVE-2023-40225)

    @Test(arguments: ["0,", ",0", "0,,0", "0, ", " , 0", "5,,5", "1,", ""])
    func emptyContentLengthElementIsRefused(_ value: String) {
        #expect(request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(value)\r\n\r\n").result == .invalid(.badContentLength))
        #expect(response("HTTP/1.1 200 OK\r\nContent-Length: \(value)\r\n\r\n").result == .invalid(.badContentLength))
    }

    @Test func equalListElementsAreOneLength() {
        let p = request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3 , 3,3\r\n\r\n")
        #expect(p.result == .complete && p.head.framing == .contentLength(3) && p.head.dropContentLength)
        #expect(request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\n").result == .invalid(.conflictingContentLength))
    }

    // MARK: item 7 — bare LF line endings

    @Test func bareLineFeedIsFlaggedWhereverItIs() {
        #expect(!request("GET / HTTP/1.1\r\nHost: x\r\n\r\n").head.hasBareLineFeed)
        for raw in ["GET / HTTP/1.1\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\n\n",
                    "\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"] {
            let p = request(raw)
            #expect(p.result == .complete && p.head.hasBareLineFeed, "\(raw.debugDescription)")
        }
        #expect(response("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n").head.hasBareLineFeed)
        #expect(response("HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n").head.hasBareLineFeed)
    }

    @Test func normalisedRequestIsTheCRLFHead() {
        let p = request("GET /lf HTTP/1.1\nHost: x\r\nX-A: a\nContent-Length: 5\n\nhello")
        #expect(p.result == .complete)
        let n = LineEndingNormaliser()
        #expect(n.normaliseRequest(p.head, room: 8192) == .complete)
        #expect(p.head.string(ByteRange(0, p.head.headLength)) == "GET /lf HTTP/1.1\r\nHost: x\r\nX-A: a\r\nContent-Length: 5\r\n\r\n")
        #expect(!p.head.hasBareLineFeed && p.head.framing == .contentLength(5) && p.head.headerCount == 3)
        // Edits made afterwards refer to the copy.
        let rw = HeadRewrite()
        ConnectionPolicy.rewriteRequest(head: p.head, rewrite: rw, mode: .close)
        let out = String(decoding: rw.render(head: p.head.bytes, headLength: p.head.headLength), as: UTF8.self)
        #expect(out == "GET /lf HTTP/1.1\r\nHost: x\r\nX-A: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\n")
        withExtendedLifetime(n) {}
    }

    @Test func normalisedResponseIsTheCRLFHead() {
        let p = response("HTTP/1.1 200 OK\nContent-Length: 2\n\nok")
        let n = LineEndingNormaliser()                                  // the head points into it
        #expect(n.normaliseResponse(p.head, room: 8192, requestWasHead: false) == .complete)
        #expect(p.head.string(ByteRange(0, p.head.headLength)) == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
        withExtendedLifetime(n) {}
    }

    @Test func normalisedHeadMustFitTheRoom() {
        let raw = "GET / HTTP/1.1\nHost: x\n\n"                    // 24 bytes, 27 once normalised
        let n = LineEndingNormaliser()
        let p = request(raw)
        #expect(p.head.headLength == 24 && n.normaliseRequest(p.head, room: 26) == .invalid(.headTooLarge))
        let q = request(raw)
        #expect(n.normaliseRequest(q.head, room: 27) == .complete && q.head.headLength == 27)
    }

    // MARK: item 8 — HAProxy's head size limits

    /// `GET /aaa… HTTP/1.1` with `letters` a's after the slash.
    static func uriRequest(_ letters: Int, headers: String = "Host: x\r\n") -> String {
        "GET /" + String(repeating: "a", count: letters) + " HTTP/1.1\r\n" + headers + "\r\n"
    }

    static func parse(_ raw: String, _ limits: HeadLimits) -> ParseResult {
        Parsed(Array(raw.utf8), head: RequestHead(limits: limits)) { RequestParser.parse($0, into: $1) }.result
    }

    /// The largest URIs 2.6.12 accepted, found by bisection on the wire (see HeadLimits): with
    /// the defaults and `Host: x` only, `/` and 15,250 letters (a 15,277-byte head).
    @Test func requestHeadLimitIsHAProxys() {
        let d = HeadLimits.haproxyDefault
        #expect(d.htxBytes == 15319 && d.rawBytes == 16320 && d.headerLines == 100)
        #expect(Self.parse(Self.uriRequest(15250), d) == .complete)
        #expect(Self.parse(Self.uriRequest(15251), d) == .invalid(.headTooLarge))
        let ten = (0..<10).map { "X-H\($0): v\r\n" }.joined()
        #expect(Self.parse(Self.uriRequest(15120, headers: "Host: x\r\n" + ten), d) == .complete)
        #expect(Self.parse(Self.uriRequest(15121, headers: "Host: x\r\n" + ten), d) == .invalid(.headTooLarge))
        #expect(Self.parse(Self.uriRequest(15 * 1024), d) == .invalid(.headTooLarge))
        let big = HeadLimits(bufferSize: 32768, maxRewrite: 2048)
        #expect(Self.parse(Self.uriRequest(30610), big) == .complete)
        #expect(Self.parse(Self.uriRequest(30611), big) == .invalid(.headTooLarge))
        let noRewrite = HeadLimits(maxRewrite: 0)
        #expect(Self.parse(Self.uriRequest(16274), noRewrite) == .complete)
        #expect(Self.parse(Self.uriRequest(16275), noRewrite) == .invalid(.headTooLarge))
        let small = HeadLimits(bufferSize: 8192)
        #expect(Self.parse(Self.uriRequest(7058), small) == .complete)
        #expect(Self.parse(Self.uriRequest(7059), small) == .invalid(.headTooLarge))
    }

    @Test func incompleteHeadLimitIgnoresMaxRewrite() {
        for limits in [HeadLimits.haproxyDefault, HeadLimits(maxRewrite: 0), HeadLimits(bufferSize: 8192), HeadLimits(bufferSize: 32768)] {
            let prefix = "GET /" + String(repeating: "a", count: limits.rawBytes - 6)
            #expect(Self.parse(prefix, limits) == .incomplete)
            #expect(Self.parse(prefix + "a", limits) == .invalid(.headTooLarge))
        }
        #expect(HeadLimits(bufferSize: 8192).rawBytes == 8128 && HeadLimits(bufferSize: 32768).rawBytes == 32704)
    }

    @Test func maxRewriteIsAtMostHalfTheBufferAndBufferIsRounded() {
        let l = HeadLimits(bufferSize: 4000, maxRewrite: 100_000)
        #expect(l.bufferSize == 4000 && l.effectiveMaxRewrite == 2000)
        #expect(HeadLimits(bufferSize: 4001).bufferSize == 4016)
    }

    @Test func responseHeadLimitIsHAProxys() {
        func reply(_ v: Int, reason: String = "OK") -> String {
            "HTTP/1.1 200 \(reason)\r\nContent-Length: 0\r\nX: " + String(repeating: "v", count: v) + "\r\n\r\n"
        }
        #expect(response(reply(15230)).result == .complete)
        #expect(response(reply(15231)).result == .invalid(.headTooLarge))
        #expect(response(reply(15132, reason: String(repeating: "A", count: 100))).result == .complete)
        #expect(response(reply(15133, reason: String(repeating: "A", count: 100))).result == .invalid(.headTooLarge))
    }

    @Test func maxHeadersCountsTheStartLine() {
        let limits = HeadLimits(maxHeaders: 5)
        let four = "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
        #expect(Self.parse(four, limits) == .complete)
        #expect(Self.parse(four.replacingOccurrences(of: "C: 3\r\n", with: "C: 3\r\nD: 4\r\n"), limits) == .invalid(.tooManyHeaders))
        let big = HeadLimits(maxHeaders: 500)
        let many = "GET / HTTP/1.1\r\n" + (0..<499).map { "X-\($0): a\r\n" }.joined() + "\r\n"
        #expect(Self.parse(many, big) == .complete)
        #expect(Self.parse(many, .haproxyDefault) == .invalid(.tooManyHeaders))
    }

    // MARK: item 10 — monitor-uri and absolute-form targets

    @Test func monitorURIMatchesAbsoluteFormPath() {
        func matches(_ raw: String, _ uri: String) -> Bool {
            let p = request(raw)
            return Array(uri.utf8).withUnsafeBytes { MonitorURI.matches(p.head, uri: $0) }
        }
        #expect(matches("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", "/health"))
        #expect(matches("GET http://www.haproxy.org/health HTTP/1.1\r\nHost: www.haproxy.org\r\n\r\n", "/health"))
        #expect(!matches("GET /hEAlth HTTP/1.1\r\nHost: x\r\n\r\n", "/health"))
        #expect(!matches("GET /health?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", "/health"))
        #expect(matches("GET http://www.haproxy.org/health HTTP/1.1\r\nHost: www.haproxy.org\r\n\r\n", "http://www.haproxy.org/health"))
        #expect(!matches("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", "http://www.haproxy.org/health"))
        #expect(!matches("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n", "/"))
    }
}

/// The tune.* keywords that set the head limits.
@Suite struct ConfigTuneKeywordTests {
    typealias S = ConfigTestSupport

    @Test func tuneKeywordsSetTheHeadLimits() throws {
        let c = try #require(S.parse("global\n tune.bufsize 8000\n tune.maxrewrite 512\n tune.http.maxhdr 200\n"))
        #expect(c.warnings.isEmpty)
        #expect(c.global.tune.headLimits == HeadLimits(bufferSize: 8000, maxRewrite: 512, maxHeaders: 200))
        #expect(c.global.tune.headLimits.bufferSize == 8000)
        #expect(S.parse("global\n")?.global.tune.headLimits == .haproxyDefault)
    }

    @Test(arguments: [
        ("tune.bufsize 1000", "too small"),
        ("tune.bufsize abc", "invalid tune.bufsize 'abc'"),
        ("tune.bufsize", "missing argument"),
        ("tune.bufsize 16384 extra", "unexpected argument 'extra'"),
        ("tune.maxrewrite -1", "invalid tune.maxrewrite"),
        ("tune.http.maxhdr 0", "out of range; expected 1..32767"),
        ("tune.http.maxhdr 32768", "out of range; expected 1..32767"),
    ])
    func invalidValuesAreErrors(_ line: String, _ message: String) {
        let errors = S.errors("global\n \(line)\n")
        #expect(errors.count == 1)
        #expect(errors.first?.line == 2 && errors.first?.description.contains(message) == true, "\(errors)")
    }

    @Test func aBufferLargerThanTheEnginesIsCappedWithAWarning() throws {
        let c = try #require(S.parse("global\n tune.bufsize 65536\n"))
        #expect(c.global.tune.bufferSize == 32768)
        #expect(c.warnings.count == 1 && c.warnings[0].hasPrefix("t.cfg:2:") && c.warnings[0].contains("'tune.bufsize 65536' is larger than ringproxy's per-connection buffers: 32768 bytes are used"))
    }

    @Test func otherTuneKeywordsAreStillIgnoredWithAWarning() throws {
        let c = try #require(S.parse("global\n tune.ssl.default-dh-param 2048\n"))
        #expect(c.warnings.count == 1 && c.warnings[0].contains("ignored"))
    }

    /// EngineBuffers repeats two sizes of the C engine: they must agree with its source.
    @Test func engineBuffersAgreeWithTheCSource() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/CUring")
        var source = ""
        for f in try FileManager.default.subpathsOfDirectory(atPath: dir.path) where f.hasSuffix(".c") || f.hasSuffix(".h") {
            source += (try? String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)) ?? ""
        }
        func define(_ name: String) -> Int? {
            guard let r = source.range(of: #"#define\s+"# + name + #"\s+\(?([0-9]+)"#, options: .regularExpression) else { return nil }
            return Int(source[r].split(whereSeparator: { $0 == " " || $0 == "(" }).last.map(String.init) ?? "")
        }
        #expect(define("BUFSZ") == EngineBuffers.receiveBytes)
        #expect(define("INSZ") == EngineBuffers.copiedBytes)
    }
}

/// The target against Host, and the scheme-based normalisation, case by case from HAProxy
/// 2.6.12's reg-test http-messaging/h1_host_normalization.vtc (what it logs as `%r` and the
/// captured Host is what ringproxy forwards), plus the targets probed on 2.6.12 directly.
@Suite struct HTTPTargetNormalisationTests {
    /// (method, target, Host, the request line and Host forwarded; nil: refused with 400)
    static let vtc: [(String, String, String, (String, String)?)] = [
        ("GET", "http://toto:poue@hostname:80/c1", "hostname:80", ("GET http://toto:poue@hostname/c1 HTTP/1.1", "hostname")),
        ("GET", "http://hostname:8080/c2", "hostname:8080", ("GET http://hostname:8080/c2 HTTP/1.1", "hostname:8080")),
        ("GET", "https://hostname:443/c3", "hostname:443", ("GET https://hostname/c3 HTTP/1.1", "hostname")),
        ("GET", "https://hostname:80/c4", "hostname:80", ("GET https://hostname:80/c4 HTTP/1.1", "hostname:80")),
        ("CONNECT", "hostname:80", "hostname:80", ("CONNECT hostname:80 HTTP/1.1", "hostname")),
        ("CONNECT", "hostname:80", "hostname", ("CONNECT hostname:80 HTTP/1.1", "hostname")),
        ("CONNECT", "hostname:80", "hostname:", ("CONNECT hostname:80 HTTP/1.1", "hostname:")),
        ("CONNECT", "hostname:443", "hostname:443", ("CONNECT hostname:443 HTTP/1.1", "hostname")),
        ("CONNECT", "hostname:443", "hostname", ("CONNECT hostname:443 HTTP/1.1", "hostname")),
        ("CONNECT", "hostname:8443", "hostname:8443", ("CONNECT hostname:8443 HTTP/1.1", "hostname:8443")),
        ("GET", "http://hostname1/", "hostname2", nil),
        ("GET", "http://hostname:80/", "hostname:81", nil),
        ("GET", "http://hostname:8080/", "hostname", nil),
        ("GET", "http://hostname/", "hostname:81", nil),
        ("CONNECT", "hostname", "hostname", nil),
        ("CONNECT", "hostname1:80", "hostname2:80", nil),
        ("CONNECT", "hostname:80", "hostname:443", nil),
        ("CONNECT", "hostname:8080", "hostname", nil),
        ("CONNECT", "/", "hostname", nil),
        ("CONNECT", "hostname:", "hostname", nil),
        ("GET", "http://hostname:80/c20", "hostname", ("GET http://hostname/c20 HTTP/1.1", "hostname")),
        ("GET", "https://hostname:443/c21", "hostname", ("GET https://hostname/c21 HTTP/1.1", "hostname")),
        ("GET", "http://hostname/c22", "hostname:80", ("GET http://hostname/c22 HTTP/1.1", "hostname:80")),
        ("GET", "https://hostname/c23", "hostname:443", ("GET https://hostname/c23 HTTP/1.1", "hostname:443")),
        ("GET", "http://hostname:/c24", "hostname", ("GET http://hostname/c24 HTTP/1.1", "hostname")),
        ("GET", "https://hostname:/c25", "hostname", ("GET https://hostname/c25 HTTP/1.1", "hostname")),
        ("GET", "http://hostname/c26", "hostname:", ("GET http://hostname/c26 HTTP/1.1", "hostname:")),
        ("GET", "https://hostname/c27", "hostname:", ("GET https://hostname/c27 HTTP/1.1", "hostname:")),
        ("GET", "http://hostname:80/c28", "hostname:", ("GET http://hostname/c28 HTTP/1.1", "hostname")),
        ("GET", "http://hostname:/c29", "hostname:80", ("GET http://hostname/c29 HTTP/1.1", "hostname")),
        ("GET", "https://hostname:443/c30", "hostname:", ("GET https://hostname/c30 HTTP/1.1", "hostname")),
        ("GET", "https://hostname:/c31", "hostname:443", ("GET https://hostname/c31 HTTP/1.1", "hostname")),
        // (c32–c35, `http://:` with `Host: :80`, have an empty authority: ringproxy refuses those.)
        // Probed on 2.6.12: a target that is not origin-form must match Host.
        ("GET", "x", "x", ("GET x HTTP/1.1", "x")),
        ("GET", "echo", "x", nil),
        ("GET", "x:80", "x", nil),
        ("GET", ":echo", "x", nil),
        ("GET", "a/b", "x", nil),
        ("GET", "?x", "x", nil),
        ("GET", "1http://x/", "x", nil),
        ("GET", "http:/x", "x", nil),
        ("GET", "http://x?y", "x", nil),
        ("GET", "/a#b", "x", nil),
        ("GET", "ftp://x/", "x", ("GET ftp://x/ HTTP/1.1", "x")),
        ("GET", "http://u:p@x/", "x", ("GET http://u:p@x/ HTTP/1.1", "x")),
    ]

    @Test(arguments: 0..<vtc.count) func normalisation(_ i: Int) {
        let (method, target, host, expected) = Self.vtc[i]
        let p = request("\(method) \(target) HTTP/1.1\r\nhost: \(host)\r\n\r\n")
        guard let expected else {
            if case .invalid = p.result {} else { Issue.record("\(method) \(target) / \(host): \(p.result), expected 400") }
            return
        }
        #expect(p.result == .complete, "\(method) \(target) / \(host)")
        let rw = HeadRewrite()
        RequestNormalisation.apply(head: p.head, rewrite: rw)
        #expect(p.rendered(rw) == "\(expected.0)\r\nhost: \(expected.1)\r\n\r\n", "\(method) \(target) / \(host)")
    }

    @Test func requestLineGoesWithSingleSpaces() {
        let p = request("GET   http://h:80/x  HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(p.result == .complete)
        let rw = HeadRewrite()
        RequestNormalisation.apply(head: p.head, rewrite: rw)
        #expect(p.rendered(rw) == "GET http://h/x HTTP/1.1\r\nHost: h\r\n\r\n")
        let lines = RequestLineStore(slots: 1)
        let n = lines.save(slot: 0, p.head)
        #expect(String(decoding: lines.line(slot: 0, length: n), as: UTF8.self) == "GET http://h/x HTTP/1.1")
    }
}

/// Protocol upgrades and Connection headers as 2.6.12 forwards them (probed on the wire).
@Suite struct HTTPUpgradeAndConnectionTests {
    @Test func webSocketUpgradeNeedsItsKey() {
        let base = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        #expect(request(base + "\r\n").result == .invalid(.badWebSocketKey))
        #expect(request(base + "Sec-WebSocket-Key: 12345678901234567890123\r\n\r\n").result == .invalid(.badWebSocketKey))
        #expect(request(base + "Sec-WebSocket-Key: 123456789012345678901234\r\n\r\n").result == .complete)
        // Only the last Upgrade header counts, and without `Connection: upgrade` nothing is checked.
        #expect(request("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n").result == .complete)
        #expect(request("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n").result == .complete)
    }

    @Test func upgradeWithABodyIsNotOffered() {
        let p = request("POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 1\r\n\r\n")
        #expect(p.result == .complete && p.head.dropUpgrade)
        let rw = HeadRewrite()
        RequestNormalisation.apply(head: p.head, rewrite: rw)
        ConnectionPolicy.rewriteRequest(head: p.head, rewrite: rw, mode: .close)
        #expect(p.rendered(rw) == "POST / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nContent-Length: 1\r\nConnection: close\r\n\r\n")
    }

    /// Connection values as 2.6.12 forwards them (h1_parse_connection_header's cleaning).
    @Test(arguments: [
        ("keep-alive, a , b", "a,b"), ("a, keep-alive, b", "a,b"), ("a ,b, close", "a ,b"), ("a,,b, ", "a,,b"),
        (", a", ", a"), ("a, close", "a"), ("close", nil), (",", nil), ("", nil), ("Upgrade", "Upgrade"),
        ("0,", "0"), ("a,b", "a,b"), ("c ,, d", "c ,, d"), ("close, a, keep-alive, b", "a,b"),
    ] as [(String, String?)])
    func connectionValues(_ value: String, _ forwarded: String?) {
        let p = request("GET / HTTP/1.1\r\nHost: x\r\nConnection: \(value)\r\n\r\n")
        #expect(p.result == .complete)
        let rw = HeadRewrite()
        _ = ConnectionPolicy.stripCloseAndKeepAlive(p.head, rw)
        let expected = "GET / HTTP/1.1\r\nHost: x\r\n" + (forwarded.map { "Connection: \($0)\r\n" } ?? "") + "\r\n"
        #expect(p.rendered(rw) == expected, "\(value.debugDescription)")
    }
}
