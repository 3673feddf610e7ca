#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Proxy

/// Header edits, byte for byte. Expected heads follow what HAProxy 2.6.12 forwarded in the
/// same situations (observed with an echo server; 2.6 lower-cases names, we keep them and
/// write `Connection`/`X-Forwarded-For` as configured).
@Suite struct HTTPRewriteTests {
    static let localhost: UInt32 = 0x7F00_0001
    let xff = ForwardedFor(ForwardForConfig())!

    /// The forwarder's order: Content-Length, then X-Forwarded-For, then Connection (last).
    func forward(_ raw: String, mode: ConnectionMode, forwardFor: Bool = true) -> String {
        let p = request(raw)
        #expect(p.result == .complete)
        let rw = HeadRewrite()
        ContentLengthRewrite.apply(head: p.head, rewrite: rw)
        if forwardFor { xff.append(head: p.head, rewrite: rw, ipv4: Self.localhost) }
        ConnectionPolicy.rewriteRequest(head: p.head, rewrite: rw, mode: mode)
        #expect(!rw.overflowed)
        return p.rendered(rw)
    }

    @Test func httpclose11WithClientForwardedFor() {
        #expect(forward("GET /echo HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n", mode: .close) ==
                "GET /echo HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4\r\nX-Forwarded-For: 127.0.0.1\r\nConnection: close\r\n\r\n")
    }

    @Test func httpclose11KeepAliveBecomesClose() {
        #expect(forward("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\n", mode: .close) ==
                "GET /echo HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nX-Forwarded-For: 127.0.0.1\r\nConnection: close\r\n\r\n")
    }

    @Test func httpclose11CloseMovesToTheEnd() {
        // 2.6.12 forwarded `host: x, x-forwarded-for, connection: close` for this request.
        #expect(forward("GET /echo HTTP/1.1\r\nConnection: close\r\nHost: x\r\n\r\n", mode: .close) ==
                "GET /echo HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 127.0.0.1\r\nConnection: close\r\n\r\n")
    }

    @Test func httpclose10GetsNoConnectionHeader() {
        #expect(forward("GET /echo HTTP/1.0\r\n\r\n", mode: .close) ==
                "GET /echo HTTP/1.0\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n")
        #expect(forward("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", mode: .close) ==
                "GET /echo HTTP/1.0\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n")
    }

    @Test func otherConnectionTokensStay() {
        // 2.6.12: `foo` kept, the keep-alive line removed, close appended.
        #expect(forward("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: foo\r\nConnection: keep-alive\r\n\r\n", mode: .close) ==
                "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: foo\r\nX-Forwarded-For: 127.0.0.1\r\nConnection: close\r\n\r\n")
        // 2.6.12: with Upgrade only the close/keep-alive tokens go, nothing is appended.
        #expect(forward("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: foo\r\n\r\n", mode: .close) ==
                "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: foo\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n")
    }

    @Test func keepAliveModeTowardsServer() {
        #expect(forward("GET /echo HTTP/1.0\r\n\r\n", mode: .keepAlive, forwardFor: false) ==
                "GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(forward("GET /echo HTTP/1.0\r\nConnection: close\r\n\r\n", mode: .keepAlive, forwardFor: false) ==
                "GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(forward("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", mode: .keepAlive, forwardFor: false) ==
                "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(forward("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", mode: .keepAlive, forwardFor: false) ==
                "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        let untouched = request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        let rw = HeadRewrite()
        ConnectionPolicy.rewriteRequest(head: untouched.head, rewrite: rw, mode: .keepAlive)
        #expect(rw.isEmpty)
    }

    @Test func contentLengthWithChunkedIsDropped() {
        #expect(forward("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", mode: .close) ==
                "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Forwarded-For: 127.0.0.1\r\nConnection: close\r\n\r\n")
    }

    @Test func equalContentLengthsBecomeOne() {
        #expect(forward("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n", mode: .close) ==
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nX-Forwarded-For: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(forward("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 12, 12\r\nA: b\r\n\r\n", mode: .keepAlive, forwardFor: false) ==
                "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 12\r\nA: b\r\n\r\n")
    }

    @Test func leadingEmptyLinesAreNotForwarded() {
        let p = request("\r\n\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(p.result == .complete)
        let rw = HeadRewrite()
        if !p.head.leadingEmptyLines.isEmpty { rw.delete(p.head.leadingEmptyLines) }
        #expect(p.rendered(rw) == "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(request("GET / HTTP/1.1\r\n\r\n").head.leadingEmptyLines.isEmpty)
    }

    @Test func bareLFHeadKeepsItsLines() {
        #expect(forward("GET /echo HTTP/1.1\nHost: x\nConnection: keep-alive\n\n", mode: .close) ==
                "GET /echo HTTP/1.1\nHost: x\nX-Forwarded-For: 127.0.0.1\r\nConnection: close\r\n\n")
    }

    // MARK: responses

    func answer(_ raw: String, keepsAlive: Bool, requestMinor: Int) -> String {
        let p = response(raw)
        #expect(p.result == .complete)
        let rw = HeadRewrite()
        ContentLengthRewrite.apply(head: p.head, rewrite: rw)
        ConnectionPolicy.rewriteResponse(head: p.head, rewrite: rw, clientKeepsAlive: keepsAlive, requestMinor: requestMinor)
        return p.rendered(rw)
    }

    @Test func responseConnection() {
        // httpclose: close on 1.1 responses (the server's keep-alive removed).
        #expect(answer("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", keepsAlive: false, requestMinor: 1) ==
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        #expect(answer("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", keepsAlive: false, requestMinor: 1) ==
                "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        // keep-alive: the server's close is not passed on; 1.0 clients are told keep-alive.
        #expect(answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", keepsAlive: true, requestMinor: 1) ==
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", keepsAlive: true, requestMinor: 0) ==
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
        #expect(answer("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n", keepsAlive: false, requestMinor: 1) ==
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    }

    // MARK: forwardfor options and address text

    func xffLine(_ config: ForwardForConfig, _ raw: String = "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                 _ put: (ForwardedFor, RequestHead, HeadRewrite) -> Void) -> String {
        let p = request(raw)
        let rw = HeadRewrite()
        put(ForwardedFor(config)!, p.head, rw)
        // The inserted line sits between the original headers and the final CRLF.
        let out = Array(p.rendered(rw).utf8)
        return String(decoding: out[(raw.utf8.count - 2)..<(out.count - 2)], as: UTF8.self)
    }

    @Test func forwardForOptions() {
        var named = ForwardForConfig(); named.header = "X-Client"
        #expect(xffLine(named) { $0.append(head: $1, rewrite: $2, ipv4: 0x0A01_0203) } == "X-Client: 10.1.2.3\r\n")
        var except = ForwardForConfig(); except.exceptNetwork = "127.0.0.0/8"
        #expect(xffLine(except) { $0.append(head: $1, rewrite: $2, ipv4: Self.localhost) } == "")
        #expect(xffLine(except) { $0.append(head: $1, rewrite: $2, ipv4: 0x8000_0001) } == "X-Forwarded-For: 128.0.0.1\r\n")
        var mask = ForwardForConfig(); mask.exceptNetwork = "10.0.0.0/255.0.0.0"
        #expect(xffLine(mask) { $0.append(head: $1, rewrite: $2, ipv4: 0x0AFF_FFFF) } == "")
        #expect(xffLine(mask) { $0.append(head: $1, rewrite: $2, ipv4: 0x0B00_0000) } == "X-Forwarded-For: 11.0.0.0\r\n")
        var ifNone = ForwardForConfig(); ifNone.ifNone = true
        #expect(xffLine(ifNone, "GET / HTTP/1.1\r\nx-forwarded-for: 1.1.1.1\r\n\r\n") { $0.append(head: $1, rewrite: $2, ipv4: 1) } == "")
        #expect(xffLine(ifNone) { $0.append(head: $1, rewrite: $2, ipv4: 0xFFFF_FFFF) } == "X-Forwarded-For: 255.255.255.255\r\n")
        var bad = ForwardForConfig(); bad.exceptNetwork = "10.0.0.0/33"
        #expect(ForwardedFor(bad) == nil)
        bad.exceptNetwork = "10.0.0.0/255.0.255.0"
        #expect(ForwardedFor(bad) == nil)
    }

    @Test func socketAddresses() {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr.s_addr = UInt32(0xC0A8_0105).bigEndian
        #expect(xffLine(ForwardForConfig()) { f, h, rw in withUnsafeBytes(of: &sin) { f.append(head: h, rewrite: rw, socketAddress: $0.baseAddress!) } }
                == "X-Forwarded-For: 192.168.1.5\r\n")
        for (text, expected) in [("::1", "::1"), ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("::ffff:1.2.3.4", "::ffff:1.2.3.4")] {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            #expect(inet_pton(AF_INET6, text, &sin6.sin6_addr) == 1)
            #expect(xffLine(ForwardForConfig()) { f, h, rw in withUnsafeBytes(of: &sin6) { f.append(head: h, rewrite: rw, socketAddress: $0.baseAddress!) } }
                    == "X-Forwarded-For: \(expected)\r\n")
        }
        var v6except = ForwardForConfig(); v6except.exceptNetwork = "::1"
        var loop6 = sockaddr_in6()
        loop6.sin6_family = sa_family_t(AF_INET6)
        _ = inet_pton(AF_INET6, "::1", &loop6.sin6_addr)
        #expect(xffLine(v6except) { f, h, rw in withUnsafeBytes(of: &loop6) { f.append(head: h, rewrite: rw, socketAddress: $0.baseAddress!) } } == "")
    }
}
