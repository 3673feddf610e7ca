// Idle keep-alive connections hold no buffer (engine issue, hardening issue item 14): the resident
// memory a real ringproxy process grows by per idle client connection, side by side with
// HAProxy 2.6 where it is installed; a new connection is still served while they sit there; and
// the memory goes back to the system once they close.
import Foundation
import Testing
import Origins

@Suite(.serialized) struct ProxyIdleMemoryTests {
    static let idle = 2000

    /// One proxy (ringproxy or haproxy) in keep-alive mode in front of one origin.
    final class Fixture {
        let origin: AppServer
        let port: UInt16
        let proxy: ProxyProcess

        init(haproxy: Bool) throws {
            origin = try AppServer(name: "A", port: 0, behaviour: .echo)
            port = freePort()
            let config = """
            global
                nbthread 1
                maxconn \(ProxyIdleMemoryTests.idle + 100)
            defaults
                mode http
                maxconn \(ProxyIdleMemoryTests.idle + 100)
                timeout connect 5s
                timeout client 60s
                timeout server 30s
                timeout http-keep-alive 60s
                option http-keep-alive
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be
            backend be
                http-reuse always
                server A 127.0.0.1:\(origin.port)
            """
            proxy = haproxy ? try HAProxyProcess.start(config: config, waitForPorts: [port])
                            : try ProxyProcess(config: config, waitForPorts: [port])
        }
        deinit { _ = proxy.stop(); origin.stop() }

        /// VmRSS of the proxy process, in KiB.
        func rssKiB() -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(proxy.pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }

        /// Enough requests for the process's steady state: pools, the server connection, and
        /// every buffer of ringproxy's provided-buffer ring (4,096 per worker) used once.
        func warmUp() throws {
            for _ in 0..<10 {
                let c = try RawHTTP(port: port)
                for i in 0..<500 { #expect(try c.request("GET", path: "/w\(i)").status == 200) }
            }
        }

        struct Measure { var perConnectionKiB: Double; var grownKiB: Int; var baseKiB: Int; var fresh: Duration }

        /// Opens `n` connections with one request each and keeps them; measures; leaves them open.
        func openIdle(_ n: Int) throws -> (Measure, [RawHTTP]) {
            try warmUp()
            let base = rssKiB()
            var conns: [RawHTTP] = []
            for i in 0..<n {
                let c = try RawHTTP(port: port)
                #expect(try c.request("GET", path: "/i\(i)").status == 200)
                conns.append(c)
            }
            let grown = rssKiB() - base
            let start = ContinuousClock.now
            let fresh = try RawHTTP(port: port)
            #expect(try fresh.request("GET", path: "/fresh").status == 200)
            let took = ContinuousClock.now - start
            return (Measure(perConnectionKiB: Double(grown) / Double(n), grownKiB: grown, baseKiB: base, fresh: took), conns)
        }
    }

    @Test func anIdleConnectionCostsUnderOneKiBAndTheMemoryComesBack() throws {
        let f = try Fixture(haproxy: false)
        let (m, conns) = try f.openIdle(Self.idle)
        // was 13.3 KiB: a 4 KiB slot and the first pages of an 80 KiB buffer block per connection
        #expect(m.perConnectionKiB < 1.0, "RSS grew by \(m.grownKiB) KiB for \(Self.idle) idle connections")
        #expect(m.fresh < .seconds(1))
        for c in conns { c.close() }
        // spare buffer blocks and the pages of free slots are given back on a once-a-second tick
        let deadline = ContinuousClock.now + .seconds(10)
        var rss = f.rssKiB()
        while rss > m.baseKiB + m.grownKiB / 10 && ContinuousClock.now < deadline {
            usleep(100_000)
            rss = f.rssKiB()
        }
        #expect(rss <= m.baseKiB + m.grownKiB / 10, "RSS \(rss) KiB after the connections closed; \(m.baseKiB) KiB before them")
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "compares with /usr/sbin/haproxy"))
    func anIdleConnectionCostsNoMoreThanInHAProxy() throws {
        let rf = try Fixture(haproxy: false)
        let (r, rc) = try rf.openIdle(Self.idle)
        rc.forEach { $0.close() }
        let hf = try Fixture(haproxy: true)
        let (h, hc) = try hf.openIdle(Self.idle)
        hc.forEach { $0.close() }
        #expect(r.perConnectionKiB <= h.perConnectionKiB,
                "ringproxy \(r.perConnectionKiB) KiB per idle connection, HAProxy \(h.perConnectionKiB) KiB")
    }
}
