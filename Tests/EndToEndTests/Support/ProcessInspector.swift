// What /proc says about a process: its open descriptors and the TCP ports it listens on.
import Foundation

enum ProcessInspector {
    /// Number of entries in /proc/PID/fd (nil when the process is gone).
    static func openFDCount(pid: pid_t) -> Int? {
        try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }

    /// Socket inodes held by the process.
    static func socketInodes(pid: pid_t) -> Set<UInt64> {
        let dir = "/proc/\(pid)/fd"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var inodes = Set<UInt64>()
        for e in entries {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(dir)/\(e)"),
                  target.hasPrefix("socket:["), let inode = UInt64(target.dropFirst(8).dropLast()) else { continue }
            inodes.insert(inode)
        }
        return inodes
    }

    /// TCP ports on which one of the process's own sockets is listening (IPv4 and IPv6).
    static func listeningPorts(pid: pid_t) -> Set<UInt16> {
        let mine = socketInodes(pid: pid)
        var ports = Set<UInt16>()
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                guard f.count > 9, f[3] == "0A", let inode = UInt64(f[9]), mine.contains(inode),
                      let colon = f[1].lastIndex(of: ":"), let port = UInt16(f[1][f[1].index(after: colon)...], radix: 16)
                else { continue }
                ports.insert(port)
            }
        }
        return ports
    }
}
