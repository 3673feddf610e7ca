// `-Ws`: the master tells systemd (a `Type=notify` unit) when it is ready and when it
// reloads, through the datagram socket named by $NOTIFY_SOCKET (`@name`: abstract), with
// the messages HAProxy 2.6.12 sends (its master also says RELOADING=1 as it starts, and twice
// on a reload, because it re-executes itself; ringproxy's master does not). Nothing happens without the variable.
import CUring
#if canImport(Glibc)
import Glibc
#endif

enum SystemdNotify {
    static func ready(pid: Int32) { send("READY=1\nMAINPID=\(pid)") }
    static func reloading() { send("RELOADING=1") }
    static func stopping() { send("STOPPING=1") }

    static func send(_ message: String) {
        guard let env = getenv("NOTIFY_SOCKET") else { return }
        var path = String(cString: env)
        guard !path.isEmpty else { return }
        let abstract = path.hasPrefix("@")
        if abstract { path.removeFirst() }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var (addr, len) = ListenerSockets.unixAddress(path, abstract: abstract)
        if abstract { len = socklen_t(MemoryLayout<sa_family_t>.size + 1 + path.utf8.count) }
        let bytes = Array(message.utf8)
        _ = bytes.withUnsafeBytes { b in
            withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, b.baseAddress, b.count, Int32(MSG_NOSIGNAL), $0, len) } }
        }
    }
}
