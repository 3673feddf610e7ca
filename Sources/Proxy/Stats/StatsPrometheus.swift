/// Prometheus text exposition (format 0.0.4) with the metric names, HELP texts and labels of
/// HAProxy 2.x's exporter (`http-request use-service prometheus-exporter`): each metric once
/// with HELP and TYPE, then one sample per frontend, backend or server.
public enum StatsPrometheus {
    public static let contentType = "text/plain; version=0.0.4"

    /// A sample: extra labels (after proxy/server) and the value text.
    typealias Sample = (labels: String, value: String)

    /// The whole exposition, or the scopes `query` names, in HAProxy's order: process,
    /// frontends, listeners, backends, servers, stick tables; each metric once with HELP and
    /// TYPE, then one sample per object.
    public static func render(_ m: StatsModel, query: PrometheusQuery = PrometheusQuery()) -> String {
        var out = ""
        func metric(_ name: String, _ samples: [Sample]) {
            guard let e = PrometheusHelp.entries[name], !samples.isEmpty else { return }
            out += "# HELP \(name) \(e.help)\n# TYPE \(name) \(e.type)\n"
            for s in samples { out += s.labels.isEmpty ? "\(name) \(s.value)\n" : "\(name){\(s.labels)} \(s.value)\n" }
        }
        let objects = Objects(m, hideMaintenance: query.hideMaintenance)
        let info = m.info?()
        let tables = query.scope.contains(.sticktable) ? (m.stickTables?() ?? []) : []
        for name in PrometheusHelp.order {
            let parts = name.split(separator: "_", maxSplits: 2).map(String.init)   // haproxy, object, metric
            guard parts.count == 3 else { continue }
            let suffix = parts[2]
            switch parts[1] {
            case "process" where query.scope.contains(.global):
                metric(name, processSample(suffix, m, info))
            case "frontend" where query.scope.contains(.frontend):
                metric(name, objects.frontends.flatMap { f in
                    samples(suffix, f.row, m).map { ("proxy=\"\(f.name)\"" + comma($0.labels), $0.value) }
                })
            case "backend" where query.scope.contains(.backend):
                metric(name, objects.backends.flatMap { b in
                    backendSamples(suffix, b, objects, m).map { ("proxy=\"\(b.name)\"" + comma($0.labels), $0.value) }
                })
            case "server" where query.scope.contains(.server):
                metric(name, objects.servers.flatMap { s in
                    serverSamples(suffix, s, m).map { ("proxy=\"\(s.proxy)\",server=\"\(s.name)\"" + comma($0.labels), $0.value) }
                })
            case "listener" where query.scope.contains(.listener):
                metric(name, objects.listeners.flatMap { l in
                    listenerSamples(suffix, l.row, m).map { ("proxy=\"\(l.proxy)\",listener=\"\(l.name)\"" + comma($0.labels), $0.value) }
                })
            case "sticktable" where query.scope.contains(.sticktable):
                metric(name, tables.map { t in ("name=\"\(t.name)\",type=\"\(t.type)\"", suffix == "size" ? "\(t.size)" : "\(t.used)") })
            default:
                continue
            }
        }
        return out
    }

    static func comma(_ labels: String) -> String { labels.isEmpty ? "" : "," + labels }

    /// The stats rows of the objects a dump shows.
    struct Objects {
        struct Server { let proxy: String; let name: String; let slot: Int; let row: StatsCSV.Row }
        struct Backend { let name: String; let row: StatsCSV.Row; let servers: [Int] }
        var frontends: [(name: String, row: StatsCSV.Row)] = []
        var listeners: [(proxy: String, name: String, row: StatsCSV.Row)] = []
        var backends: [Backend] = []
        var servers: [Server] = []
        init(_ m: StatsModel, hideMaintenance: Bool) {
            for (pi, p) in m.configuration.proxies.enumerated() {
                if p.isFrontend { frontends.append((p.name, StatsCSV.frontendRow(m, p))) }
                for l in m.counters.layout.listeners where l.proxy == pi {
                    listeners.append((p.name, l.name, StatsCSV.listenerRow(m, p, l)))
                }
                guard p.isBackend, let b = m.states.backendIndex(named: p.name) else { continue }
                for (sid, slot) in m.states.listedPositions(backend: b) {
                    if hideMaintenance && m.states.view(slot, nowMs: m.nowMs).maintenance { continue }
                    servers.append(Server(proxy: p.name, name: m.states.name(slot), slot: slot,
                                          row: StatsCSV.serverRow(m, p, slot: slot, sid: sid + 1)))
                }
                backends.append(Backend(name: p.name, row: StatsCSV.backendRow(m, p, index: b), servers: m.states.listedServers(backend: b)))
            }
        }
    }

    /// A column's sample: its text, NaN when HAProxy leaves the field unset.
    static func samples(_ suffix: String, _ row: StatsCSV.Row, _ m: StatsModel) -> [Sample] {
        switch PrometheusMetrics.objects[suffix] {
        case .column(let c)?:
            return [("", row[c].isEmpty ? "NaN" : row[c])]
        case .milliseconds(let c)?:
            guard let ms = Int(row[c]) else { return [("", "NaN")] }
            return [("", seconds(ms))]
        case .special?:
            switch suffix {
            case "status":
                let up = row["status"] != "STOP"
                return [("state=\"DOWN\"", up ? "0" : "1"), ("state=\"UP\"", up ? "1" : "0")]
            case "http_responses_total":
                return zip(["1xx", "2xx", "3xx", "4xx", "5xx", "other"], ["hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other"])
                    .map { ("code=\"\($0)\"", row[$1].isEmpty ? "NaN" : row[$1]) }
            default:
                return []
            }
        case nil:
            return []
        }
    }

    /// A listener's status is one of WAITING, OPEN, FULL (HAProxy's li_status).
    static func listenerSamples(_ suffix: String, _ row: StatsCSV.Row, _ m: StatsModel) -> [Sample] {
        guard suffix == "status" else { return samples(suffix, row, m) }
        return ["WAITING", "OPEN", "FULL"].map { ("state=\"\($0)\"", row["status"] == $0 ? "1" : "0") }
    }

    static func backendSamples(_ suffix: String, _ b: Objects.Backend, _ objects: Objects, _ m: StatsModel) -> [Sample] {
        switch suffix {
        case "status":
            let up = b.row["status"].hasPrefix("UP")
            return [("state=\"DOWN\"", up ? "0" : "1"), ("state=\"UP\"", up ? "1" : "0")]
        case "agg_server_status", "agg_server_check_status":
            guard !b.servers.isEmpty else { return [] }
            var count: [String: Int] = [:]
            for slot in b.servers { count[serverState(slot, m), default: 0] += 1 }
            return PrometheusMetrics.serverStates.map { ("state=\"\($0)\"", "\(count[$0] ?? 0)") }
        case "agg_check_status":
            guard !b.servers.isEmpty else { return [] }
            var count: [String: Int] = [:]
            for slot in b.servers where checked(slot, m) { count[m.states.view(slot, nowMs: m.nowMs).lastCheck.code, default: 0] += 1 }
            return PrometheusMetrics.checkResults.map { ("state=\"\($0)\"", "\(count[$0] ?? 0)") }
        default:
            return samples(suffix, b.row, m)
        }
    }

    static func serverSamples(_ suffix: String, _ s: Objects.Server, _ m: StatsModel) -> [Sample] {
        switch suffix {
        case "status":
            let state = serverState(s.slot, m)
            return PrometheusMetrics.serverStates.map { ("state=\"\($0)\"", $0 == state ? "1" : "0") }
        case "check_status":
            guard checked(s.slot, m) else { return [] }
            let last = m.states.view(s.slot, nowMs: m.nowMs).lastCheck
            return PrometheusMetrics.checkResults.map { ("state=\"\($0)\"", $0 == last.code ? "1" : "0") }
        case "check_code":
            return checked(s.slot, m) ? [("", "\(m.states.view(s.slot, nowMs: m.nowMs).checkCode)")] : []
        case "check_duration_seconds":
            return checked(s.slot, m) ? [("", seconds(max(0, m.states.view(s.slot, nowMs: m.nowMs).checkDurationMs)))] : []
        default:
            return samples(suffix, s.row, m)
        }
    }

    static func checked(_ slot: Int, _ m: StatsModel) -> Bool { m.states.showsCheckColumns(slot) }

    /// A server's state as the exporter names it.
    static func serverState(_ slot: Int, _ m: StatsModel) -> String {
        let v = m.states.view(slot, nowMs: m.nowMs)
        if v.maintenance { return "MAINT" }
        switch v.op {
        case .running, .starting: return v.admin.draining ? "DRAIN" : "UP"
        case .stopping: return "NOLB"
        case .stopped: return "DOWN"
        }
    }

    /// A process metric from the `show info` fields (without them, only the peers' two).
    static func processSample(_ suffix: String, _ m: StatsModel, _ info: [String: String]?) -> [Sample] {
        if suffix == "build_info" {
            return [("version=\"\(info?["Version"] ?? m.version)\"", "1")]
        }
        guard let info else {
            switch suffix {
            case "active_peers": return [("", "\(m.peers?.activePeers ?? 0)")]
            case "connected_peers": return [("", "\(m.peers?.connectedPeers ?? 0)")]
            default: return []
            }
        }
        guard let field = PrometheusMetrics.process[suffix] else { return [] }
        guard let v = info[field], !v.isEmpty else { return [("", "NaN")] }
        return [("", v)]
    }

    /// Milliseconds as HAProxy prints seconds: `0.001000`.
    static func seconds(_ ms: Int) -> String {
        let frac = String(ms % 1000 * 1000)
        return "\(ms / 1000)." + String(repeating: "0", count: 6 - frac.count) + frac
    }
}
