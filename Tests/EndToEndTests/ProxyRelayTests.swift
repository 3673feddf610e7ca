// End to end through a real ringproxy process on loopback (issue 3): keep-alive and close
// modes, bodies in both directions, every locally generated status with HAProxy's bytes,
// forwardfor, retries and redispatch, timeouts, and a concurrency run without leaks.
import Foundation
import Synchronization
import Testing
import Proxy
import Origins

/// One ringproxy in front of two echo servers, with a frontend and backend made from `options`.
final class RelayFixture: @unchecked Sendable {   // read-only after init
    let a: AppServer
    let b: AppServer
    let port: UInt16
    let proxy: ProxyProcess

    init(mode: String = "option http-keep-alive", extra: String = "", backendExtra: String = "",
         timeouts: String = "timeout connect 1s\n    timeout client 5s\n    timeout server 5s",
         secondServerPort: UInt16? = nil) throws {
        a = try AppServer(name: "A", port: 0, behaviour: .echo)
        b = try AppServer(name: "B", port: 0, behaviour: .echo)
        port = freePort()
        let config = """
        global
            nbthread 2
        defaults
            mode http
            \(timeouts)
            \(mode)
        frontend fe
            bind 127.0.0.1:\(port)
            \(extra)
            default_backend be
        backend be
            \(backendExtra)
            server A 127.0.0.1:\(a.port)
            server B 127.0.0.1:\(secondServerPort ?? b.port)
        """
        proxy = try ProxyProcess(config: config, waitForPorts: [port])
    }
    deinit { _ = proxy.stop(); a.stop(); b.stop() }

    func client() throws -> RawHTTP { try RawHTTP(port: port) }
}

@Suite(.serialized) struct ProxyRelayTests {
    @Test func keepAliveCarriesSeveralRequestsOnOneConnection() throws {
        let f = try RelayFixture()
        let c = try f.client()
        var servers: [String] = []
        for i in 0..<4 {
            let r = try c.request("GET", path: "/k\(i)")
            #expect(r.status == 200)
            servers.append(r.header("X-Server") ?? "?")
            #expect(r.header("Connection") == nil)              // HTTP/1.1 keep-alive: nothing added
        }
        #expect(servers == ["A", "B", "A", "B"])                 // round robin from the first server
        #expect(!c.isClosed(within: .milliseconds(100)))
        #expect(f.a.connectionsAccepted + f.b.connectionsAccepted <= 2)   // server connections reused
    }

    @Test func httpcloseClosesBothSidesAndSaysSo() throws {
        let f = try RelayFixture(mode: "option httpclose")
        let c = try f.client()
        try c.send("GET /x HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 200)
        #expect(r.header("Connection")?.lowercased() == "close")
        #expect(c.isClosed(within: .seconds(2)))
        // the server saw `Connection: close` as the last header, the client's keep-alive removed
        let lines = r.bodyText.split(whereSeparator: \.isNewline).map(String.init)
        #expect(lines.last?.trimmingHTTPBlanks() == "Connection: close")
        #expect(!lines.contains { $0.lowercased().hasPrefix("connection: keep-alive") })
    }

    @Test func oneMebibyteBothWaysArrivesIntact() throws {
        let f = try RelayFixture()
        let c = try f.client()
        let r = try c.request("GET", path: "/big?size=1048576")
        #expect(r.status == 200)
        #expect(r.body.count == 1 << 20)
        #expect(r.body == BodyPattern.bytes(count: 1 << 20))
        var body = [UInt8](repeating: 0, count: 1 << 20)
        for i in body.indices { body[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
        let p = try c.request("POST", path: "/up?hash=1", headers: [("Content-Type", "application/octet-stream")], body: body)
        #expect(p.bodyText.contains("bytes=1048576 fnv1a64=\(FNV1a64.hex(FNV1a64.hash(body)))"))
        // and the connection still works for the next request (the body did not overrun)
        #expect(try c.request("GET", path: "/after").status == 200)
    }

    @Test func chunkedBothWays() throws {
        let f = try RelayFixture()
        let c = try f.client()
        let r = try c.request("GET", path: "/c?chunked=1")
        #expect(r.status == 200)
        #expect(r.header("Transfer-Encoding")?.lowercased() == "chunked")
        #expect(r.bodyText.hasPrefix("A") || r.bodyText.hasPrefix("B"))
        let payload = Array(repeating: Array("0123456789abcdef".utf8), count: 5000).flatMap { $0 }
        var chunked: [UInt8] = []
        var i = 0
        while i < payload.count {
            let n = min(7000, payload.count - i)
            chunked += Array((String(n, radix: 16) + "\r\n").utf8) + payload[i..<i + n] + Array("\r\n".utf8)
            i += n
        }
        chunked += Array("0\r\n\r\n".utf8)
        try c.send(Array("POST /p?hash=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + chunked)
        let p = try c.readResponse()
        #expect(p.bodyText.contains("bytes=\(payload.count) fnv1a64=\(FNV1a64.hex(FNV1a64.hash(payload)))"))
        #expect(try c.request("GET", path: "/next").status == 200)
    }

    @Test func contentLengthWithChunkedIsForwardedAsChunked() throws {
        let f = try RelayFixture()
        let c = try f.client()
        try c.send("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 200)
        #expect(!r.bodyText.lowercased().contains("content-length"))
        #expect(r.bodyText.lowercased().contains("transfer-encoding: chunked"))
    }

    @Test func malformedRequestsGetHAProxysExact400AndReachNoServer() throws {
        let f = try RelayFixture()
        let bad = [
            "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
            "GET / HTTP/1.1\r\nX(A): 1\r\nHost: h\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            "GET /s\r\n\r\n",
        ]
        let before = f.a.requestsReceived + f.b.requestsReceived
        for req in bad {
            let c = try f.client()
            try c.send(req)
            let raw = try c.readAllUntilClose()
            #expect(raw == ErrorPages.bytes(.badRequest).array, "for \(req.debugDescription)")
        }
        let huge = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + String(repeating: "x", count: 17000) + "\r\n\r\n"
        let c = try f.client()
        try c.send(huge)
        #expect(try c.readAllUntilClose() == ErrorPages.bytes(.badRequest).array)
        #expect(f.a.requestsReceived + f.b.requestsReceived == before)
    }

    @Test func noBackendOrNoServerGives503Page() throws {
        let port = freePort()
        let p = try ProxyProcess(config: """
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
            option httpclose
        frontend fe
            bind 127.0.0.1:\(port)
            acl known hdr(host) -i known.example
            use_backend be if known
        backend be
            server dead 127.0.0.1:1
        """, waitForPorts: [port])
        defer { _ = p.stop() }
        let c = try RawHTTP(port: port)
        try c.send("GET / HTTP/1.1\r\nHost: other.example\r\n\r\n")
        #expect(try c.readAllUntilClose() == ErrorPages.bytes(.serviceUnavailable, connection: .close).array)
    }

    @Test func refusedServerIsRetriedThen503() throws {
        let dead = freePort()
        let port = freePort()
        let p = try ProxyProcess(config: """
        defaults
            mode http
            timeout connect 1s
            timeout client 10s
            timeout server 5s
            retries 2
            option httpclose
        frontend fe
            bind 127.0.0.1:\(port)
            default_backend be
        backend be
            server dead 127.0.0.1:\(dead)
        """, waitForPorts: [port])
        defer { _ = p.stop() }
        let start = ContinuousClock.now
        let c = try RawHTTP(port: port, timeout: .seconds(10))
        try c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let raw = try c.readAllUntilClose(timeout: .seconds(10))
        let elapsed = ContinuousClock.now - start
        #expect(raw == ErrorPages.bytes(.serviceUnavailable, connection: .close).array)
        #expect(elapsed >= .milliseconds(1900))          // two 1 s turn-arounds, as HAProxy
        #expect(elapsed < .seconds(5))
    }

    @Test func redispatchMovesToTheOtherServer() throws {
        let dead = freePort()
        let f = try RelayFixture(mode: "option httpclose\n    option redispatch\n    retries 3", secondServerPort: dead)
        // B's address is dead: every request must still be answered, by A
        for _ in 0..<4 {
            let r = try RawHTTP.get(port: f.port, path: "/r", timeout: .seconds(10))
            #expect(r.status == 200)
            #expect(r.header("X-Server") == "A")
        }
    }

    @Test func hangingServerGives504AfterTheServerTimeout() throws {
        let f = try RelayFixture(timeouts: "timeout connect 1s\n    timeout client 5s\n    timeout server 400ms")
        let start = ContinuousClock.now
        let c = try f.client()
        try c.send("GET /slow?sleep=3000 HTTP/1.1\r\nHost: h\r\n\r\n")
        let r = try c.readResponse()
        let elapsed = ContinuousClock.now - start
        #expect(r.status == 504)
        // HAProxy 2.6 keeps a keep-alive client after a 504 (issue 15 item 9): no close
        #expect(r.rawHead + r.rawBody == ErrorPages.bytes(.gatewayTimeout, connection: .none).array)
        #expect(elapsed >= .milliseconds(380) && elapsed < .milliseconds(1500))
        #expect(try c.request("GET", path: "/after").status == 200)
    }

    @Test func serverClosingWithoutAnswerGives502() throws {
        let f = try RelayFixture()
        let c = try f.client()
        try c.send("GET /x?close=1 HTTP/1.1\r\nHost: h\r\n\r\n")
        // HAProxy 2.6 keeps a keep-alive client after a 502 (issue 15 item 9)
        let r = try c.readResponse()
        #expect(r.rawHead + r.rawBody == ErrorPages.bytes(.badGateway, connection: .none).array)
        #expect(try c.request("GET", path: "/after").status == 200)
        // one that asked for the close gets the page that says so
        let d = try f.client()
        try d.send("GET /x?close=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        #expect(try d.readAllUntilClose() == ErrorPages.bytes(.badGateway, connection: .close).array)
    }

    @Test func halfAHeadGets408AfterTheClientTimeout() throws {
        let f = try RelayFixture(timeouts: "timeout connect 1s\n    timeout client 400ms\n    timeout server 5s")
        let c = try f.client()
        try c.send("GET /x HTTP/1.1\r\nHost: h\r\nX-Part")
        let start = ContinuousClock.now
        let raw = try c.readAllUntilClose(timeout: .seconds(3))
        #expect(raw == ErrorPages.bytes(.requestTimeout).array)
        #expect(ContinuousClock.now - start >= .milliseconds(350))
        // a connection that sends nothing gets the same page
        let idle = try f.client()
        #expect(try idle.readAllUntilClose(timeout: .seconds(3)) == ErrorPages.bytes(.requestTimeout).array)
    }

    @Test func forwardforAppendsTheClientAddress() throws {
        let f = try RelayFixture(extra: "option forwardfor")
        let c = try f.client()
        let r = try c.request("GET", path: "/f", headers: [("X-Forwarded-For", "1.2.3.4")])
        let lines = r.bodyText.split(whereSeparator: \.isNewline).map { $0.trimmingHTTPBlanks() }
        let xff = lines.filter { $0.lowercased().hasPrefix("x-forwarded-for:") }
        #expect(xff == ["X-Forwarded-For: 1.2.3.4", "X-Forwarded-For: 127.0.0.1"])
    }

    @Test func twoHundredClientsFiftyRequestsEachWithoutErrorsOrLeaks() throws {
        let f = try RelayFixture()
        // warm-up so lazily created descriptors (rings, pipes) exist before counting
        _ = try f.client().request("GET", path: "/warm")
        let fdsBefore = f.proxy.openFDCount() ?? -1
        let errors = ManagedCounter()
        let what = Mutex<[String]>([])           // the first few, to say what went wrong
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            var k = 0
            do {
                let c = try f.client()
                while k < 50 {
                    let r = try c.request("GET", path: "/c\(i)/\(k)")
                    if r.status != 200 { errors.add(); what.withLock { if $0.count < 5 { $0.append("client \(i) request \(k): status \(r.status)") } } }
                    k += 1
                }
                c.close()
            } catch {
                errors.add()
                what.withLock { if $0.count < 5 { $0.append("client \(i) request \(k): \(error)") } }
            }
        }
        #expect(errors.value == 0, "\(what.withLock { $0 })")
        // every client connection has been closed, and idle server connections are purged after
        // 5 s (HAProxy's pool-purge-delay): the proxy is back to its idle descriptors
        var fdsAfter = -2
        for _ in 0..<100 {
            fdsAfter = f.proxy.openFDCount() ?? -2
            if fdsAfter <= fdsBefore { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(fdsAfter <= fdsBefore, "fds before \(fdsBefore), after \(fdsAfter)")
    }
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
