// The reference topology run under HAProxy 2.6 (when installed): proves the harness end to end
// and records what ringproxy's own end-to-end tests should see.
import Testing
import Foundation
import Proxy

@Suite struct OriginReferenceTopologyTests {
    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed"))
    func haproxy26RunsTheRewrittenSeedConfig() throws {
        let world = try ReferenceTopology(behaviour: .phpApp)
        defer { world.stop() }
        let config = try world.config(fixture: "seed-haproxy26.cfg")
        #expect(!config.contains("184.82.239.70") && !config.contains("daemon"))
        let proxy = try HAProxyProcess.start(config: config, waitForPorts: [world.frontPort, world.statsPort, world.monitorPort])
        defer { proxy.stop() }

        // cookie.9ai9.net: inserted SESSION_COOKIE pins the server.
        let first = try world.get(host: "cookie.9ai9.net")
        // Two Set-Cookie lines: the app's 9ai9 session and HAProxy's inserted SESSION_COOKIE.
        let inserted = try #require(first.headers(named: "Set-Cookie").first { $0.hasPrefix("SESSION_COOKIE=") })
        let pin = String(inserted.split(separator: ";")[0])
        for _ in 0..<3 {
            #expect(try world.get(host: "cookie.9ai9.net", headers: [("Cookie", pin)]).header("X-Server") == first.header("X-Server"))
        }

        // nosession.9ai9.net: round robin alternates.
        let rr = try (0..<4).map { _ in try world.get(host: "nosession.9ai9.net").header("X-Server") ?? "" }
        #expect(rr[0] != rr[1] && rr[0] == rr[2] && rr[1] == rr[3])

        // sourceip.9ai9.net: one source address, one server (spec §9: .1 → 120, .2 → 70).
        #expect(try world.get(host: "sourceip.9ai9.net", source: "127.0.0.1").header("X-Server") == "REALsrv_120")
        #expect(try world.get(host: "sourceip.9ai9.net", source: "127.0.0.2").header("X-Server") == "REALsrv_70")

        // appsession.9ai9.net: the app's 9ai9 session cookie is learnt, visits accumulate on one server.
        let start = try world.get(host: "appsession.9ai9.net")
        let session = try #require(start.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        for n in 2...4 {
            let r = try world.get(host: "appsession.9ai9.net", headers: [("Cookie", session)])
            #expect(r.header("X-Server") == start.header("X-Server"))
            #expect(r.bodyText.contains("visits \(n)\n"))
        }

        // Stats with the reference credentials, and the monitor URI.
        #expect(try RawHTTP.get(port: world.statsPort, path: "/qhappy_stats").status == 401)
        let stats = try RawHTTP.get(port: world.statsPort, path: "/qhappy_stats;csv",
                                    headers: [("Authorization", "Basic " + Data("qhappy:qhappy".utf8).base64EncodedString())])
        #expect(stats.status == 200)
        #expect(stats.bodyText.contains("APPSESSION_srv,REALsrv_70,"))
        #expect(try RawHTTP.get(port: world.monitorPort, path: "/site_status").status == 200)

        // httplog lines reach the syslog collector.
        #expect(world.syslog.waitForMessages(count: 10).contains { $0.contains("WEB_SITE APPSESSION_srv/") })
    }

    @Test func rewriteCoversTheLegacyDialect() throws {
        let world = try ReferenceTopology()
        defer { world.stop() }
        let config = try world.config(fixture: "seed.cfg")
        for old in ["184.82.239.70", "220.162.237.120", "113.106.185.245", "0.0.0.0:8080", "daemon", "pidfile"] {
            #expect(!config.contains(old), "\(old) left in the rewritten config")
        }
        #expect(config.contains("log     127.0.0.1:\(world.syslog.port) local0 info"))
        #expect(config.contains("bind    127.0.0.1:\(world.frontPort)"))
        #expect(config.contains("appsession 9ai9 len 64 timeout 5h request-learn"))
    }
}
