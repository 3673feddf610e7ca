// An origin server behind a proxy with `send-proxy` / `send-proxy-v2`: it takes the PROXY
// header off the start of each connection (rp_pp_parse), keeps it, and answers each request
// after it with a fixed 200. What the tests compare is the header bytes, exactly.
import CBench
import CUring
import CUring
import Foundation
import Glibc
import Synchronization

final class ProxyHeaderOrigin: Sendable {
    struct Connection: Sendable {
        var raw: [UInt8] = []
        /// The PROXY header as received, nil while none was (or none came).
        var header: [UInt8]? = nil
        var requests = 0
    }

    let port: UInt16
    private let listenFD: Int32
    private let state = Mutex<State>(State())
    private struct State {
        var conns: [Connection] = []
        /// The connections still open. A descriptor leaves this set when it is closed, under the
        /// lock `stop` shuts them down with: tests run in parallel in one process, and a closed
        /// number may already be another test's socket (shut down, that test's client saw its
        /// keep-alive connection closed after an answer, by no proxy).
        var fds: Set<Int32> = []
        var listenOpen = true
        var stopped = false
    }
    private static let reply = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let r = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0, listen(fd, 128) == 0 else { Glibc.close(fd); throw RawHTTPError("origin: bind/listen failed") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = UInt16(bigEndian: a.sin_port)
        listenFD = fd
        let me = self
        Thread.detachNewThread { me.acceptLoop() }
    }

    deinit { stop() }

    func stop() {
        state.withLock { s in
            if s.stopped { return }
            s.stopped = true
            if s.listenOpen { shutdown(listenFD, Int32(SHUT_RDWR)) }
            for fd in s.fds { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    var connections: [Connection] { state.withLock { $0.conns } }

    /// Forgets the connections seen so far (between two proxies' runs).
    func reset() { state.withLock { $0.conns.removeAll() } }

    @discardableResult
    func wait(timeout: Duration = .seconds(5), until condition: ([Connection]) -> Bool) -> [Connection] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let c = connections
            if condition(c) || ContinuousClock.now >= deadline { return c }
            usleep(5_000)
        }
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }   // not inherited by the proxies tests start
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                state.withLock { s in s.listenOpen = false; Glibc.close(listenFD) }
                return
            }
            let index: Int? = state.withLock { s in
                if s.stopped { return nil }
                s.conns.append(Connection()); s.fds.insert(fd)
                return s.conns.count - 1
            }
            guard let index else { Glibc.close(fd); continue }
            let me = self
            Thread.detachNewThread { me.serve(fd, index) }
        }
    }

    private func serve(_ fd: Int32, _ index: Int) {
        defer { state.withLock { s in s.fds.remove(fd); Glibc.close(fd) } }
        var pending: [UInt8] = []
        var headerDone = false
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            pending += chunk[..<n]
            state.withLock { s in if index < s.conns.count { s.conns[index].raw += chunk[..<n] } }
            if !headerDone {
                var src = sockaddr_storage(), dst = sockaddr_storage()
                var has: Int32 = 0
                let r = pending.withUnsafeBufferPointer { rp_pp_parse($0.baseAddress, UInt32($0.count), &src, &dst, &has) }
                if r == Int32(RP_PP_MISSING) { continue }
                headerDone = true
                if r > 0 {
                    let h = Array(pending[..<Int(r)])
                    pending.removeFirst(Int(r))
                    state.withLock { s in if index < s.conns.count { s.conns[index].header = h } }
                }
            }
            while let used = StrictFraming.messageLength(pending) {
                pending.removeFirst(used)
                state.withLock { s in if index < s.conns.count { s.conns[index].requests += 1 } }
                guard Self.reply.withUnsafeBytes({ send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }) == Self.reply.count else { return }
            }
        }
    }
}
