// A runtime API client for end-to-end tests: connects to a UNIX (or TCP) stats socket, sends
// bytes, half-closes when asked, and reads until the proxy closes (or a prompt appears).
import CBench
import CUring
import Glibc

enum CLIClient {
    /// Sends `command` + LF to the UNIX socket and returns everything until the close.
    static func send(_ command: String, socket path: String, timeout: Duration = .seconds(5)) throws -> String {
        let fd = try connect(path: path)
        defer { close(fd) }
        try write(fd, command + "\n")
        shutdown(fd, Int32(SHUT_WR))
        return try readUntilClose(fd, timeout: timeout)
    }

    static func connect(path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError("socket: errno \(errno)") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { p in for (i, b) in path.utf8.enumerated() where i < p.count - 1 { p[i] = b } }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard r == 0 else { let e = errno; close(fd); throw RawHTTPError("connect \(path): errno \(e)") }
        return fd
    }

    static func write(_ fd: Int32, _ text: String) throws {
        let b = Array(text.utf8)
        var off = 0
        while off < b.count {
            let n = b[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw RawHTTPError("send: errno \(errno)") }
            off += n
        }
    }

    /// Reads until EOF.
    static func readUntilClose(_ fd: Int32, timeout: Duration) throws -> String {
        var out: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw RawHTTPError("runtime API answer not closed within \(timeout): \(String(decoding: out, as: UTF8.self))") }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, RawHTTP.milliseconds(left))
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n == 0 { break }
            if n < 0 { if errno == EAGAIN || errno == EINTR { continue }; break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads until the output ends with `suffix` (a prompt), without waiting for a close.
    static func readUntil(_ fd: Int32, suffix: String, timeout: Duration = .seconds(5)) throws -> String {
        var out: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        var buf = [UInt8](repeating: 0, count: 65536)
        while !String(decoding: out, as: UTF8.self).hasSuffix(suffix) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw RawHTTPError("no '\(suffix)' within \(timeout): \(String(decoding: out, as: UTF8.self))") }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, RawHTTP.milliseconds(left))
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n == 0 { throw RawHTTPError("closed before '\(suffix)': \(String(decoding: out, as: UTF8.self))") }
            if n < 0 { continue }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Waits until the socket file exists and accepts a connection.
    static func waitForSocket(_ path: String, timeout: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let fd = try? connect(path: path) { close(fd); return }
            usleep(20_000)
        }
        throw RawHTTPError("no runtime API socket at \(path) after \(timeout)")
    }
}
