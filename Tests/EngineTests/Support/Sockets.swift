// Small blocking-socket helpers for the engine tests: listening on an ephemeral loopback port,
// connecting, reading with a deadline.
import Glibc

struct SocketError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

enum Sockets {
    /// A TCP socket listening on 127.0.0.1 with a port the kernel picks (or `port`).
    static func listen(backlog: Int32 = 128, port wanted: UInt16 = 0) throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(Glibc.SOCK_STREAM.rawValue) | Int32(Glibc.SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = loopback(port: wanted)
        let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0, Glibc.listen(fd, backlog) == 0 else { close(fd); throw SocketError("bind/listen: errno \(errno)") }
        return (fd, port(of: fd))
    }

    static func port(of fd: Int32) -> UInt16 {
        var a = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return UInt16(bigEndian: a.sin_port)
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return a
    }

    /// Connects to 127.0.0.1:port (blocking).
    static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(Glibc.SOCK_STREAM.rawValue) | Int32(Glibc.SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = loopback(port: port)
        let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0 else { let e = errno; close(fd); throw SocketError("connect \(port): \(String(cString: strerror(e)))") }
        return fd
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; throw SocketError("send: \(String(cString: strerror(errno)))") }
            off += n
        }
    }

    /// Reads what is there within `timeout` ms: bytes, [] at EOF, nil when nothing came in time.
    /// Throws on a reset.
    static func read(_ fd: Int32, max: Int = 65536, timeout: Int32) throws -> [UInt8]? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = poll(&p, 1, timeout)
        if r == 0 { return nil }
        var buf = [UInt8](repeating: 0, count: max)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
        if n < 0 { throw SocketError("recv: \(String(cString: strerror(errno)))") }
        return Array(buf[0..<n])
    }

    /// Closes with a reset (SO_LINGER 0).
    static func reset(_ fd: Int32) {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        close(fd)
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// Polls `condition` every 5 ms until it holds or `timeoutMs` passed; returns whether it held.
func eventually(_ timeoutMs: Int64 = 5000, _ condition: () throws -> Bool) rethrows -> Bool {
    let end = Sockets.now() + timeoutMs
    while true {
        if try condition() { return true }
        if Sockets.now() >= end { return false }
        usleep(5000)
    }
}
