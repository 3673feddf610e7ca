// Issue 3, limits: frontend `maxconn` (excess clients wait in the kernel's backlog), server
// `maxconn` with `timeout queue` (queued requests are served or get 503), and
// `option abortonclose` (a queued request whose client half-closed never reaches the server).
import Foundation
import Testing
import Proxy
import Origins

@Suite(.serialized) struct ProcessLimitTests {
    @Test func frontendMaxconnLeavesTheThirdClientInTheBacklog() throws {
        let server = try AppServer(name: "A")
        defer { server.stop() }
        let port = freePort()
        let proxy = try ProxyProcess(config: singleServerConfig(port: port, server: server.port, frontend: "maxconn 2"),
                                     waitForPorts: [port])
        defer { proxy.stop() }
        let slow = (0..<2).map { i in BackgroundTask { try RawHTTP.timedGet(port: port, path: "/slow\(i)?sleep=1500") } }
        #expect(ProcessProbe.waitUntil { server.requestsReceived == 2 })
        let firstsDone = ContinuousClock.now + .milliseconds(1500)

        // The kernel completes the handshake (connect succeeds) but the proxy does not accept.
        let third = try RawHTTP(port: port, timeout: .seconds(1))
        try third.send("GET /third HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        #expect(throws: (any Error).self, "the third client was answered while two were in progress") {
            _ = try third.readResponse(timeout: .milliseconds(700))
        }
        #expect(server.requestsReceived == 2)
        let r = try third.readResponse(timeout: .seconds(5))
        #expect(r.status == 200)
        #expect(ContinuousClock.now >= firstsDone - .milliseconds(100), "answered before a slot was free")
        for t in slow {
            guard case .success(let s)? = t.wait() else { Issue.record("a slow request failed"); continue }
            #expect(s.status == 200)
        }
        #expect(server.requestsReceived == 3)
    }

    private func queueFixture(backend: String) throws -> (AppServer, ProxyProcess, UInt16) {
        let server = try AppServer(name: "A")
        let port = freePort()
        let config = singleServerConfig(port: port, server: server.port, backend: backend)
            .replacingOccurrences(of: "server A 127.0.0.1:\(server.port)", with: "server A 127.0.0.1:\(server.port) maxconn 1")
        return (server, try ProxyProcess(config: config, waitForPorts: [port]), port)
    }

    @Test func queuedRequestGets503AfterTimeoutQueueBehindASlowOne() throws {
        let (server, proxy, port) = try queueFixture(backend: "timeout queue 300ms")
        defer { proxy.stop(); server.stop() }
        let first = BackgroundTask { try RawHTTP.timedGet(port: port, path: "/slow?sleep=1500") }
        #expect(ProcessProbe.waitUntil { server.requestsReceived == 1 })
        let second = try RawHTTP.timedGet(port: port, path: "/second")
        #expect(second.status == 503)
        #expect(second.elapsed >= .milliseconds(280), "503 after \(second.elapsed), before the queue timeout")
        #expect(second.elapsed < .milliseconds(1000), "503 after \(second.elapsed)")
        #expect(server.requestsReceived == 1)
        guard case .success(let f)? = first.wait() else { Issue.record("the slow request failed"); return }
        #expect(f.status == 200)
    }

    @Test func queuedRequestIsServedWhenTheFirstEndsInTime() throws {
        let (server, proxy, port) = try queueFixture(backend: "timeout queue 300ms")
        defer { proxy.stop(); server.stop() }
        let first = BackgroundTask { try RawHTTP.timedGet(port: port, path: "/fast?sleep=120") }
        #expect(ProcessProbe.waitUntil { server.requestsReceived == 1 })
        let second = try RawHTTP.timedGet(port: port, path: "/second")
        #expect(second.status == 200)
        #expect(second.elapsed >= .milliseconds(50), "served after \(second.elapsed): it did not wait for the slot")
        guard case .success(let f)? = first.wait() else { Issue.record("the first request failed"); return }
        #expect(f.status == 200)
        #expect(server.requestsReceived == 2)
    }

    /// Queues a second request behind a slow first one, then half-closes its client.
    /// Returns how many requests the server received in the end, and what the client read.
    private func halfCloseWhileQueued(abortOnClose: Bool) throws -> (received: Int, clientClosedEarly: Bool) {
        let (server, proxy, port) = try queueFixture(backend: "timeout queue 5s" + (abortOnClose ? "\n    option abortonclose" : ""))
        defer { proxy.stop(); server.stop() }
        let first = BackgroundTask { try RawHTTP.timedGet(port: port, path: "/slow?sleep=800") }
        #expect(ProcessProbe.waitUntil { server.requestsReceived == 1 })
        let second = try RawHTTP(port: port)
        try second.send("GET /second HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        usleep(150_000)                       // parsed and queued behind the slow request
        second.shutdownWrite()
        let closedEarly = second.isClosed(within: .milliseconds(400))
        guard case .success(let f)? = first.wait() else { Issue.record("the slow request failed"); return (-1, closedEarly) }
        #expect(f.status == 200)
        usleep(300_000)                       // time for a queued request to be sent on
        if !abortOnClose { _ = second.isClosed(within: .seconds(2)) }
        return (server.requestsReceived, closedEarly)
    }

    @Test func abortonclosedropsAQueuedRequestWhoseClientHalfClosed() throws {
        let r = try halfCloseWhileQueued(abortOnClose: true)
        #expect(r.received == 1, "the aborted request reached the server")
        #expect(r.clientClosedEarly, "the proxy kept the aborted client connection open")
    }

    /// The contrast: without the option a half-closed client still gets its request served.
    @Test func withoutAbortoncloseTheHalfClosedClientIsStillServed() throws {
        let r = try halfCloseWhileQueued(abortOnClose: false)
        #expect(r.received == 2)
        #expect(!r.clientClosedEarly)
    }
}
