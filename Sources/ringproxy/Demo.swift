// `ringproxy` with no arguments: the reference topology on 127.0.0.1, with two built-in origin
// servers that behave like the PHP app of the reference config, and a list of commands to
// try. It is the real proxy on the embedded reference configuration, not a separate path.
import Origins
import Proxy
#if canImport(Glibc)
import Glibc
#endif

enum Demo {
    /// Ports: web, stats, monitor, then the two backends. RINGPROXY_DEMO_PORT moves them all.
    struct Ports: Sendable {
        var web: Int, stats: Int, monitor: Int, server70: Int, server120: Int
        init(base: Int) { web = base; stats = base + 1; monitor = base + 2; server70 = base + 11; server120 = base + 12 }
    }

    /// The reference configuration with its addresses moved to loopback, and without the
    /// lines that need root or a daemon (user, group, daemon, pidfile).
    static func configuration(ports: Ports) -> String {
        var out: [String] = []
        for raw in DemoConfiguration.reference.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = String(raw)
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if let k = words.first, ["user", "group", "daemon", "pidfile"].contains(String(k)) { continue }
            line = line.replacingAll("113.106.185.245:443", with: "127.0.0.1:\(ports.stats)")
            line = line.replacingAll("113.106.185.245:445", with: "127.0.0.1:\(ports.monitor)")
            line = line.replacingAll("0.0.0.0:8080", with: "127.0.0.1:\(ports.web)")
            line = line.replacingAll("184.82.239.70:80", with: "127.0.0.1:\(ports.server70)")
            line = line.replacingAll("220.162.237.120:80", with: "127.0.0.1:\(ports.server120)")
            out.append(line)
        }
        return out.joined(separator: "\n")
    }

    /// The lines the demo prints: what to try, one line each.
    static func instructions(ports: Ports) -> [String] {
        let web = "http://127.0.0.1:\(ports.web)/"
        return [
            "ringproxy demo: the reference configuration (HAProxy 1.4 '9ai9' sticky sessions) on 127.0.0.1",
            "  backends REALsrv_70 (127.0.0.1:\(ports.server70)) and REALsrv_120 (127.0.0.1:\(ports.server120)) act like the PHP app: they issue a 9ai9 session cookie and count visits",
            "Try (run each twice or more: the same server answers and the visit count grows):",
            "  cookie:     curl -s -c /tmp/rp-cookie.jar -b /tmp/rp-cookie.jar -H 'Host: cookie.9ai9.net' \(web)",
            "  source ip:  curl -s -H 'Host: sourceip.9ai9.net' \(web)   # from 127.0.0.1; add --interface 127.0.0.2 for the other server",
            "  appsession: curl -s -c /tmp/rp-app.jar -b /tmp/rp-app.jar -H 'Host: appsession.9ai9.net' \(web)",
            "  no session: curl -s -H 'Host: nosession.9ai9.net' \(web)   # alternates between the two servers",
            "  stats page: http://qhappy:qhappy@127.0.0.1:\(ports.stats)/qhappy_stats   (CSV: curl -s -u qhappy:qhappy 'http://127.0.0.1:\(ports.stats)/qhappy_stats;csv')",
            "  monitor:    curl -s http://127.0.0.1:\(ports.monitor)/site_status",
            "  under load: .build/release/ringbench --url \(web) --host cookie.9ai9.net --clients 50 --connections 50 --server-id X-Server --duration 5",
            "Ctrl-C stops the demo.",
        ]
    }

    static func run() -> Int32 {
        let base = getenv("RINGPROXY_DEMO_PORT").flatMap { Int(String(cString: $0)) } ?? 8080
        let ports = Ports(base: base)
        let signals = ProcessControl.blockControlSignals()
        let servers: [AppServer]
        do {
            servers = [try AppServer(name: "REALsrv_70", host: "127.0.0.1", port: UInt16(ports.server70), behaviour: .phpApp),
                       try AppServer(name: "REALsrv_120", host: "127.0.0.1", port: UInt16(ports.server120), behaviour: .phpApp)]
        } catch {
            writeStderr("ringproxy demo: cannot start the demo backends: \(error)\n  (a port is in use: stop what uses it, or move the demo with RINGPROXY_DEMO_PORT=9080)\n")
            return 1
        }
        defer { servers.forEach { $0.stop() } }
        let config: Configuration
        do { config = try ConfigParser.parse(text: configuration(ports: ports), file: "<demo: seed.cfg>") }
        catch { writeStderr("ringproxy demo: \(error)\n"); return 1 }
        let proxy: RunningProxy
        do {
            proxy = try RunningProxy(configuration: config, foreground: true)
            try proxy.start()
        } catch {
            writeStderr("ringproxy demo: \(error)\n  (a port is in use: stop what uses it, or move the demo with RINGPROXY_DEMO_PORT=9080)\n")
            return 1
        }
        for n in config.notes { print("note: \(n)") }
        for line in instructions(ports: ports) { print(line) }
        fflush(nil)
        _ = ProcessControl.waitForStop(signals)
        proxy.stop(soft: false)
        print("ringproxy demo stopped")
        return 0
    }
}

extension String {
    func replacingAll(_ a: String, with b: String) -> String {
        guard !a.isEmpty, contains(a) else { return self }
        return components(a).joined(separator: b)
    }
    private func components(_ sep: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let r = rest.range(of: sep) {
            parts.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}
