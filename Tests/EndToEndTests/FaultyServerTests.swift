// Issue 15 items 3 and 9, side by side with HAProxy 2.6: what a faulty or old server leaves for
// the client. The same server bytes go through both proxies; the client sees the same status, the
// same keep-alive or close afterwards, and the log the same termination state.
import Foundation
import Glibc
import Testing

struct FaultyServerCase: Sendable, CustomStringConvertible {
    let name: String
    /// What the server writes for `/first` (nil: it closes without answering).
    let reply: String?
    /// Written 200 ms after `reply` (a break after the head went out).
    var later: String? = nil
    var description: String { name }
}

@Suite(.serialized) struct FaultyServerTests {
    static let cases: [FaultyServerCase] = [
        .init(name: "broken chunk size in the first packet",
              reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff1\r\nx\r\n0\r\n\r\n"),
        .init(name: "broken chunk size after the head", reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
              later: "ffffffffffffffffff1\r\nx\r\n0\r\n\r\n"),
        .init(name: "invalid status line", reply: "HTTP/1.1 abc\r\n\r\n"),
        .init(name: "closed without a response", reply: nil),
        .init(name: "HTTP/1.0 chunked", reply: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        .init(name: "HTTP/1.0 with a length", reply: "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc"),
        .init(name: "HTTP/1.0 until close", reply: "HTTP/1.0 200 OK\r\n\r\nbody"),
    ]

    /// What one proxy did with the case.
    struct Outcome: Equatable, CustomStringConvertible {
        var status: Int?            // nil: no response head at all
        var kept: Bool              // a second request on the same connection was answered
        var termination: String
        var description: String { "status \(status.map(String.init) ?? "none"), \(kept ? "kept" : "closed"), \(termination)" }
    }

    @Test(arguments: cases) func sameOutcomeAsHAProxy(_ c: FaultyServerCase) throws {
        let origin = try ScriptedTCPOrigin { peer, _ in
            while let head = peer.readHead() {
                if head.hasPrefix("GET /second") { peer.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"); continue }
                guard let reply = c.reply else { return }
                peer.write(reply)
                if let later = c.later { usleep(200_000); peer.write(later) }
                if reply.hasPrefix("HTTP/1.0 200 OK\r\n\r\n") { return }      // its body ends with the close
            }
        }
        defer { origin.stop() }
        let twins = try TwinProxies { port, log in
            """
            global
                log 127.0.0.1:\(log) local0
            defaults
                mode http
                log global
                option httplog
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be
            backend be
                server s1 127.0.0.1:\(origin.port)
            """
        }
        defer { twins.stop() }
        var outcomes: [String: Outcome] = [:]
        for side in twins.sides {
            let client = try RawHTTP(port: side.port)
            try client.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
            let start = ContinuousClock.now
            let first = try? client.readResponse(timeout: .seconds(3))
            var kept = false
            if !client.isClosed(within: .milliseconds(300)) {
                try client.send("GET /second HTTP/1.1\r\nHost: x\r\n\r\n")
                kept = (try? client.readResponse(timeout: .seconds(2)))?.status == 200
            }
            #expect(ContinuousClock.now - start < .seconds(3), "\(side.name): waited for a timeout")
            let line = twins.logs(side).first
            outcomes[side.name] = Outcome(status: first?.status, kept: kept, termination: line?["%tsc"] ?? "no log")
        }
        let rp = outcomes["ringproxy"]!
        if let hp = outcomes["haproxy"] {
            #expect(rp == hp, "ringproxy: \(rp); haproxy: \(hp)")
        }
        #expect(rp.termination != "no log")
    }
}
