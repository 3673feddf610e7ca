// What /proc says about a process: its open descriptors and the TCP ports it listens on.
import CBench
import CUring
import Foundation
import Glibc

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
    /// Asks the kernel for the listening sockets only (netlink sock_diag): reading
    /// /proc/net/tcp makes the kernel print every socket of the machine, thousands in
    /// TIME_WAIT when suites run in parallel, and polling it starved the tests.
    static func listeningPorts(pid: pid_t) -> Set<UInt16> {
        let mine = socketInodes(pid: pid)
        var ports = Set<UInt16>()
        for family in [AF_INET, AF_INET6] {
            for (inode, port) in listeningTCPSockets(family: family) where mine.contains(inode) { ports.insert(port) }
        }
        return ports
    }

    /// (inode, port) of every TCP socket in the LISTEN state of one address family.
    static func listeningTCPSockets(family: Int32) -> [(UInt64, UInt16)] {
        let fd = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 4 /* NETLINK_SOCK_DIAG */)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        // nlmsghdr (16) + inet_diag_req_v2 (56): SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST|NLM_F_DUMP,
        // TCP, states = 1 << TCP_LISTEN (10).
        var req = [UInt8](repeating: 0, count: 72)
        func put32(_ v: UInt32, at o: Int) { withUnsafeBytes(of: v.littleEndian) { for i in 0..<4 { req[o + i] = $0[i] } } }
        func put16(_ v: UInt16, at o: Int) { withUnsafeBytes(of: v.littleEndian) { for i in 0..<2 { req[o + i] = $0[i] } } }
        put32(72, at: 0); put16(20, at: 4); put16(0x301, at: 6); put32(1, at: 8)
        req[16] = UInt8(family); req[17] = UInt8(IPPROTO_TCP)
        put32(1 << 10, at: 20)
        guard req.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == 72 else { return [] }
        var out: [(UInt64, UInt16)] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return out }
            var off = 0
            while off + 16 <= n {
                let len = Int(buf[off]) | Int(buf[off + 1]) << 8 | Int(buf[off + 2]) << 16 | Int(buf[off + 3]) << 24
                let type = Int(buf[off + 4]) | Int(buf[off + 5]) << 8
                if type == 3 /* NLMSG_DONE */ || type == 2 /* NLMSG_ERROR */ || len < 16 { return out }
                let m = off + 16                        // inet_diag_msg
                if len >= 16 + 72 {
                    let port = UInt16(buf[m + 4]) << 8 | UInt16(buf[m + 5])   // id.sport, network order
                    var inode: UInt64 = 0
                    for i in 0..<4 { inode |= UInt64(buf[m + 68 + i]) << (8 * UInt64(i)) }
                    out.append((inode, port))
                }
                off += (len + 3) & ~3
            }
        }
    }
}
