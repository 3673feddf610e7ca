import Foundation

/// Medians per target over the turns, with ratios to the direct run.
struct CompareTable {
    struct Row {
        var name: String
        var failure: String?
        var runs: Int
        var rps: Double, p50: Double, p99: Double, cpu: Double?
        var errors: UInt64, moves: UInt64
    }
    var rows: [Row]

    init(targets: [CompareTarget]) {
        rows = targets.map { t in
            let r = t.results
            let cpus = r.compactMap { $0.cpuPerRequest }
            return Row(name: t.name, failure: t.failure, runs: r.count,
                       rps: median(r.map { $0.report.requestsPerSecond }),
                       p50: median(r.map { Double($0.report.latency(50)) }),
                       p99: median(r.map { Double($0.report.latency(99)) }),
                       cpu: cpus.isEmpty ? nil : median(cpus),
                       errors: r.reduce(0) { $0 + $1.report.errorTotal },
                       moves: r.reduce(0) { $0 + $1.report.moves })
        }
    }

    private var directRPS: Double? { rows.first { $0.name == "direct" && $0.runs > 0 }?.rps }

    func text() -> String {
        var s = "target      runs      req/s   vs direct    p50 µs    p99 µs   CPU µs/req   errors  moves\n"
        for r in rows {
            if r.runs == 0 {
                s += r.name.padding(toLength: 12, withPad: " ", startingAt: 0) + "FAILED: \(r.failure ?? "no runs")\n"
                continue
            }
            let ratio = directRPS.map { String(format: "%.2f", r.rps / $0) } ?? "-"
            let cpu = r.cpu.map { String(format: "%.1f", $0) } ?? "-"
            s += r.name.padding(toLength: 12, withPad: " ", startingAt: 0)
            s += String(format: "%4d %10.0f ", r.runs, r.rps) + leftPad(ratio, 11)
            s += String(format: " %9.0f %9.0f ", r.p50, r.p99) + leftPad(cpu, 12)
            s += String(format: " %8llu %6llu\n", r.errors, r.moves)
            if let f = r.failure { s += "            (failed later: \(f))\n" }
        }
        return s
    }

    func json() -> String {
        let list: [[String: Any]] = rows.map { r in
            var d: [String: Any] = ["target": r.name, "runs": r.runs, "requests_per_second": r.rps,
                                    "p50_us": r.p50, "p99_us": r.p99, "errors": r.errors, "moves": r.moves]
            if let c = r.cpu { d["cpu_us_per_request"] = c }
            if let f = r.failure { d["failure"] = f }
            if let d0 = directRPS, r.runs > 0 { d["ratio_to_direct"] = r.rps / d0 }
            return d
        }
        let data = try! JSONSerialization.data(withJSONObject: list, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

private func leftPad(_ s: String, _ n: Int) -> String {
    String(repeating: " ", count: max(0, n - s.count)) + s
}

func median(_ v: [Double]) -> Double {
    guard !v.isEmpty else { return 0 }
    let s = v.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
