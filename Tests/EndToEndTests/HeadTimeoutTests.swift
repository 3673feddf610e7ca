// Issue 15 item 4, side by side with HAProxy 2.6: no timer fires early. `timeout http-request`
// counts from the request's first byte (on a new connection as between keep-alive requests), and
// without it `timeout client` is an inactivity timeout on the head, not a total deadline.
import Foundation
import Glibc
import Testing
import Origins

@Suite(.serialized) struct HeadTimeoutTests {
    private static func config(origin: UInt16, timeouts: String) -> (UInt16, UInt16) -> String {
        { port, log in
            """
            global
                log 127.0.0.1:\(log) local0
            defaults
                mode http
                log global
                option httplog
                timeout connect 1s
                timeout server 5s
                \(timeouts)
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be
            backend be
                server s1 127.0.0.1:\(origin)
            """
        }
    }

    @Test(arguments: [false, true]) func httpRequestTimeoutCountsFromTheFirstByte(keepAlive: Bool) throws {
        let origin = try AppServer(name: "A")
        defer { origin.stop() }
        let twins = try TwinProxies(Self.config(origin: origin.port, timeouts: "timeout client 10s\n    timeout http-request 600ms\n    timeout http-keep-alive 2s"))
        defer { twins.stop() }
        for side in twins.sides {
            let c = try RawHTTP(port: side.port)
            if keepAlive { #expect(try c.request("GET", path: "/").status == 200) }
            usleep(400_000)
            let first = ContinuousClock.now
            try c.send("GET / HTTP/1.1\r\n")
            let r = try c.readResponse(timeout: .seconds(3))
            let after = ContinuousClock.now - first
            #expect(r.status == 408, "\(side.name)")
            #expect(after >= .milliseconds(600) && after < .milliseconds(1500), "\(side.name): 408 after \(after)")
            let line = twins.logs(side, count: keepAlive ? 2 : 1).last
            #expect(line?["%tsc"] == "cR--" && line?["%B"] == "0", "\(side.name): \(line.map { "\($0)" } ?? "no log")")
            // `after` above is the strict check (from before the first byte). Ta's stamps are
            // taken while a batch is handled, which under load can be a few ms after the loop
            // clock that armed the deadline: a small slack here, none on `after`.
            let ta = line?.timers?.last ?? -1
            #expect(ta >= 590 && ta < 1500, "\(side.name): Ta \(ta)")
        }
    }

    @Test func clientTimeoutIsAnInactivityTimeoutOnTheHead() throws {
        let origin = try AppServer(name: "A")
        defer { origin.stop() }
        let twins = try TwinProxies(Self.config(origin: origin.port, timeouts: "timeout client 500ms"))
        defer { twins.stop() }
        for side in twins.sides {
            let c = try RawHTTP(port: side.port)
            let request = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
            for b in request { try c.send([b]); usleep(120_000) }     // ~3 s, never 500 ms idle
            let r = try c.readResponse(timeout: .seconds(3))
            #expect(r.status == 200, "\(side.name)")
        }
    }
}
