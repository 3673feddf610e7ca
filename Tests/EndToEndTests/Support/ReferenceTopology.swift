// The reference configuration's world on loopback (spec Appendix B): two back-ends named
// REALsrv_70 and REALsrv_120, a syslog listener, and the seed config with its addresses
// rewritten to free local ports. Run it under ringproxy or haproxy alike.
import Foundation
import Proxy
import Origins

final class ReferenceTopology: @unchecked Sendable {   // immutable after init; its servers are Sendable
    let realsrv70: AppServer
    let realsrv120: AppServer
    let syslog: SyslogCollector
    /// WEB_SITE (was 0.0.0.0:8080), admin_stats (was :443), site_status (was :445).
    let frontPort: UInt16
    let statsPort: UInt16
    let monitorPort: UInt16

    init(behaviour: AppServer.Behaviour = .echo) throws {
        realsrv70 = try AppServer(name: "REALsrv_70", port: 0, behaviour: behaviour)
        realsrv120 = try AppServer(name: "REALsrv_120", port: 0, behaviour: behaviour)
        syslog = try SyslogCollector()
        frontPort = freePort()
        statsPort = freePort()
        monitorPort = freePort()
    }

    deinit { stop() }

    /// Stops both servers and the syslog listener. Idempotent.
    func stop() {
        realsrv70.stop()
        realsrv120.stop()
        syslog.stop()
    }

    /// A fixture from Tests/Fixtures (`seed.cfg`, `seed-haproxy26.cfg`, `seed-as-published.cfg`)
    /// with its addresses rewritten to this topology. `keepProcessLines: false` also drops
    /// `daemon`, `user`, `group` and `pidfile` (not wanted in a foreground test run).
    func config(fixture: String = "seed.cfg", keepProcessLines: Bool = false) throws -> String {
        let path = ProxyProcess.packageRoot + "/Tests/Fixtures/" + fixture
        return rewrite(try String(contentsOfFile: path, encoding: .utf8), keepProcessLines: keepProcessLines)
    }

    /// Rewrites the reference addresses in any config text to this topology.
    func rewrite(_ text: String, keepProcessLines: Bool = false) -> String {
        let replacements: [(String, String)] = [
            ("184.82.239.70:80", "127.0.0.1:\(realsrv70.port)"),
            ("220.162.237.120:80", "127.0.0.1:\(realsrv120.port)"),
            ("113.106.185.245:443", "127.0.0.1:\(statsPort)"),
            ("113.106.185.245:445", "127.0.0.1:\(monitorPort)"),
            ("0.0.0.0:8080", "127.0.0.1:\(frontPort)"),
            ("127.0.0.1:514 ", "127.0.0.1:\(syslog.port) "),
        ]
        var lines: [String] = []
        for var line in text.components(separatedBy: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if !keepProcessLines, let first = words.first, ["daemon", "user", "group", "pidfile"].contains(first) { continue }
            for (from, to) in replacements { line = line.replacingOccurrences(of: from, with: to) }
            // 1.4 style `log 127.0.0.1 local0`: the port defaults to 514.
            if words.first == "log", words.count > 1, words[1] == "127.0.0.1" {
                line = line.replacingOccurrences(of: "127.0.0.1", with: "127.0.0.1:\(syslog.port)")
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// GET through the front end with a given Host (the ACLs route on it).
    func get(host: String, path: String = "/", headers: [(String, String)] = [], source: String? = nil) throws -> RawHTTP.Response {
        try RawHTTP.get(port: frontPort, path: path, host: host, headers: headers, source: source)
    }
}
