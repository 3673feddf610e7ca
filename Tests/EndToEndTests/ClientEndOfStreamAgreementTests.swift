// What a client that half-closes right after its bytes gets (the differential fuzzer's way of
// sending: the request(s), then shutdown(SHUT_WR)), byte for byte the fuzzer's cases: pipelined
// requests sent before the end of stream are all answered, an incomplete head is a 400, and a
// CONNECT answered 2xx is a tunnel (the bytes after its head go to the server as they are).
// Each case runs through ringproxy and, where it is installed, HAProxy 2.6; the expectations
// are what HAProxy 2.6.12 does.
import CBench
import CUring
import Foundation
import Glibc
import Testing

struct EndOfStreamCase: Sendable, CustomTestStringConvertible {
    let name: String
    /// Sent in this many writes (the fuzzer splits one case in two), then SHUT_WR.
    let segments: [[UInt8]]
    /// Status of each response the client reads before the proxy closes.
    let statuses: [Int]
    /// What reached the server, as StrictFraming reads it (`garbage` for tunnelled bytes
    /// that are not a request).
    let origin: [String]
    var testDescription: String { name }

    init(_ name: String, _ segments: String..., statuses: [Int], origin: [String]) {
        self.name = name
        self.segments = segments.map { Array($0.utf8) }
        self.statuses = statuses
        self.origin = origin
    }

    struct Observation: Equatable, CustomStringConvertible {
        var statuses: [Int] = []
        var closed = false
        var origin: [String] = []
        var description: String { "statuses \(statuses), closed \(closed), origin \(origin)" }
    }

    func observe(binary: String) throws -> Observation {
        let origin = try RecordingOrigin()
        defer { origin.stop() }
        let port = freePort()
        let config = """
            defaults
                mode http
                timeout connect 2s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be
            backend be
                server s1 127.0.0.1:\(origin.port)

            """
        let proxy = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
        defer { proxy.stop() }
        let client = try RawHTTP(port: port)
        for s in segments { try client.send(s) }
        shutdown(client.fd, Int32(SHUT_WR))
        var o = Observation()
        while let r = try? client.readResponse(timeout: .seconds(3)) { o.statuses.append(r.status) }
        o.closed = client.isClosed(within: .seconds(3))
        o.origin = origin.connections.flatMap { StrictFraming.messages($0).map(\.description) }
        return o
    }

    func check(_ o: Observation, _ who: String) {
        #expect(o.statuses == statuses, "\(who): \(o)")
        #expect(o.closed, "\(who): \(o)")
        #expect(o.origin == origin, "\(who): \(o)")
    }
}

@Suite(.serialized) struct ClientEndOfStreamAgreementTests {
    static let get2 = "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"

    static let cases: [EndOfStreamCase] = [
        EndOfStreamCase("two pipelined requests, then the end of stream",
                        "GET / HTTP/1.1\r\nHost: x\r\n\r\n" + get2,
                        statuses: [200, 200], origin: ["GET / HTTP/1.1 | host: x", "GET /2 HTTP/1.1 | host: x"]),
        EndOfStreamCase("the second request in two writes",
                        "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.1\r\nHo", "st: x\r\n\r\n",
                        statuses: [200, 200], origin: ["GET / HTTP/1.1 | host: x", "GET /2 HTTP/1.1 | host: x"]),
        EndOfStreamCase("a chunked request, then a pipelined one",
                        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n" + get2,
                        statuses: [200, 200],
                        origin: ["POST / HTTP/1.1 | host: x | transfer-encoding: chunked | body \"a\"", "GET /2 HTTP/1.1 | host: x"]),
        EndOfStreamCase("a pipelined head cut by the end of stream is 400",
                        "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n",
                        statuses: [200, 400], origin: ["GET / HTTP/1.1 | host: x"]),
        EndOfStreamCase("a head cut by the end of stream is 400", "GET / HTTP/1.1\r\nHo",
                        statuses: [400], origin: []),
        // the fuzzer's "incomplete head" cases were this one: an empty coding after chunked
        EndOfStreamCase("Transfer-Encoding `Chunked` then `,` is 400",
                        "POST / HTTP/1.1\r\ntransfer-encoding: Chunked\r\nHost: x\r\nTransfer-Encoding: ,\r\n\r\n",
                        statuses: [400], origin: []),
        // CONNECT: the bytes after its head wait for the answer, then go through the tunnel
        EndOfStreamCase("CONNECT then bytes: a tunnel after the 200",
                        "CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\nhello",
                        statuses: [200], origin: ["CONNECT x:443 HTTP/1.1 | host: x", "garbage | body \"hello\""]),
        EndOfStreamCase("CONNECT then a chunk: tunnelled as it is",
                        "CONNECT db:5432 HTTP/1.1\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                        statuses: [200, 200], origin: ["CONNECT db:5432 HTTP/1.1", "5"]),
        EndOfStreamCase("CONNECT has no body: its Content-Length is dropped",
                        "CONNECT db:5432 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n",
                        statuses: [200, 200], origin: ["CONNECT db:5432 HTTP/1.1", "abcGET / HTTP/1.1"]),
        EndOfStreamCase("CONNECT in two writes, the head cut",
                        "CONNECT x:443 HTTP/1.1\r\nHost", ": x:443\r\n\r\nst: x:443\r\n\r\n",
                        statuses: [200, 200], origin: ["CONNECT x:443 HTTP/1.1 | host: x", "st: x:443"]),
    ]

    @Test(arguments: cases) func ringproxy(_ c: EndOfStreamCase) throws {
        c.check(try c.observe(binary: ProxyProcess.ringproxyBinary), "ringproxy")
    }

    /// The expectations above are HAProxy 2.6.12's.
    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed"), arguments: cases)
    func haproxy(_ c: EndOfStreamCase) throws {
        // HAProxy closes a CONNECT tunnel at the client's end of stream; under the whole
        // suite's load that can come before the server's answer to the tunnelled bytes. The
        // reference is what it does when it has the time: up to three tries.
        var o = try c.observe(binary: HAProxyProcess.executable!)
        for _ in 0..<2 where o.statuses != c.statuses || o.origin != c.origin || !o.closed {
            o = try c.observe(binary: HAProxyProcess.executable!)
        }
        c.check(o, "haproxy")
    }
}
