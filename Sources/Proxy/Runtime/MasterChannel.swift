// The socket pair between the master (`-W`) and one worker, as HAProxy's `sockpair@`: the
// master sends connected sockets over it (one byte and one descriptor per message), each a
// runtime API connection at admin level for the worker — the master CLI's `@1 show info`,
// and a reload's `_getsocks` / `_getstktables` for the next worker. The worker writes
// `READY` once it serves, which tells the master the reload succeeded. When the master
// goes away the pair closes and the worker leaves, as HAProxy's workers do.
import CUring
#if canImport(Glibc)
import Glibc
#endif
import Foundation

public enum MasterChannel {
    /// The environment variable that gives a worker its end of the pair (and makes it one).
    public static let environmentName = "RINGPROXY_MASTER_IPC"
    /// The second connection to the old worker for the session tables (the first is `-x sockpair@N`).
    public static let tablesEnvironmentName = "RINGPROXY_TABLES_FD"

    /// This process's end of the pair when it is a worker started by a master.
    public static var workerEnd: Int32? {
        guard let v = getenv(environmentName), let fd = Int32(String(cString: v)), fd >= 0 else { return nil }
        return fd
    }

    static var tablesFD: Int32? {
        guard let v = getenv(tablesEnvironmentName), let fd = Int32(String(cString: v)), fd >= 0 else { return nil }
        return fd
    }

    /// Sends `fd` (one byte of data with it). False when the other side is gone.
    @discardableResult
    public static func send(descriptor fd: Int32, over channel: Int32) -> Bool {
        (try? SocketTransfer.sendMessage(channel, data: [0], fds: [fd])) != nil
    }

    /// Receives one message: a descriptor, `.text` bytes, or nil at the end.
    enum Message { case descriptor(Int32), text([UInt8]) }

    static func receive(_ channel: Int32) -> Message? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let controlLength = SocketTransfer.cmsgSpace(4 * 4)
        var control = [UInt8](repeating: 0, count: controlLength)
        var received: Int32 = -1
        while true {
            let n = buffer.withUnsafeMutableBytes { p -> Int in
                control.withUnsafeMutableBytes { c -> Int in
                    var iov = iovec(iov_base: p.baseAddress, iov_len: p.count)
                    return withUnsafeMutablePointer(to: &iov) { iovp -> Int in
                        var msg = msghdr()
                        msg.msg_iov = iovp; msg.msg_iovlen = 1
                        msg.msg_control = c.baseAddress; msg.msg_controllen = controlLength
                        let r = recvmsg(channel, &msg, Int32(MSG_CMSG_CLOEXEC))
                        if r > 0, msg.msg_controllen >= SocketTransfer.cmsgLen(4) {
                            let h = c.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
                            if h.pointee.cmsg_level == SOL_SOCKET && h.pointee.cmsg_type == Int32(SCM_RIGHTS) {
                                received = (c.baseAddress! + SocketTransfer.cmsgLen(0)).load(as: Int32.self)
                            }
                        }
                        return r
                    }
                }
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            return received >= 0 ? .descriptor(received) : .text(Array(buffer[0..<n]))
        }
    }

    /// Worker side: tells the master it serves.
    static func notifyReady(_ channel: Int32) {
        let text = Array("READY\n".utf8)
        _ = text.withUnsafeBytes { Glibc.send(channel, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Worker side: a thread that adopts the connections the master sends and calls
    /// `masterGone` when the pair closes.
    static func serve(_ channel: Int32, adopt: @escaping @Sendable (Int32) -> Void, masterGone: @escaping @Sendable () -> Void) {
        let t = Thread {
            while let m = receive(channel) {
                if case .descriptor(let fd) = m { adopt(fd) }
            }
            masterGone()
        }
        t.start()
    }
}
