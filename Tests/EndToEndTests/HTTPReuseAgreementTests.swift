// `http-reuse never|safe|aggressive|always` on the wire, side by side with HAProxy 2.6: clients
// come one after the other, each with a few keep-alive requests, and the origin says which of
// its connections (and which request on it) served each one. What matters is the pattern: a
// first request of a client connection on a new server connection (`safe`), on one that has
// already carried two requests (`aggressive`), on its own connection only (`never`).
import CBench
import CUring
import Foundation
import Glibc
import Testing

@Suite(.serialized) struct HTTPReuseAgreementTests {
    /// Answers every request with `X-Conn: C/R` (its connection's index, the request's index
    /// on that connection).
    static func countingOrigin() throws -> ScriptedTCPOrigin {
        try ScriptedTCPOrigin { peer, index in
            var n = 0
            while peer.readHead() != nil {
                peer.write("HTTP/1.1 200 OK\r\nX-Conn: \(index)/\(n)\r\nContent-Length: 0\r\n\r\n")
                n += 1
            }
        }
    }

    /// For each client in turn (each keeps its connection for its requests, then closes it and
    /// waits for the proxy to close it too), the X-Conn of each response.
    static func pattern(binary: String, reuse: String?, serverOptions: String, requestsPerClient: [Int], threads: Int = 1) throws -> [[String]] {
        let origin = try countingOrigin()
        defer { origin.stop() }
        let port = freePort()
        // one thread unless asked: which thread accepts a client is the kernel's choice
        let config = """
            global
                nbthread \(threads)
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 1s
            listen l
                bind 127.0.0.1:\(port)
            \(reuse.map { "    http-reuse \($0)" } ?? "")
                server s 127.0.0.1:\(origin.port) \(serverOptions)

            """
        let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
        defer { p.stop() }
        var out: [[String]] = []
        for n in requestsPerClient {
            let c = try RawHTTP(port: port)
            var seen: [String] = []
            for _ in 0..<n {
                try c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                seen.append(try c.readResponse().header("X-Conn") ?? "?")
            }
            shutdown(c.fd, Int32(SHUT_WR))
            #expect(c.isClosed(within: .seconds(2)))
            out.append(seen)
        }
        return out
    }

    static var binaries: [String] { [ProxyProcess.ringproxyBinary] + (HAProxyProcess.executable.map { [$0] } ?? []) }

    /// (http-reuse, server options, requests per client, what ringproxy and HAProxy do)
    static let cases: [(String?, String, [Int], [[String]])] = [
        // never: each client connection has its own server connection
        ("never", "", [3, 3], [["0/0", "0/1", "0/2"], ["1/0", "1/1", "1/2"]]),
        // safe (the default): a first request on a new connection; pool-max-conn 1 keeps one
        // idle connection, so the second client's later requests go to the first client's
        ("safe", "pool-max-conn 1", [3, 3, 2], [["0/0", "0/1", "0/2"], ["1/0", "0/3", "0/4"], ["2/0", "0/5"]]),
        (nil, "pool-max-conn 1", [2, 2], [["0/0", "0/1"], ["1/0", "0/2"]]),
        // aggressive: a first request only on a connection that carried two already (which of
        // two idle ones a later request takes differs: HAProxy the older, ringproxy the newer;
        // only the request indexes are compared)
        ("aggressive", "", [1, 2, 1], [["0"], ["0", "1"], ["2"]]),
        // always: any idle connection, also for a first request
        ("always", "", [1, 1], [["0/0"], ["0/1"]]),
    ]

    @Test(arguments: 0..<cases.count)
    func reuseFollowsTheMode(_ k: Int) throws {
        let (reuse, options, requests, want) = Self.cases[k]
        for binary in Self.binaries {
            var got = try Self.pattern(binary: binary, reuse: reuse, serverOptions: options, requestsPerClient: requests)
            if reuse == "aggressive" { got = got.map { $0.map { String($0.split(separator: "/").last ?? "") } } }
            #expect(got == want, "\(binary) http-reuse \(reuse ?? "(default)"): \(got)")
        }
    }

    /// Idle server connections are shared by the worker threads, as HAProxy's: with two threads,
    /// clients land on either (the kernel spreads them), and every client's later requests
    /// still find the first client's connection, whichever thread pooled it last.
    @Test func idleConnectionsAreSharedByTheThreads() throws {
        let clients = 8
        let want = (0..<clients).map { k in k == 0 ? ["0/0", "0/1", "0/2"] : ["\(k)/0", "0/\(2 * k + 1)", "0/\(2 * k + 2)"] }
        for binary in Self.binaries {
            let got = try Self.pattern(binary: binary, reuse: "safe", serverOptions: "pool-max-conn 1",
                                       requestsPerClient: Array(repeating: 3, count: clients), threads: 2)
            #expect(got == want, "\(binary): \(got)")
        }
    }
}
