import Foundation

/// CPU time (utime + stime) of every thread of a process, from /proc/PID/task/*/stat, in µs.
/// Threads that exited between two reads are lost, which the long-lived proxies here avoid.
func processCPUMicros(_ pid: Int32) -> Double? {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    guard let tids = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
    var total: UInt64 = 0
    for tid in tids {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        // Fields after "comm)": state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let u = UInt64(fields[11]), let s = UInt64(fields[12]) else { continue }
        total += u + s
    }
    return Double(total) / ticks * 1e6
}
