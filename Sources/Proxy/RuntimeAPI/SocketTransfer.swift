// HAProxy 2.6's `_getsocks` (cli.c / sock.c): how a reloading process takes the listening
// sockets of the old one over a runtime API connection (`-x PATH`, or the master's socket
// pair). The old process answers the command with the number of sockets (a native int), then
// sends them in batches of at most 253 (SCM_RIGHTS), each described by its namespace name,
// interface name (length-prefixed) and 4 zero bytes; the receiver acknowledges each batch
// with an int. Both ends block (1 s receive timeout), as HAProxy's do.
import CUring
#if canImport(Glibc)
import Glibc
#endif

public enum SocketTransfer {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    /// A socket received from the old process, with its bound address.
    public struct Received: Sendable {
        public var fd: Int32
        public var address: sockaddr_storage
        public var addressLength: socklen_t
        public var namespace: String
        public var interface: String
    }

    static let maxPerMessage = 253      // HAProxy's MAX_SEND_FD
    static let recordCapacity = 1 + 4096 + 1 + 16 + 4

    // MARK: the old process (`_getsocks`)

    /// Sends `sockets` (fd and interface name) on the connected socket `fd`.
    public static func send(_ sockets: [(fd: Int32, interface: String)], over fd: Int32) throws {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var count = Int32(sockets.count)
        guard count > 0 else { return }      // HAProxy sends nothing at all then
        guard withUnsafeBytes(of: &count, { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == 4 else {
            throw Failure(description: "Failed to send the number of sockets to send")
        }
        var start = 0
        while start < sockets.count {
            let batch = sockets[start..<min(sockets.count, start + maxPerMessage)]
            var data: [UInt8] = []
            for s in batch {
                data.append(0)                                  // no namespace
                let name = Array(s.interface.utf8.prefix(255))
                data.append(UInt8(name.count)); data += name
                data += [0, 0, 0, 0]                            // former listener options
            }
            try sendMessage(fd, data: data, fds: batch.map(\.fd))
            start += batch.count
            if start < sockets.count {
                // Wait for the receiver's acknowledgement before the next batch.
                var ack: Int32 = 0
                guard withUnsafeMutableBytes(of: &ack, { recv(fd, $0.baseAddress, 4, 0) }) > 0 else {
                    throw Failure(description: "Unexpected error while transferring sockets")
                }
            }
        }
    }

    static func sendMessage(_ fd: Int32, data: [UInt8], fds: [Int32]) throws {
        let controlLength = cmsgSpace(fds.count * 4)
        var control = [UInt8](repeating: 0, count: controlLength)
        var payload = data
        let sent = payload.withUnsafeMutableBytes { p -> Int in
            control.withUnsafeMutableBytes { c -> Int in
                var iov = iovec(iov_base: p.baseAddress, iov_len: p.count)
                return withUnsafeMutablePointer(to: &iov) { iovp -> Int in
                    var msg = msghdr()
                    msg.msg_iov = iovp; msg.msg_iovlen = 1
                    msg.msg_control = c.baseAddress; msg.msg_controllen = controlLength
                    let h = c.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
                    h.pointee.cmsg_len = cmsgLen(fds.count * 4)
                    h.pointee.cmsg_level = SOL_SOCKET
                    h.pointee.cmsg_type = Int32(SCM_RIGHTS)
                    let dataStart = c.baseAddress! + cmsgLen(0)
                    for (i, f) in fds.enumerated() { dataStart.storeBytes(of: f, toByteOffset: i * 4, as: Int32.self) }
                    return sendmsg(fd, &msg, Int32(MSG_NOSIGNAL))
                }
            }
        }
        guard sent == data.count else { throw Failure(description: "Failed to transfer sockets") }
    }

    // MARK: the new process (`-x`)

    /// Asks the process at the other end of the connected socket `sock` for its listening
    /// sockets. Returns them, or throws HAProxy's warning text.
    public static func receive(over sock: Int32) throws -> [Received] {
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let command = Array("_getsocks\n".utf8)
        guard command.withUnsafeBytes({ Glibc.send(sock, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == command.count else {
            throw Failure(description: "Failed to get the number of sockets to be transferred !")
        }
        var count: Int32 = 0
        guard withUnsafeMutableBytes(of: &count, { recv(sock, $0.baseAddress, 4, Int32(MSG_WAITALL)) }) == 4 else {
            throw Failure(description: "Failed to get the number of sockets to be transferred !")
        }
        guard count > 0 else { return [] }
        var fds: [Int32] = []
        var records: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: maxPerMessage * recordCapacity)
        let controlLength = cmsgSpace(maxPerMessage * 4)
        var control = [UInt8](repeating: 0, count: controlLength)
        while fds.count < Int(count) {
            var got: [Int32] = []
            let n = buffer.withUnsafeMutableBytes { p -> Int in
                control.withUnsafeMutableBytes { c -> Int in
                    var iov = iovec(iov_base: p.baseAddress, iov_len: p.count)
                    return withUnsafeMutablePointer(to: &iov) { iovp -> Int in
                        var msg = msghdr()
                        msg.msg_iov = iovp; msg.msg_iovlen = 1
                        msg.msg_control = c.baseAddress; msg.msg_controllen = controlLength
                        let r = recvmsg(sock, &msg, Int32(MSG_CMSG_CLOEXEC))
                        guard r > 0, msg.msg_controllen >= cmsgLen(0) else { return r }
                        let h = c.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
                        if h.pointee.cmsg_level == SOL_SOCKET && h.pointee.cmsg_type == Int32(SCM_RIGHTS) {
                            let k = (Int(h.pointee.cmsg_len) - cmsgLen(0)) / 4
                            for i in 0..<k { got.append((c.baseAddress! + cmsgLen(0)).load(fromByteOffset: i * 4, as: Int32.self)) }
                        }
                        return r
                    }
                }
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            var ack: Int32 = 0
            _ = withUnsafeBytes(of: &ack) { Glibc.send(sock, $0.baseAddress, 4, Int32(MSG_NOSIGNAL)) }
            fds += got
            records += buffer[0..<n]
            if fds.count > Int(count) { break }
        }
        guard fds.count == Int(count) else {
            for f in fds { close(f) }
            throw Failure(description: "We didn't get the expected number of sockets (expecting \(count) got \(fds.count))")
        }
        var out: [Received] = []
        var off = 0
        for fd in fds {
            var ss = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let ok = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } } == 0
            func text() -> String? {
                guard off < records.count else { return nil }
                let l = Int(records[off]); off += 1
                guard off + l <= records.count else { return nil }
                defer { off += l }
                return String(decoding: records[off..<(off + l)], as: UTF8.self)
            }
            guard let ns = text(), let iface = text(), off + 4 <= records.count else {
                for f in fds { close(f) }
                throw Failure(description: "Inconsistency while transferring sockets")
            }
            off += 4
            if ok { out.append(Received(fd: fd, address: ss, addressLength: len, namespace: ns, interface: iface)) } else { close(fd) }
        }
        return out
    }

    /// Connects to a runtime API UNIX socket (`-x PATH`).
    public static func connect(path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "Failed to connect to the old process socket '\(path)'") }
        var (addr, len) = ListenerSockets.unixAddress(path, abstract: false)
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, len) } }
        guard r == 0 else { close(fd); throw Failure(description: "Failed to connect to the old process socket '\(path)'") }
        return fd
    }

    // CMSG_LEN / CMSG_SPACE (macros Swift does not import).
    static func cmsgAlign(_ n: Int) -> Int { (n + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1) }
    static func cmsgLen(_ n: Int) -> Int { cmsgAlign(MemoryLayout<cmsghdr>.size) + n }
    static func cmsgSpace(_ n: Int) -> Int { cmsgAlign(MemoryLayout<cmsghdr>.size) + cmsgAlign(n) }
}
