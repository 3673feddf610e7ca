// The back-end under concurrent keep-alive load, and its clean shutdown.
import CBench
import CUring
import Testing
import Foundation
import Glibc
import Proxy
import Origins

@Suite struct OriginLoadTests {
    @Test func twoHundredConcurrentClientsTwentyRequestsEachWithoutErrors() async throws {
        let s = try AppServer(name: "LOAD", port: 0)
        defer { s.stop() }
        let port = s.port
        let failures = await withTaskGroup(of: Int.self) { group in
            for client in 0..<200 {
                group.addTask {
                    // Blocking socket work: run it off the cooperative pool.
                    await withCheckedContinuation { done in
                        Thread.detachNewThread {
                            var failed = 0
                            do {
                                let c = try RawHTTP(port: port)
                                for i in 0..<20 {
                                    try c.send("GET /c\(client)/r\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
                                    let r = try c.readResponse(timeout: .seconds(20))
                                    if r.status != 200 || !r.bodyText.contains("GET /c\(client)/r\(i) ") { failed += 1 }
                                }
                            } catch {
                                failed += 1
                            }
                            done.resume(returning: failed)
                        }
                    }
                }
            }
            return await group.reduce(0, +)
        }
        #expect(failures == 0)
        #expect(s.requestsServed == 4000)
        #expect(s.connectionsAccepted == 200)
    }

    /// Descriptors of this process whose socket is bound locally to `port` (the server's
    /// listener and accepted connections; clients have other local ports).
    private func descriptorsBound(to port: UInt16) -> Int {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return -1 }
        var count = 0
        for e in entries {
            guard let fd = Int32(e) else { continue }
            var addr = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
            } == 0
            if ok, addr.sin_family == sa_family_t(AF_INET), UInt16(bigEndian: addr.sin_port) == port { count += 1 }
        }
        return count
    }

    @Test func stopClosesTheListenerAndEveryConnection() throws {
        let s = try AppServer(name: "S", port: 0)
        let port = s.port
        let clients = try (0..<5).map { _ in try RawHTTP(port: port) }
        try clients[0].send("GET /?sleep=10000 HTTP/1.1\r\nHost: x\r\n\r\n") // a thread busy sleeping
        try clients[1].send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try clients[1].readResponse()
        let deadline = ContinuousClock.now + .seconds(2)
        while s.openConnections < 5, ContinuousClock.now < deadline { usleep(5000) }
        #expect(descriptorsBound(to: port) == 6) // the listener and five connections
        let started = ContinuousClock.now
        s.stop()
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(descriptorsBound(to: port) == 0)
        #expect(clients.allSatisfy { $0.isClosed(within: .seconds(1)) })
        #expect(throws: RawHTTPError.self) { _ = try RawHTTP(port: port) }
    }

    @Test func startAndStopLeakNoDescriptors() throws {
        func fdCount() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1 }
        // Other suites run in parallel and open descriptors too: allow a few tries for a
        // quiet moment, but a real leak (10 servers × several fds) cannot hide.
        var leaked = Int.max
        for _ in 0..<5 where leaked > 0 {
            let before = fdCount()
            for _ in 0..<10 {
                let s = try AppServer(name: "S", port: 0)
                _ = try RawHTTP.get(port: s.port)
                s.stop()
            }
            leaked = fdCount() - before
        }
        #expect(leaked <= 0)
    }
}

@Suite struct OriginAbuseTests {
    @Test func survivesClientsThatVanishMidMessage() throws {
        let s = try AppServer(name: "S", port: 0)
        defer { s.stop() }
        for _ in 0..<20 {
            let halfHead = try RawHTTP(port: s.port)
            try halfHead.send("GET /partial HTTP/1.1\r\nHost: x\r\n")
            halfHead.close()
            let halfBody = try RawHTTP(port: s.port)
            try halfBody.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc")
            halfBody.close()
            let badChunk = try RawHTTP(port: s.port)
            try badChunk.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
            #expect(try badChunk.readResponse().status == 400)
            let walkAway = try RawHTTP(port: s.port)
            try walkAway.send("GET /?size=5000000 HTTP/1.1\r\nHost: x\r\n\r\n")
            walkAway.close() // unread megabytes: the server's send fails, its thread must end
        }
        #expect(try RawHTTP.get(port: s.port).status == 200)
        let deadline = ContinuousClock.now + .seconds(5)
        while s.openConnections > 0, ContinuousClock.now < deadline { usleep(10_000) }
        #expect(s.openConnections == 0)
    }
}
