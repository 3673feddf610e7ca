// `show errors` and `show activity`. ringproxy keeps no snapshots of invalid requests or
// responses (HAProxy's error capture): `show errors` reports the capture date and 0 events.
// `show activity` reports what the workers count (connections accepted per worker).
#if canImport(Glibc)
import Glibc
#endif

extension RuntimeControl {
    func showErrors(_ r: CLIRequest) -> CLIReply {
        if !r[2].isEmpty {
            let known = configuration.proxies.contains { $0.name == r[2] } || CLINumber.atoi(r[2]) != 0
            guard known else { return .error("No such proxy.\n") }
        }
        return .dump("Total events captured on [\(Self.captureDate(WallClock.nowMs()))] : 0\n")
    }

    /// `01/Dec/2026:14:14:56.971`, local time, as HAProxy prints it.
    static func captureDate(_ ms: Int64) -> String {
        var t = time_t(ms / 1000)
        var tmv = tm()
        localtime_r(&t, &tmv)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let milli = Int(ms % 1000)
        let m = milli < 10 ? "00\(milli)" : milli < 100 ? "0\(milli)" : "\(milli)"
        return "\(two(tmv.tm_mday))/\(months[Int(tmv.tm_mon)])/\(tmv.tm_year + 1900):\(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec)).\(m)"
    }

    func showActivity() -> CLIReply {
        let n = workers
        var accepted = [Int](repeating: 0, count: n)
        for w in 0..<n {
            for (_, row) in handler.layout.frontendRows { accepted[w] += handler.counter(worker: w, row: row, .connTot) }
        }
        let now = WallClock.nowMs()
        var out = "thread_id: 1 (1..\(n))\n"
        out += "date_now: \(now / 1000).\(String(now % 1000 * 1000).leftPadded(6))\n"
        out += "accepted: \(accepted.reduce(0, +)) [ \(accepted.map(String.init).joined(separator: " ")) ]\n"
        return .dump(out)
    }
}
