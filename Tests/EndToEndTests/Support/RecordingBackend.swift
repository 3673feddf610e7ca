// A backend for differential tests: records every request head (and body) it receives and
// answers with bytes chosen by the test from the request, one connection per thread.
import Foundation
import CUring             // SHUT_RDWR: its declaration is seen through CUring's <sys/socket.h> (debug builds of this target)
import Glibc
// The C targets include <sys/socket.h> too; depending on which module the compiler loads first
// in a batch, the socket constants belong to one of them: import both so they resolve.
import CBench
import CUring
import Synchronization

final class RecordingBackend: @unchecked Sendable {
    // @unchecked: mutable state is in Mutexes; the accept thread closes the fd, once.
    let port: UInt16
    private let fd: Int32
    private let received = Mutex<[String]>([])
    private let stopped = Atomic<Bool>(false)
    /// The listening socket is still open (closed by the accept thread under this lock, so that
    /// `stop` never shuts down a number another test's socket may have taken since).
    private let listening = Mutex<Bool>(true)
    private let answer: @Sendable (String) -> [UInt8]

    /// `answer` gets the request head as text and returns the raw response bytes.
    init(answer: @escaping @Sendable (String) -> [UInt8] = { _ in Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Srv: a\r\n\r\nok".utf8) }) throws {
        self.answer = answer
        port = freePort()
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0, listen(fd, 64) == 0 else { close(fd); throw RawHTTPError("backend bind \(port): errno \(errno)") }
        let t = Thread { [self] in acceptLoop() }
        t.start()
    }

    var requests: [String] { received.withLock { $0 } }
    func clear() { received.withLock { $0 = [] } }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        listening.withLock { open in if open { shutdown(fd, Int32(SHUT_RDWR)) } }   // wakes accept
    }

    private func acceptLoop() {
        defer { listening.withLock { open in open = false; close(fd) } }
        while !stopped.load(ordering: .relaxed) {
            let c = accept(fd, nil, nil)
            if c >= 0 { _ = fcntl(c, F_SETFD, FD_CLOEXEC) }   // not inherited by the proxies tests start
            if c < 0 { if errno == EINTR { continue }; return }
            let t = Thread { [self] in serve(c) }
            t.start()
        }
    }

    private func serve(_ c: Int32) {
        defer { close(c) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buf: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            // A head, then a Content-Length body.
            while Self.headEnd(buf) == nil {
                let n = recv(c, &chunk, chunk.count, 0)
                if n <= 0 { return }
                buf += chunk[0..<n]
            }
            let end = Self.headEnd(buf)!
            let head = String(decoding: buf[0..<end], as: UTF8.self)
            var length = 0
            for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                length = Int(line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
            while buf.count < end + length {
                let n = recv(c, &chunk, chunk.count, 0)
                if n <= 0 { return }
                buf += chunk[0..<n]
            }
            buf.removeFirst(end + length)
            received.withLock { $0.append(head) }
            let out = answer(head)
            if out.isEmpty { return }
            var sent = 0
            while sent < out.count {
                let n = out[sent...].withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return }
                sent += n
            }
        }
    }

    static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i + 4 }
        return nil
    }
}
