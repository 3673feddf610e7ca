// The test process runs every suite in parallel in one process: a descriptor number a test
// server has closed may be another test's socket a moment later. A server that shut down or
// closed a number after closing it cut some other test's connection (a client "closed with 0
// bytes", a 502 where the origin saw nothing). These check that the servers stopped doing that.
import CBench
import CUring
import Foundation
import Glibc
import Testing

/// Connected UNIX socket pairs: likely to take the numbers just closed (the lowest free ones).
func socketPairs(_ n: Int) -> [(Int32, Int32)] {
    (0..<n).compactMap { _ in
        var sv: [Int32] = [-1, -1]
        return socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sv) == 0 ? (sv[0], sv[1]) : nil
    }
}

/// Both directions of every pair still carry a byte (neither end was shut down or closed).
func pairsIntact(_ pairs: [(Int32, Int32)]) -> Bool {
    pairs.allSatisfy { a, b in
        [(a, b), (b, a)].allSatisfy { from, to in
            var x: UInt8 = 42, y: UInt8 = 0
            return send(from, &x, 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) == 1 && recv(to, &y, 1, Int32(MSG_DONTWAIT)) == 1 && y == 42
        }
    }
}

@Suite(.serialized) struct TestServerDescriptorTests {
    @Test func recordingOriginStopShutsDownOnlyConnectionsStillOpen() throws {
        let origin = try RecordingOrigin()
        let c = try RawHTTP(port: origin.port)
        try c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse(timeout: .seconds(5)).status == 200)
        c.close()
        #expect(ProcessProbe.waitUntil { origin.openConnections == 0 })   // its side is closed now
        let pairs = socketPairs(32)
        defer { pairs.forEach { close($0.0); close($0.1) } }
        origin.stop()
        #expect(pairsIntact(pairs))
    }
}

extension TestServerDescriptorTests {
    /// ProxyHeaderOrigin shut down, at `stop`, every number it had ever accepted: a connection
    /// it had closed meanwhile (the proxy went first) had a number another test's client socket
    /// could hold by then, and that client saw its keep-alive connection closed after an answer
    /// (RulesRequestTests, FramingHardeningTests under the whole suite's load).
    @Test func proxyHeaderOriginStopShutsDownOnlyConnectionsStillOpen() throws {
        let origin = try ProxyHeaderOrigin()
        let c = try RawHTTP(port: origin.port)
        try c.send("PROXY TCP4 127.0.0.1 127.0.0.1 1111 2222\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse(timeout: .seconds(5)).status == 200)
        shutdown(c.fd, Int32(SHUT_WR))
        _ = try c.readAllUntilClose(timeout: .seconds(5))             // its side is closed now
        let pairs = socketPairs(32)
        defer { pairs.forEach { close($0.0); close($0.1) } }
        origin.stop()
        #expect(pairsIntact(pairs))
    }
}
