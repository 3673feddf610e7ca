// Per-listener statistics (`option socket-stats`) side by side with HAProxy 2.6: the same
// configuration and traffic give the same listener rows (type 3) in `show stat`, the same
// typed fields, and the same `haproxy_listener_*` samples in the Prometheus exporter. The
// traffic is spread over the listeners differently (keep-alive requests, a bad request, a
// denied one) so that a counter attributed to the wrong listener, or only to the frontend,
// shows up as a difference.
import Foundation
import Testing
import Proxy
import Origins

@Suite(.serialized) struct ListenerStatsTests {
    static func template(origin: UInt16) -> @Sendable (String, String, [UInt16]) -> String {
        { admin, user, p in
            """
            global
                stats socket \(admin) level admin
                stats socket \(user) level user
            defaults
                mode http
                timeout connect 5s
                timeout client 5s
                timeout server 5s
                option socket-stats
            listen stats
                bind 127.0.0.1:\(p[0])
                bind 127.0.0.1:\(p[1]) name named
                http-request use-service prometheus-exporter if { path /metrics }
            frontend fe
                bind 127.0.0.1:\(p[2])
                bind 127.0.0.1:\(p[3]) id 7 maxconn 50
                bind 127.0.0.1:\(p[4])
                http-request deny if { path /deny }
                default_backend be
            frontend quiet
                no option socket-stats
                bind 127.0.0.1:\(p[5])
                default_backend be
            backend be
                server s1 127.0.0.1:\(origin)
            """
        }
    }

    /// The same traffic to one process: 3 keep-alive requests on fe's first listener, a
    /// denied one and a bad one on its second, nothing on its third; one on `quiet`.
    static func traffic(_ ports: [UInt16]) throws {
        let c = try RawHTTP(port: ports[2])
        for _ in 0..<3 { #expect(try c.request(path: "/a").status == 200) }
        c.close()
        #expect(try RawHTTP.get(port: ports[3], path: "/deny").status == 403)
        let bad = try RawHTTP(port: ports[3])
        try bad.send("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        #expect(try bad.readResponse().status == 400)
        #expect(try RawHTTP.get(port: ports[5]).status == 200)
    }

    /// The listener rows of a CSV dump (type 3), bytes left out (the proxies' own pages differ,
    /// and how much of a refused request counts as received is the engine's; checked apart), and
    /// the peak of concurrent sessions (smax) too: whether a closed connection was still counted
    /// when the next one arrived depends on timing, in either proxy (checked apart).
    static func listenerRows(_ csv: String) -> [String] {
        let bin = StatsCSV.columns.firstIndex(of: "bin")!, bout = StatsCSV.columns.firstIndex(of: "bout")!
        let smax = StatsCSV.columns.firstIndex(of: "smax")!
        return csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count > 32 && $0[32] == "3" }
            .map { var r = $0; r[bin] = "B"; r[bout] = "B"; r[smax] = "M"; return r.joined(separator: ",") }
    }

    /// A CSV cell of the row `pxname,svname`.
    static func cell(_ csv: String, _ proxy: String, _ name: String, _ column: String) -> String? {
        let i = StatsCSV.columns.firstIndex(of: column)!
        return csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            .first { $0.count > i && $0[0] == proxy && $0[1] == name }?[i]
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs haproxy to compare with"))
    func listenerRowsAndMetricsAsHAProxys() throws {
        let origin = try AppServer(name: "s1")
        defer { origin.stop() }
        let pair = try CLIPair(ports: 6, listening: 6, Self.template(origin: origin.port))
        try Self.traffic(pair.hapPorts)
        try Self.traffic(pair.rpPorts)
        // Counters of a closed connection are final once its close is seen: wait for scur 0.
        for (socket, name) in [(pair.hapSocket, "haproxy"), (pair.rpSocket, "ringproxy")] {
            #expect(ProcessProbe.waitUntil(timeout: .seconds(10)) {
                let rows = Self.listenerRows((try? CLIClient.send("show stat", socket: socket)) ?? "")
                return rows.count == 5 && rows.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false)[4] == "0" }
            }, "\(name): listener sessions never all closed")
        }
        // `show stat` (admin level: with addr), the listener-only form, typed, and a user-level
        // socket (no addr).
        for command in ["show stat", "show stat -1 8 -1", "show stat fe 8 7", "show stat fe 1 -1"] {
            let (a, b) = try pair.both(command)
            #expect(Self.listenerRows(a) == Self.listenerRows(b), "'\(command)':\n--- haproxy\n\(Self.listenerRows(a).joined(separator: "\n"))\n--- ringproxy\n\(Self.listenerRows(b).joined(separator: "\n"))")
        }
        #expect(Self.listenerRows(try pair.both("show stat").ringproxy).count == 5)
        let (ua, ub) = try pair.both("show stat", user: true)
        #expect(Self.listenerRows(ua) == Self.listenerRows(ub), "user level:\n\(Self.listenerRows(ua))\n\(Self.listenerRows(ub))")
        // Bytes: sock-1's are counted (three keep-alive exchanges), sock-2 and sock-3 saw fewer.
        let csv = try CLIClient.send("show stat", socket: pair.rpSocket)
        let sock1In = Int(Self.cell(csv, "fe", "sock-1", "bin") ?? "") ?? 0, sock1Out = Int(Self.cell(csv, "fe", "sock-1", "bout") ?? "") ?? 0
        #expect(sock1In > 0 && sock1Out > 0 && Self.cell(csv, "fe", "sock-3", "bin") == "0", "\(csv)")
        // Peaks: one connection at a time on sock-1; sock-3 saw none.
        #expect(Self.cell(csv, "fe", "sock-1", "smax") == "1" && Self.cell(csv, "fe", "sock-3", "smax") == "0", "\(csv)")
        #expect(Int(Self.cell(csv, "fe", "FRONTEND", "bin") ?? "") ?? 0 > sock1In)
        let typed = { (t: String) in t.split(separator: "\n").filter { $0.hasPrefix("L.") && !$0.contains(".bout.") && !$0.contains(".bin.") && !$0.contains(".smax.") }.map(String.init) }
        let (ta, tb) = try pair.both("show stat typed")
        #expect(typed(ta) == typed(tb), "typed:\n--- haproxy\n\(typed(ta).joined(separator: "\n"))\n--- ringproxy\n\(typed(tb).joined(separator: "\n"))")
        // The exporter's listener families, same samples (the scrape itself is one open session
        // on stats/sock-1 on both sides).
        func listenerMetrics(_ port: UInt16) throws -> [String] {
            try RawHTTP.get(port: port, path: "/metrics").bodyText.split(separator: "\n")
                .filter { $0.hasPrefix("haproxy_listener_") && !$0.hasPrefix("haproxy_listener_bytes_") && !$0.hasPrefix("haproxy_listener_max_sessions") }.map(String.init)
        }
        let ma = try listenerMetrics(pair.hapPorts[0]), mb = try listenerMetrics(pair.rpPorts[0])
        #expect(!mb.isEmpty && ma == mb, "--- haproxy\n\(ma.joined(separator: "\n"))\n--- ringproxy\n\(mb.joined(separator: "\n"))")
        let scoped = try RawHTTP.get(port: pair.rpPorts[0], path: "/metrics?scope=listener").bodyText
        #expect(scoped.contains("haproxy_listener_status{proxy=\"fe\",listener=\"sock-1\",state=\"OPEN\"} 1"))
        #expect(!scoped.contains("haproxy_frontend_") && !scoped.contains("quiet"))
    }

    /// The exporter answers a keep-alive client and keeps its connection, as HAProxy's applet
    /// (contrib/prometheus.vtc sends its four requests on one connection); a bad query closes.
    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs haproxy to compare with"))
    func exporterKeepsTheConnectionAliveAsHAProxy() throws {
        let origin = try AppServer(name: "s1")
        defer { origin.stop() }
        let pair = try CLIPair(ports: 6, listening: 6, Self.template(origin: origin.port))
        for (port, name) in [(pair.hapPorts[0], "haproxy"), (pair.rpPorts[0], "ringproxy")] {
            let c = try RawHTTP(port: port)
            let first = try c.request(path: "/metrics?scope=listener")
            #expect(first.status == 200 && first.header("connection") == nil, "\(name): \(first.status) \(first.header("connection") ?? "")")
            let second = try c.request(path: "/metrics?scope=")
            #expect(second.status == 200 && second.body.isEmpty, "\(name): second request on the connection")
            let bad = try c.request(path: "/metrics?scope")
            #expect(bad.status == 400, "\(name): \(bad.status)")
            #expect(c.isClosed(within: .seconds(2)), "\(name): a 400 closes")
        }
    }
}
