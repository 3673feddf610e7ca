// Issue 15 items 12 and 13, side by side with HAProxy 2.6: counters that tell the truth. The
// queue columns (qcur, qmax, qtime) are written; a request aborted while queued logs <NOSRV>
// with its queue time; with `option abortonclose` a client leaving while the response is awaited
// aborts it (400, CH); frontend scur counts open client connections, %ac/%fc are process-wide, and
// a connection closed without a byte (or timed out) counts as HAProxy counts it.
import CBench
import CUring
import Foundation
import Glibc
import Testing
import Synchronization

@Suite(.serialized) struct QueueAndConnectionCounterTests {
    private static func config(origin: UInt16, defaults: String, server: String = "", global: String = "") -> (UInt16, UInt16) -> String {
        { port, log in
            let stats = freePort()
            return """
            global
                log 127.0.0.1:\(log) local0
                \(global)
            defaults
                mode http
                log global
                option httplog
                timeout connect 1s
                timeout client 5s
                timeout server 5s
                \(defaults)
            listen stats
                bind 127.0.0.1:\(stats)
                stats enable
                stats uri /st
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be
            backend be
                server s1 127.0.0.1:\(origin) \(server)
            """
        }
    }

    /// The stats port written in a side's configuration.
    private func statsPort(_ side: TwinProxies.Side) -> UInt16 {
        let text = (try? String(contentsOfFile: side.process.configPath, encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.contains("bind") && !$0.contains(":\(side.port)") }
        return line.flatMap { UInt16($0.split(separator: ":").last ?? "") } ?? 0
    }

    /// The frontend's log lines (the stats page logs too), waiting for `count` of them.
    private func feLogs(_ twins: TwinProxies, _ side: TwinProxies.Side, count: Int) -> [OpsLogLine] {
        var lines: [OpsLogLine] = []
        _ = ProcessProbe.waitUntil(timeout: .seconds(5)) {
            lines = side.syslog.messages.compactMap(OpsLogLine.init).filter { $0["%ft"] == "fe" }
            return lines.count >= count
        }
        return lines
    }

    private func csv(_ side: TwinProxies.Side) throws -> OpsStatsCSV {
        try OpsStatsCSV(RawHTTP.get(port: statsPort(side), path: "/st;csv").bodyText)
    }

    private func slowOrigin(_ ms: UInt32) throws -> ScriptedTCPOrigin {
        try ScriptedTCPOrigin { peer, _ in
            while peer.readHead() != nil {
                usleep(ms * 1000)
                peer.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            }
        }
    }

    @Test func aRequestAbortedInTheQueueLogsNoServerAndTheQueueIsCounted() throws {
        let origin = try slowOrigin(1000)
        defer { origin.stop() }
        let twins = try TwinProxies(Self.config(origin: origin.port, defaults: "option abortonclose\n    timeout queue 5s", server: "maxconn 1"))
        defer { twins.stop() }
        var qtimes: [String: Int] = [:]
        for side in twins.sides {
            let a = try RawHTTP(port: side.port)
            try a.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
            usleep(200_000)
            let b = try RawHTTP(port: side.port)
            try b.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
            usleep(200_000)
            let mid = try csv(side)
            #expect(mid.number("be", "BACKEND", "qcur") == 1 && mid.number("be", "BACKEND", "qmax") == 1, "\(side.name) mid")
            #expect(mid.number("be", "s1", "qcur") == 0, "\(side.name): a load-balanced request waits in the backend's queue")
            let c = try RawHTTP(port: side.port)
            try c.send("GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
            usleep(200_000)
            b.close()
            #expect(try a.readResponse().status == 200)
            #expect(try c.readResponse(timeout: .seconds(5)).status == 200)
            let lines = feLogs(twins, side, count: 3)
            let lb = lines.first { $0.request.contains("/b ") }
            #expect(lb?["%b/%s"] == "be/<NOSRV>" && lb?["%ST"] == "-1" && lb?["%tsc"] == "CQ--", "\(side.name): \(lb.map { "\($0)" } ?? "no log")")
            let tw = lb?.timers?[1] ?? -1
            #expect(tw >= 300 && tw < 1500, "\(side.name): Tw \(tw)")
            let end = try csv(side)
            #expect(end.number("be", "BACKEND", "qcur") == 0 && end.number("be", "BACKEND", "qmax") == 2, "\(side.name) end")
            #expect(end.number("be", "s1", "stot") == 2 && end.number("be", "s1", "req_tot") == 2, "\(side.name): the aborted one never reached s1")
            qtimes[side.name] = end.number("be", "BACKEND", "qtime")
        }
        let q = qtimes["ringproxy"] ?? 0
        #expect(q >= 150 && q < 600, "ringproxy qtime \(q)")          // (0 + ~600 + aborted) / 3
        if let h = qtimes["haproxy"] { #expect(abs(q - h) < 150, "qtime: ringproxy \(q), haproxy \(h)") }
    }

    @Test func abortOnCloseWhileTheResponseIsAwaitedIsA400CH() throws {
        let origin = try slowOrigin(2000)
        defer { origin.stop() }
        let twins = try TwinProxies(Self.config(origin: origin.port, defaults: "option abortonclose"))
        defer { twins.stop() }
        for side in twins.sides {
            let c = try RawHTTP(port: side.port)
            try c.send("GET /c3 HTTP/1.1\r\nHost: x\r\n\r\n")
            usleep(300_000)
            shutdown(c.fd, Int32(SHUT_WR))
            let line = feLogs(twins, side, count: 1).first
            #expect(line?["%ST"] == "400" && line?["%tsc"] == "CH--" && line?.timerShape == "+/+/+/-/+",
                    "\(side.name): \(line.map { "\($0)" } ?? "no log")")
        }
    }

    @Test func frontendSessionsAreConnectionsCountedProcessWide() throws {
        let origin = try slowOrigin(0)
        defer { origin.stop() }
        let twins = try TwinProxies(Self.config(origin: origin.port, defaults: "timeout http-request 300ms\n    timeout http-keep-alive 5s", global: "nbthread 2"))
        defer { twins.stop() }
        for side in twins.sides {
            let base = try csv(side)
            var kept: [RawHTTP] = []
            for _ in 0..<3 {
                let k = try RawHTTP(port: side.port)
                #expect(try k.request("GET", path: "/").status == 200)
                kept.append(k)
            }
            let mid = try csv(side)
            #expect(mid.number("fe", "FRONTEND", "scur") == 3, "\(side.name): scur counts open connections")
            let lines = feLogs(twins, side, count: 3)
            // %fc: the frontend's connections, whichever thread logs (%ac may also count the
            // stats page's connection while it closes)
            let counts = lines.map { $0["%ac/%fc/%bc/%sc/%rc"].split(separator: "/").compactMap { Int($0) } }
            let fc = counts.map { $0.count == 5 ? $0[1] : -1 }
            // Both log after the response is out, from either thread: on a loaded machine the
            // next client may already be counted, and the lines may arrive in either order.
            // Some line sees all three connections, whichever thread accepted them: the count
            // is process-wide.
            #expect(fc.allSatisfy { (1...3).contains($0) } && fc.max() == 3, "\(side.name): \(lines)")
            if side.name == "ringproxy" {
                #expect(counts.allSatisfy { $0.count == 5 && $0[0] >= $0[1] && Array($0[2...]) == [0, 0, 0] }, "\(side.name): \(lines)")
            }
            let null = try RawHTTP(port: side.port)
            null.close()                                   // a connection closed without a byte
            let slow = try RawHTTP(port: side.port)
            try slow.send("GET / HT")                       // a head that times out (408)
            _ = try? slow.readAllUntilClose(timeout: .seconds(3))
            _ = feLogs(twins, side, count: 5)
            let end = try csv(side)
            func delta(_ col: String) -> Int { end.number("fe", "FRONTEND", col) - base.number("fe", "FRONTEND", col) }
            let deltas: [Int] = ["stot", "conn_tot", "req_tot", "ereq", "hrsp_4xx"].map(delta)
            #expect(deltas == [5, 5, 5, 2, 2],
                    "\(side.name): stot, conn_tot, req_tot, ereq, hrsp_4xx")
        }
    }
}
