// An origin that holds every request until the test opens its gate: tests of queues and
// connection limits wait for "the server holds N requests" instead of guessing with a slow
// server and staggered clients how far a loaded machine got.
import CBench
import CUring
import Foundation
import Glibc
import Synchronization

final class GatedOrigin: @unchecked Sendable {   // the fd is touched by the accept thread only
    let port: UInt16
    private let fd: Int32
    private let state = Mutex<(held: Int, open: Bool, stopping: Bool, done: Bool)>((0, false, false, false))

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError("gated origin: socket: errno \(errno)") }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let r = withUnsafeMutablePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard r else { close(fd); throw RawHTTPError("gated origin: bind/listen: errno \(errno)") }
        self.fd = fd
        port = UInt16(bigEndian: a.sin_port)
        Thread { [self] in acceptLoop() }.start()
    }

    /// Requests read and held (not yet answered).
    var held: Int { state.withLock { $0.held } }

    /// Lets every held request (and any later one) be answered: 200, then close.
    func open() { state.withLock { $0.open = true } }

    /// Stops accepting; returns once the listening socket is closed (by the accept thread).
    func stop() {
        state.withLock { $0.stopping = true; $0.open = true }
        while !state.withLock({ $0.done }) { usleep(1000) }
    }

    private func acceptLoop() {
        defer { close(fd); state.withLock { $0.done = true } }
        while !state.withLock({ $0.stopping }) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 20) == 1 else { continue }
            let c = accept(fd, nil, nil)
            if c >= 0 { _ = fcntl(c, F_SETFD, FD_CLOEXEC) }   // not inherited by the proxies tests start
            if c < 0 { continue }
            Thread { [self] in serve(c) }.start()
        }
    }

    private func serve(_ c: Int32) {
        defer { close(c) }
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while ScriptedServer.headEnd(got) == nil {
            let n = recv(c, &buf, buf.count, 0)
            if n <= 0 { return }
            got += buf[0..<n]
        }
        state.withLock { $0.held += 1 }
        while !state.withLock({ $0.open }) { usleep(2000) }
        state.withLock { $0.held -= 1 }
        let reply = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8)
        _ = reply.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
