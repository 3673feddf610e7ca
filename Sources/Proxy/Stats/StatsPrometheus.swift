/// Prometheus text exposition (format 0.0.4) with the metric names, HELP texts and labels of
/// HAProxy 2.x's exporter (`http-request use-service prometheus-exporter`): each metric once
/// with HELP and TYPE, then one sample per frontend, backend or server.
public enum StatsPrometheus {
    public static let contentType = "text/plain; version=0.0.4"

    /// A sample: extra labels (after proxy/server) and the value text.
    typealias Sample = (labels: String, value: String)

    public static func render(_ m: StatsModel) -> String {
        var out = ""
        let c = m.counters
        let frontends = m.configuration.proxies.filter(\.isFrontend)
        let backends = m.configuration.proxies.filter(\.isBackend)

        func metric(_ name: String, _ samples: [Sample]) {
            guard let e = PrometheusHelp.entries[name], !samples.isEmpty else { return }
            out += "# HELP \(name) \(e.help)\n# TYPE \(name) \(e.type)\n"
            for s in samples { out += s.labels.isEmpty ? "\(name) \(s.value)\n" : "\(name){\(s.labels)} \(s.value)\n" }
        }
        func fe(_ n: String, _ v: (ProxyConfig, Int) -> String) {
            metric("haproxy_frontend_" + n, frontends.map { p in ("proxy=\"\(p.name)\"", v(p, c.layout.frontendRows[p.name]!)) })
        }
        func feMulti(_ n: String, _ v: (ProxyConfig, Int) -> [Sample]) {
            metric("haproxy_frontend_" + n, frontends.flatMap { p in v(p, c.layout.frontendRows[p.name]!).map { ("proxy=\"\(p.name)\"," + $0.labels, $0.value) } })
        }
        func be(_ n: String, _ v: (ProxyConfig, Int, Int) -> String) {
            metric("haproxy_backend_" + n, backends.map { p in
                ("proxy=\"\(p.name)\"", v(p, c.layout.backendRows[p.name]!, m.states.backendIndex(named: p.name)!)) })
        }
        func beMulti(_ n: String, _ v: (ProxyConfig, Int, Int) -> [Sample]) {
            metric("haproxy_backend_" + n, backends.flatMap { p in
                v(p, c.layout.backendRows[p.name]!, m.states.backendIndex(named: p.name)!).map { ("proxy=\"\(p.name)\"," + $0.labels, $0.value) } })
        }
        let servers: [(proxy: String, slot: Int, config: ServerConfig)] = backends.flatMap { p in
            p.servers.compactMap { s in m.states.slot(backend: p.name, server: s.name).map { (p.name, $0, s) } }
        }
        func sv(_ n: String, _ v: (Int, Int, ServerConfig) -> [Sample]) {
            metric("haproxy_server_" + n, servers.flatMap { s in
                v(s.slot, c.layout.serverRow(s.slot), s.config).map {
                    ("proxy=\"\(s.proxy)\",server=\"\(s.config.name)\"" + ($0.labels.isEmpty ? "" : "," + $0.labels), $0.value) } })
        }
        func one(_ v: String) -> [Sample] { [("", v)] }
        func codes(_ row: Int) -> [Sample] {
            [("code=\"1xx\"", "\(c[row, .hrsp1xx])"), ("code=\"2xx\"", "\(c[row, .hrsp2xx])"), ("code=\"3xx\"", "\(c[row, .hrsp3xx])"),
             ("code=\"4xx\"", "\(c[row, .hrsp4xx])"), ("code=\"5xx\"", "\(c[row, .hrsp5xx])"), ("code=\"other\"", "\(c[row, .hrspOther])")]
        }

        // Process (HAProxy shows peer sessions there: the stats page and CSV have no peers).
        metric("haproxy_process_active_peers", one("\(m.peers?.activePeers ?? 0)"))
        metric("haproxy_process_connected_peers", one("\(m.peers?.connectedPeers ?? 0)"))

        // Frontends
        fe("current_sessions") { "\(c[$1, .scur])" }
        fe("max_sessions") { "\(c[$1, .smax])" }
        fe("limit_sessions") { p, _ in "\(m.frontendMaxconn(p))" }
        fe("sessions_total") { "\(c[$1, .stot])" }
        fe("bytes_in_total") { "\(c[$1, .bin])" }
        fe("bytes_out_total") { "\(c[$1, .bout])" }
        fe("requests_denied_total") { "\(c[$1, .dreq])" }
        fe("responses_denied_total") { "\(c[$1, .dresp])" }
        fe("request_errors_total") { "\(c[$1, .ereq])" }
        feMulti("status") { _, _ in [("state=\"DOWN\"", "0"), ("state=\"UP\"", "1")] }
        fe("max_session_rate") { "\(c[$1, .rateMax])" }
        feMulti("http_responses_total") { codes($1) }
        fe("http_requests_rate_max") { "\(c[$1, .reqRateMax])" }
        fe("http_requests_total") { "\(c[$1, .reqTot])" }
        fe("connections_rate_max") { "\(c[$1, .rateMax])" }
        fe("connections_total") { "\(c[$1, .connTot])" }
        fe("intercepted_requests_total") { "\(c[$1, .intercepted])" }

        // Backends
        be("current_queue") { _, r, _ in "\(c[r, .qcur])" }
        be("max_queue") { _, r, _ in "\(c[r, .qmax])" }
        be("current_sessions") { _, r, _ in "\(c[r, .scur])" }
        be("max_sessions") { _, r, _ in "\(c[r, .smax])" }
        be("limit_sessions") { p, _, _ in "\(m.backendFullconn(p))" }
        be("sessions_total") { _, r, _ in "\(c[r, .stot])" }
        be("bytes_in_total") { _, r, _ in "\(c[r, .bin])" }
        be("bytes_out_total") { _, r, _ in "\(c[r, .bout])" }
        be("requests_denied_total") { _, r, _ in "\(c[r, .dreq])" }
        be("responses_denied_total") { _, r, _ in "\(c[r, .dresp])" }
        be("connection_errors_total") { _, r, _ in "\(c[r, .econ])" }
        be("response_errors_total") { _, r, _ in "\(c[r, .eresp])" }
        be("retry_warnings_total") { _, r, _ in "\(c[r, .wretr])" }
        be("redispatch_warnings_total") { _, r, _ in "\(c[r, .wredis])" }
        beMulti("status") { p, _, b in
            let up = m.backendStatus(p, index: b) == "UP"
            return [("state=\"DOWN\"", up ? "0" : "1"), ("state=\"UP\"", up ? "1" : "0")]
        }
        be("weight") { _, _, b in "\(m.backendWeight(b).weight)" }
        be("active_servers") { _, _, b in "\(m.backendWeight(b).active)" }
        be("backup_servers") { _, _, b in "\(m.backendWeight(b).backup)" }
        be("check_up_down_total") { _, _, b in "\(m.states.backendView(b, nowMs: m.nowMs).downTransitions)" }
        be("check_last_change_seconds") { _, _, b in "\(m.states.backendView(b, nowMs: m.nowMs).lastChangeSeconds)" }
        be("downtime_seconds_total") { _, _, b in "\(m.states.backendView(b, nowMs: m.nowMs).downtimeSeconds)" }
        be("loadbalanced_total") { _, r, _ in "\(c[r, .lbtot])" }
        be("max_session_rate") { _, r, _ in "\(c[r, .rateMax])" }
        beMulti("http_responses_total") { _, r, _ in codes(r) }
        be("http_requests_total") { _, r, _ in "\(c[r, .reqTot])" }
        be("client_aborts_total") { _, r, _ in "\(c[r, .cliAbrt])" }
        be("server_aborts_total") { _, r, _ in "\(c[r, .srvAbrt])" }

        // Servers
        sv("current_queue") { _, r, _ in one("\(c[r, .qcur])") }
        sv("max_queue") { _, r, _ in one("\(c[r, .qmax])") }
        sv("current_sessions") { _, r, _ in one("\(c[r, .scur])") }
        sv("max_sessions") { _, r, _ in one("\(c[r, .smax])") }
        sv("sessions_total") { _, r, _ in one("\(c[r, .stot])") }
        sv("bytes_in_total") { _, r, _ in one("\(c[r, .bin])") }
        sv("bytes_out_total") { _, r, _ in one("\(c[r, .bout])") }
        sv("responses_denied_total") { _, r, _ in one("\(c[r, .dresp])") }
        sv("connection_errors_total") { _, r, _ in one("\(c[r, .econ])") }
        sv("response_errors_total") { _, r, _ in one("\(c[r, .eresp])") }
        sv("retry_warnings_total") { _, r, _ in one("\(c[r, .wretr])") }
        sv("redispatch_warnings_total") { _, r, _ in one("\(c[r, .wredis])") }
        sv("status") { slot, _, _ in
            let v = m.states.view(slot, nowMs: m.nowMs)
            var state = "DOWN"
            switch v.op {
            case .running, .starting: state = v.admin.draining ? "DRAIN" : "UP"
            case .stopping: state = "NOLB"
            case .stopped: break
            }
            if v.maintenance { state = "MAINT" }
            return ["DOWN", "UP", "MAINT", "DRAIN", "NOLB"].map { ("state=\"\($0)\"", $0 == state ? "1" : "0") }
        }
        sv("weight") { slot, _, _ in one("\(m.states.currentWeight(slot))") }
        let checked: (Int) -> Bool = { m.states.servers[$0].checked && !m.states.servers[$0].disabled }
        sv("check_failures_total") { slot, _, _ in one(checked(slot) ? "\(m.states.view(slot, nowMs: m.nowMs).checkFailures)" : "NaN") }
        sv("check_up_down_total") { slot, _, _ in one(checked(slot) ? "\(m.states.view(slot, nowMs: m.nowMs).downTransitions)" : "NaN") }
        sv("check_last_change_seconds") { slot, _, _ in one("\(m.states.view(slot, nowMs: m.nowMs).lastChangeSeconds)") }
        sv("downtime_seconds_total") { slot, _, _ in one(checked(slot) ? "\(m.states.view(slot, nowMs: m.nowMs).downtimeSeconds)" : "NaN") }
        sv("loadbalanced_total") { _, r, _ in one("\(c[r, .lbtot])") }
        sv("max_session_rate") { _, r, _ in one("\(c[r, .rateMax])") }
        sv("check_status") { slot, _, _ in
            guard checked(slot) else { return [] }
            let last = m.states.view(slot, nowMs: m.nowMs).lastCheck
            return ["HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT", "L6RSP", "L7TOUT", "L7RSP", "L7OK", "L7OKC",
                    "L7STS", "PROCERR", "PROCTOUT", "PROCOK"].map { ("state=\"\($0)\"", $0 == last.code ? "1" : "0") }
        }
        sv("check_code") { slot, _, _ in checked(slot) ? one("\(m.states.view(slot, nowMs: m.nowMs).checkCode)") : [] }
        sv("check_duration_seconds") { slot, _, _ in
            guard checked(slot) else { return [] }
            let ms = max(0, m.states.view(slot, nowMs: m.nowMs).checkDurationMs)
            return one(seconds(ms))
        }
        sv("http_responses_total") { _, r, _ in codes(r) }
        sv("client_aborts_total") { _, r, _ in one("\(c[r, .cliAbrt])") }
        sv("server_aborts_total") { _, r, _ in one("\(c[r, .srvAbrt])") }
        return out
    }

    /// Milliseconds as HAProxy prints seconds: `0.001000`.
    static func seconds(_ ms: Int) -> String {
        let frac = String(ms % 1000 * 1000)
        return "\(ms / 1000)." + String(repeating: "0", count: 6 - frac.count) + frac
    }
}
