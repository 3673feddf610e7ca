// An origin server that keeps every byte a proxy sends it, per connection, and answers each
// request it can frame with a fixed response: the other end of the framing and smuggling
// tests, where what matters is exactly what reached the server. It frames requests the way
// a strict, naive server would (lines end with CRLF only; Content-Length or chunked), so a
// bare LF or a second request hidden in a body shows up as a difference.
import Foundation
import CUring             // SHUT_RDWR: its declaration is seen through CUring's <sys/socket.h> (debug builds of this target)
import Glibc
// The C targets include <sys/socket.h> too; depending on which module the compiler loads first
// in a batch, the socket constants belong to one of them: import both so they resolve.
import CBench
import CUring
import Synchronization

final class RecordingOrigin: Sendable {
    let port: UInt16
    private let listenFD: Int32
    private let reply: [UInt8]
    private let state = Mutex<State>(State())

    private struct State {
        var connections: [[UInt8]] = []
        /// The connections still open. A descriptor leaves this list when it is closed, under
        /// the same lock `stop` shuts them down with: tests run in parallel in one process, and
        /// a closed number may already be another test's socket (a shutdown of it cut that
        /// test's connection: a 502 where the origin saw nothing, a client closed with 0 bytes).
        var fds: Set<Int32> = []
        var listenOpen = true
        var stopped = false
    }

    /// `reply` is sent once per request framed (default: a 200 with a 2-byte body).
    init(reply: String = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") throws {
        self.reply = Array(reply.utf8)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var port: UInt16 = 0
        var bound = false
        for _ in 0..<50 {
            port = freePort()
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            let r = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if r == 0 { bound = true; break }
        }
        guard bound, listen(fd, 128) == 0 else { Glibc.close(fd); throw RawHTTPError("origin: bind/listen failed") }
        self.port = port
        listenFD = fd
        let me = self
        Thread.detachNewThread { me.acceptLoop() }
    }

    deinit { stop() }

    /// Closes the listener and every connection.
    func stop() {
        state.withLock { s in
            if s.stopped { return }
            s.stopped = true
            if s.listenOpen { shutdown(listenFD, Int32(SHUT_RDWR)) }
            for fd in s.fds { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Connections accepted and not yet closed by the origin.
    var openConnections: Int { state.withLock { $0.fds.count } }

    /// The bytes received so far, one entry per connection, in accept order.
    var connections: [[UInt8]] { state.withLock { $0.connections } }
    /// Everything received, all connections concatenated.
    var allBytes: [UInt8] { connections.flatMap { $0 } }

    /// Waits until `condition` holds on the connections, or `timeout` passes; returns them.
    @discardableResult
    func wait(timeout: Duration = .seconds(5), until condition: ([[UInt8]]) -> Bool) -> [[UInt8]] {
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
                s.connections.append([]); s.fds.insert(fd)
                return s.connections.count - 1
            }
            guard let index else { Glibc.close(fd); continue }
            let me = self
            Thread.detachNewThread { me.serve(fd, index) }
        }
    }

    private func serve(_ fd: Int32, _ index: Int) {
        defer { state.withLock { s in s.fds.remove(fd); Glibc.close(fd) } }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            state.withLock { $0.connections[index] += chunk[..<n] }
            pending += chunk[..<n]
            while let used = StrictFraming.messageLength(pending) {
                pending.removeFirst(used)
                var sent = 0
                while sent < reply.count {
                    let w = reply.withUnsafeBytes { send(fd, $0.baseAddress! + sent, reply.count - sent, Int32(MSG_NOSIGNAL)) }
                    if w <= 0 { return }
                    sent += w
                }
            }
        }
    }
}

/// Request framing as a strict server does it: CRLF line endings only, Content-Length or
/// chunked (chunk lines end with CRLF too).
enum StrictFraming {
    /// Length of the first complete request in `b`, or nil if it is not complete (or cannot
    /// be framed).
    static func messageLength(_ b: [UInt8]) -> Int? {
        guard let headEnd = headEnd(b) else { return nil }
        let fields = headers(Array(b[..<headEnd]))
        if fields.contains(where: { $0.name == "transfer-encoding" }) {
            return chunkedEnd(b, from: headEnd)
        }
        if let cl = fields.first(where: { $0.name == "content-length" }), let n = Int(cl.value) {
            return b.count >= headEnd + n ? headEnd + n : nil
        }
        return headEnd
    }

    /// Offset just after the first CRLF CRLF.
    static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    /// Header lines split on CRLF only: names lower-cased, values trimmed.
    static func headers(_ head: [UInt8]) -> [(name: String, value: String)] {
        var lines: [[UInt8]] = []
        var start = 0
        var i = 0
        while i + 1 < head.count {
            if head[i] == 13 && head[i + 1] == 10 { lines.append(Array(head[start..<i])); start = i + 2; i += 2 } else { i += 1 }
        }
        return lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: 58) else { return nil }
            return (String(decoding: line[..<colon], as: UTF8.self).lowercased(),
                    String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingHTTPBlanks())
        }
    }

    /// The request line (before the first CRLF).
    static func requestLine(_ head: [UInt8]) -> String {
        var i = 0
        while i + 1 < head.count, !(head[i] == 13 && head[i + 1] == 10) { i += 1 }
        return String(decoding: head[..<i], as: UTF8.self)
    }

    private static func chunkedEnd(_ b: [UInt8], from start: Int) -> Int? {
        var pos = start
        while true {
            guard let lineEnd = crlf(b, from: pos) else { return nil }
            let sizeText = String(decoding: b[pos..<lineEnd].prefix { $0 != 59 }, as: UTF8.self).trimmingHTTPBlanks()
            guard let size = Int(sizeText, radix: 16) else { return nil }
            pos = lineEnd + 2
            if size == 0 {
                while true {                         // trailers, then the empty line
                    guard let e = crlf(b, from: pos) else { return nil }
                    if e == pos { return pos + 2 }
                    pos = e + 2
                }
            }
            guard b.count >= pos + size + 2 else { return nil }
            pos += size + 2
        }
    }

    private static func crlf(_ b: [UInt8], from: Int) -> Int? {
        var i = from
        while i + 1 < b.count { if b[i] == 13 && b[i + 1] == 10 { return i }; i += 1 }
        return nil
    }

    /// The requests in a recorded stream, as (request line, headers, body bytes with any
    /// chunk framing removed): the form two proxies' outputs are compared in (HAProxy
    /// lower-cases header names and re-chunks bodies). Whatever cannot be framed ends the list
    /// as one `garbage` entry.
    struct Message: Equatable, CustomStringConvertible {
        var requestLine: String
        var headers: [String]
        var body: [UInt8]
        var description: String {
            ([requestLine] + headers).joined(separator: " | ") + (body.isEmpty ? "" : " | body \(String(decoding: body, as: UTF8.self).debugDescription)")
        }
    }

    static func messages(_ stream: [UInt8]) -> [Message] {
        var out: [Message] = []
        var rest = stream
        while !rest.isEmpty {
            guard let total = messageLength(rest), let headEnd = headEnd(rest) else {
                out.append(Message(requestLine: "garbage", headers: [], body: rest))
                break
            }
            let head = Array(rest[..<headEnd])
            let fields = headers(head)
            var body = Array(rest[headEnd..<total])
            if fields.contains(where: { $0.name == "transfer-encoding" }) { body = dechunk(body) }
            out.append(Message(requestLine: requestLine(head), headers: fields.map { "\($0.name): \($0.value)" }, body: body))
            rest.removeFirst(total)
        }
        return out
    }

    private static func dechunk(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var pos = 0
        while let e = crlf(b, from: pos) {
            let sizeText = String(decoding: b[pos..<e].prefix { $0 != 59 }, as: UTF8.self).trimmingHTTPBlanks()
            guard let size = Int(sizeText, radix: 16), size > 0, e + 2 + size <= b.count else { break }
            out += b[(e + 2)..<(e + 2 + size)]
            pos = e + 2 + size + 2
        }
        return out
    }
}
