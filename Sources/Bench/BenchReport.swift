import CBench
import Foundation
import Histogram

/// The outcome of one run, with latency percentiles taken from an HdrHistogram built from the
/// engine's microsecond buckets.
struct BenchReport {
    var target: String
    var mode: String
    var threads: Int, connections: Int, clients: Int
    var seconds: Double
    var responses: UInt64, bytesIn: UInt64, bytesOut: UInt64
    var errors: [(kind: String, count: UInt64)]
    var statusClasses: [UInt64]          // 1xx..5xx
    var connects: UInt64
    var maxBacklog: UInt64
    var moves: UInt64, clientsMoved: UInt64, identified: UInt64
    var servers: [(name: String, responses: UInt64)]
    var stickinessChecked: Bool
    var histogram = Histogram<UInt64>(highestTrackableValue: 1 << 33, numberOfSignificantValueDigits: .three)

    init(scenario sc: Scenario, result r: bench_result) {
        target = "\(sc.host):\(sc.port)"
        mode = sc.rate > 0 ? "open loop \(Int(sc.rate)) req/s" : "closed loop"
        threads = min(sc.threads, sc.connections)
        connections = sc.connections
        clients = sc.clients
        seconds = Double(r.elapsed_ns) / 1e9
        responses = r.responses
        bytesIn = r.bytes_in
        bytesOut = r.bytes_out
        errors = [("connect", r.err_connect), ("read", r.err_read), ("timeout", r.err_timeout),
                  ("status", r.err_status), ("parse", r.err_parse)]
        statusClasses = [r.status_class.1, r.status_class.2, r.status_class.3, r.status_class.4, r.status_class.5]
        connects = r.connects
        maxBacklog = r.max_backlog
        moves = r.moves
        clientsMoved = r.clients_moved
        identified = r.identified
        stickinessChecked = sc.serverIDHeader != nil || sc.serverIDBody != nil
        var list: [(String, UInt64)] = []
        withUnsafeBytes(of: r.servers) { raw in
            let servers = raw.bindMemory(to: bench_server_count.self)
            for i in 0..<Int(r.nservers) {
                let name = withUnsafeBytes(of: servers[i].name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                list.append((name, servers[i].responses))
            }
        }
        servers = list.sorted { $0.0 < $1.0 }
        withUnsafeBytes(of: r.latency_us) { raw in
            let counts = raw.bindMemory(to: UInt64.self)
            for i in 0..<Int(BENCH_HIST_BUCKETS) where counts[i] > 0 {
                _ = histogram.record(bench_hist_value(UInt32(i)), count: counts[i])
            }
        }
    }

    var requestsPerSecond: Double { seconds > 0 ? Double(responses) / seconds : 0 }
    /// Every failed request, including complete responses with status >= 400.
    var errorTotal: UInt64 { errors.reduce(0) { $0 + $1.count } }

    static let percentiles: [(label: String, value: Double)] =
        [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)]

    func latency(_ p: Double) -> UInt64 { histogram.totalCount == 0 ? 0 : histogram.valueAtPercentile(p) }
    var maxLatency: UInt64 { histogram.totalCount == 0 ? 0 : histogram.max }

    func text() -> String {
        var s = "ringbench \(target): \(mode), \(threads) threads, \(connections) connections"
        if clients > 0 { s += ", \(clients) clients" }
        s += String(format: ", %.2f s\n", seconds)
        s += String(format: "  requests   %llu  (%.1f req/s)\n", responses, requestsPerSecond)
        s += "  transfer   in \(bytesRate(bytesIn))  out \(bytesRate(bytesOut))\n"
        s += "  latency µs "
        s += Self.percentiles.map { "\($0.label) \(latency($0.value))" }.joined(separator: "  ")
        s += String(format: "  max %llu  mean %.0f\n", maxLatency, histogram.totalCount == 0 ? 0 : histogram.mean)
        s += "  status     " + zip(["1xx", "2xx", "3xx", "4xx", "5xx"], statusClasses).map { "\($0) \($1)" }.joined(separator: "  ") + "\n"
        s += "  errors     " + errors.map { "\($0.kind) \($0.count)" }.joined(separator: "  ") + "\n"
        s += "  connects   \(connects)"
        if mode != "closed loop" { s += "  max backlog \(maxBacklog)" }
        s += "\n"
        if !servers.isEmpty {
            s += "  servers    " + servers.map { "\($0.name) \($0.responses)" }.joined(separator: "  ") + "\n"
        }
        if stickinessChecked {
            s += "  stickiness \(moves) moves, \(clientsMoved) clients moved, \(identified) responses identified"
            s += moves == 0 && identified > 0 ? " (sticky)\n" : (identified == 0 ? " (no server id seen)\n" : " (NOT sticky)\n")
        }
        return s
    }

    func bytesRate(_ b: UInt64) -> String {
        let r = seconds > 0 ? Double(b) / seconds : 0
        if r >= 1e9 { return String(format: "%.2f GB/s", r / 1e9) }
        if r >= 1e6 { return String(format: "%.2f MB/s", r / 1e6) }
        return String(format: "%.1f kB/s", r / 1e3)
    }

    /// Machine-readable form; latency values are microseconds.
    func jsonObject() -> [String: Any] {
        var lat: [String: Any] = ["max": maxLatency, "mean": histogram.totalCount == 0 ? 0 : histogram.mean]
        for p in Self.percentiles { lat[p.label] = latency(p.value) }
        return [
            "target": target, "mode": mode, "threads": threads, "connections": connections,
            "clients": clients, "seconds": seconds, "requests": responses,
            "requests_per_second": requestsPerSecond,
            "bytes_in": bytesIn, "bytes_out": bytesOut,
            "bytes_in_per_second": seconds > 0 ? Double(bytesIn) / seconds : 0,
            "errors": Dictionary(uniqueKeysWithValues: errors.map { ($0.kind, $0.count) }),
            "status": Dictionary(uniqueKeysWithValues: zip(["1xx", "2xx", "3xx", "4xx", "5xx"], statusClasses).map { ($0, $1) }),
            "connects": connects, "max_backlog": maxBacklog,
            "latency_us": lat,
            "servers": Dictionary(uniqueKeysWithValues: servers.map { ($0.name, $0.responses) }),
            "stickiness": ["checked": stickinessChecked, "moves": moves, "clients_moved": clientsMoved,
                           "identified": identified],
        ]
    }

    func json() -> String {
        let data = try! JSONSerialization.data(withJSONObject: jsonObject(), options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
