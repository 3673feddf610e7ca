// `option contstats`, side by side with HAProxy 2.6: while a large response is in flight (the
// origin has sent its head and 256 KiB of its 1 MiB body, and holds the rest until the test has
// looked), the frontend's CSV `bout` is above 0 with the option and still 0 without it.
import CBench
import CUring
import Foundation
import Glibc
import Synchronization
import Testing

/// Answers one request with a 1 MiB body: 256 KiB at once, the rest once `release()` is called.
final class HeldBodyOrigin: @unchecked Sendable {   // the fd is touched by its thread only
    let port: UInt16
    private let fd: Int32
    private let released = Mutex(false)
    private let finished = Mutex(false)
    static let total = 1 << 20, first = 256 << 10

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError("origin: socket: errno \(errno)") }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { close(fd); throw RawHTTPError("origin: bind/listen: errno \(errno)") }
        self.fd = fd
        port = UInt16(bigEndian: a.sin_port)
        Thread { [self] in serve() }.start()
    }

    func release() { released.withLock { $0 = true } }

    /// Releases the body and closes the listening socket once the thread is done.
    func stop() {
        release()
        shutdown(fd, Int32(SHUT_RDWR))
        while !finished.withLock({ $0 }) { usleep(1000) }
        close(fd)
    }

    private func serve() {
        defer { finished.withLock { $0 = true } }
        let c = accept(fd, nil, nil)
        guard c >= 0 else { return }
        defer { close(c) }
        var buf = [UInt8](repeating: 0, count: 4096)
        _ = recv(c, &buf, buf.count, 0)
        func send(_ b: [UInt8]) { var off = 0; while off < b.count { let n = b[off...].withUnsafeBytes { Glibc.send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }; if n <= 0 { return }; off += n } }
        send(Array("HTTP/1.1 200 OK\r\nContent-Length: \(Self.total)\r\n\r\n".utf8))
        send([UInt8](repeating: 0x78, count: Self.first))
        while !released.withLock({ $0 }) { usleep(2000) }
        send([UInt8](repeating: 0x79, count: Self.total - Self.first))
    }
}

@Suite(.serialized) struct ContstatsEndToEndTests {
    static var binaries: [String] {
        [ProxyProcess.ringproxyBinary] + (HAProxyProcess.executable.map { [$0] } ?? [])
    }

    static func config(_ port: UInt16, _ stats: UInt16, _ origin: UInt16, contstats: Bool) -> String {
        """
        defaults
            mode http
            timeout client 5s
            timeout server 5s
            timeout connect 1s
        frontend f
            bind 127.0.0.1:\(port)
        \(contstats ? "    option contstats" : "")
            default_backend b
        backend b
            server s 127.0.0.1:\(origin)
        listen st
            bind 127.0.0.1:\(stats)
            stats enable
            stats uri /st

        """
    }

    static func frontendBout(_ stats: UInt16) throws -> Int {
        try OpsStatsCSV(RawHTTP.get(port: stats, path: "/st;csv").bodyText).number("f", "FRONTEND", "bout")
    }

    /// Per proxy: the frontend's bout while the body is held, and after it ended.
    static func run(contstats: Bool) throws -> [(during: Int, after: Int)] {
        let port = freePort(), stats = freePort()
        var out: [(Int, Int)] = []
        for binary in binaries {
            let origin = try HeldBodyOrigin()
            defer { origin.stop() }
            let p = try ProxyProcess(config: config(port, stats, origin.port, contstats: contstats), binary: binary, waitForPorts: [port, stats])
            defer { p.stop() }
            let c = try RawHTTP(port: port)
            try c.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try c.readBytes(200_000)                    // the proxy has sent part of the body
            var during = try frontendBout(stats)
            if contstats {                                  // (HAProxy updates on its own schedule)
                let deadline = ContinuousClock.now + .seconds(5)
                while during == 0 && ContinuousClock.now < deadline { usleep(20_000); during = try frontendBout(stats) }
            }
            origin.release()
            _ = try c.readBytes(HeldBodyOrigin.total - 200_000, timeout: .seconds(10))
            var after = try frontendBout(stats)
            let deadline = ContinuousClock.now + .seconds(5)
            while after < HeldBodyOrigin.total && ContinuousClock.now < deadline { usleep(20_000); after = try frontendBout(stats) }
            out.append((during, after))
        }
        return out
    }

    @Test func countersMoveDuringTheTransferWithTheOption() throws {
        let seen = try Self.run(contstats: true)
        #expect(seen.allSatisfy { $0.during > 0 && $0.during < HeldBodyOrigin.total }, "\(seen)")
        #expect(seen.allSatisfy { $0.after > HeldBodyOrigin.total }, "\(seen)")
    }

    @Test func countersWaitForTheEndWithoutTheOption() throws {
        let seen = try Self.run(contstats: false)
        #expect(seen.allSatisfy { $0.during == 0 }, "\(seen)")
        #expect(seen.allSatisfy { $0.after > HeldBodyOrigin.total }, "\(seen)")
    }
}
