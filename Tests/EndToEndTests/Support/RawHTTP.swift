// A raw HTTP/1.x client for end-to-end tests: exact bytes out, one response at a time in,
// with the bytes as received kept for inspection.
import CUring             // SHUT_RDWR: its declaration is seen through CUring's <sys/socket.h> (debug builds of this target)
import Glibc
// The C targets include <sys/socket.h> too; depending on which module the compiler loads first
// in a batch, the socket constants belong to one of them: import both so they resolve.
import CBench
import CUring

struct RawHTTPError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One client connection to 127.0.0.1 (or `host`), optionally from a chosen source address
/// such as 127.0.0.5.
final class RawHTTP {
    /// How a response body was delimited.
    enum Framing: Equatable {
        case none, contentLength(Int), chunked, untilClose
    }

    struct Response {
        var version: String
        var status: Int
        var reason: String
        /// Header lines in the order received (names as sent, values trimmed).
        var headers: [(name: String, value: String)]
        /// The head as received, up to and including the blank line.
        var rawHead: [UInt8]
        /// The body as received (chunk framing included).
        var rawBody: [UInt8]
        /// The body with chunk framing removed.
        var body: [UInt8]
        var framing: Framing

        var bodyText: String { String(decoding: body, as: UTF8.self) }
        var headText: String { String(decoding: rawHead, as: UTF8.self) }
        /// First value of a header, name compared case-insensitively.
        func header(_ name: String) -> String? { headers(named: name).first }
        func headers(named name: String) -> [String] {
            let lower = name.lowercased()
            return headers.filter { $0.name.lowercased() == lower }.map(\.value)
        }
    }

    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var peerClosed = false
    /// errno of the read that ended the connection (ECONNRESET for a reset), nil for an EOF.
    private(set) var lastError: Int32?

    /// Connects (blocking, bounded by `timeout`).
    /// `reuseAddress`: SO_REUSEADDR on the client socket (a proxy may then bind the same
    /// source address and port, as `usesrc client` does).
    init(port: UInt16, host: String = "127.0.0.1", source: String? = nil, reuseAddress: Bool = false, timeout: Duration = .seconds(5)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError("socket: errno \(errno)") }
        do {
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if reuseAddress { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
            if let source {
                var local = try Self.address(source, port: 0)
                let r = withUnsafePointer(to: &local) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard r == 0 else { throw RawHTTPError("bind \(source): errno \(errno)") }
            }
            var remote = try Self.address(host, port: port)
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            let r = withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if r != 0 {
                guard errno == EINPROGRESS else { throw RawHTTPError("connect \(host):\(port): \(String(cString: strerror(errno)))") }
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                guard poll(&p, 1, Self.milliseconds(timeout)) == 1 else { throw RawHTTPError("connect \(host):\(port): timeout") }
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                guard err == 0 else { throw RawHTTPError("connect \(host):\(port): \(String(cString: strerror(err)))") }
            }
            _ = fcntl(fd, F_SETFL, flags)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { Glibc.close(fd) }

    /// Closes the connection (also done on deinit).
    func close() { shutdown(fd, Int32(SHUT_RDWR)) }

    /// The local port (to find this connection in a log line).
    var localPort: UInt16 {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return UInt16(bigEndian: addr.sin_port)
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RawHTTPError("send: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
    }

    /// Reads exactly one response (an interim `100 Continue` counts as one; see
    /// `readFinalResponse`). `forHEAD`: the response to a HEAD request has no body.
    func readResponse(timeout: Duration = .seconds(5), forHEAD: Bool = false) throws -> Response {
        let deadline = ContinuousClock.now + timeout
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.blankLineEnd(buffer)
            if headEnd == nil {
                guard try fill(until: deadline) else {
                    throw RawHTTPError(buffer.isEmpty ? "connection closed before a response"
                                       : "connection closed inside the head: \(String(decoding: buffer, as: UTF8.self))")
                }
            }
        }
        let rawHead = Array(buffer[..<headEnd!])
        buffer.removeFirst(headEnd!)
        var response = try Self.parseHead(rawHead)

        let te = response.headers(named: "Transfer-Encoding").joined(separator: ",").lowercased()
        if forHEAD || (100...199).contains(response.status) || response.status == 204 || response.status == 304 {
            response.framing = .none
        } else if te.contains("chunked") {
            response.framing = .chunked
            (response.rawBody, response.body) = try readChunked(until: deadline)
        } else if let cl = response.header("Content-Length") {
            guard let n = Int(cl) else { throw RawHTTPError("bad Content-Length \(cl)") }
            response.framing = .contentLength(n)
            while buffer.count < n {
                guard try fill(until: deadline) else { throw RawHTTPError("closed after \(buffer.count) of \(n) body bytes") }
            }
            response.body = Array(buffer[..<n])
            response.rawBody = response.body
            buffer.removeFirst(n)
        } else {
            response.framing = .untilClose
            while try fill(until: deadline) {}
            response.body = buffer
            response.rawBody = buffer
            buffer = []
        }
        return response
    }

    /// Reads responses until a final one (status ≥ 200), returning it and dropping any
    /// interim `1xx` responses before it.
    func readFinalResponse(timeout: Duration = .seconds(5), forHEAD: Bool = false) throws -> Response {
        while true {
            let r = try readResponse(timeout: timeout, forHEAD: forHEAD)
            if r.status >= 200 { return r }
        }
    }

    /// Everything (buffered and new) until the peer closes.
    func readAllUntilClose(timeout: Duration = .seconds(5)) throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        while try fill(until: deadline) {}
        defer { buffer = [] }
        return buffer
    }

    /// The next `count` bytes (buffered first); throws when the peer closes before or on timeout.
    func readBytes(_ count: Int, timeout: Duration = .seconds(5)) throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        while buffer.count < count {
            guard try fill(until: deadline) else { throw RawHTTPError("closed after \(buffer.count) of \(count) bytes") }
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer[0..<count])
    }

    /// True when the peer closes (EOF or reset) within `within`; bytes that arrive meanwhile
    /// are kept for the next read.
    func isClosed(within: Duration = .milliseconds(200)) -> Bool {
        let deadline = ContinuousClock.now + within
        do {
            while try fill(until: deadline) {}
            return true
        } catch {
            return peerClosed
        }
    }

    // MARK: internals

    /// Reads more bytes; false on EOF/reset; throws on timeout.
    private func fill(until deadline: ContinuousClock.Instant) throws -> Bool {
        if peerClosed { return false }
        let left = ContinuousClock.now.duration(to: deadline)
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&p, 1, max(0, Self.milliseconds(left)))
        guard ready > 0 else { throw RawHTTPError("timeout waiting for bytes (have \(buffer.count): \(String(decoding: buffer.prefix(200), as: UTF8.self)))") }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        if n <= 0 {
            if n < 0 && errno == EINTR { return true }
            if n < 0 { lastError = errno }
            peerClosed = true
            return false
        }
        buffer += chunk[..<n]
        return true
    }

    private func readLine(until deadline: ContinuousClock.Instant, raw: inout [UInt8]) throws -> [UInt8] {
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                raw += buffer[...nl]
                var line = Array(buffer[..<nl])
                buffer.removeFirst(nl + 1)
                if line.last == 0x0D { line.removeLast() }
                return line
            }
            guard try fill(until: deadline) else { throw RawHTTPError("closed inside a chunked body") }
        }
    }

    private func readChunked(until deadline: ContinuousClock.Instant) throws -> (raw: [UInt8], body: [UInt8]) {
        var raw: [UInt8] = []
        var body: [UInt8] = []
        while true {
            let line = try readLine(until: deadline, raw: &raw)
            let sizeText = String(decoding: line.prefix { $0 != UInt8(ascii: ";") }, as: UTF8.self).trimmingHTTPBlanks()
            guard let size = Int(sizeText, radix: 16) else { throw RawHTTPError("bad chunk size line '\(String(decoding: line, as: UTF8.self))'") }
            if size == 0 {
                while try !readLine(until: deadline, raw: &raw).isEmpty {}
                return (raw, body)
            }
            while buffer.count < size + 2 {
                guard try fill(until: deadline) else { throw RawHTTPError("closed inside a chunk") }
            }
            body += buffer[..<size]
            raw += buffer[..<(size + 2)]
            guard buffer[size] == 0x0D, buffer[size + 1] == 0x0A else { throw RawHTTPError("chunk data not followed by CRLF") }
            buffer.removeFirst(size + 2)
        }
    }

    private static func blankLineEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 2 else { return nil }
        for i in 0..<(b.count - 1) where b[i] == 0x0A {
            if b[i + 1] == 0x0A { return i + 2 }
            if i + 2 < b.count, b[i + 1] == 0x0D, b[i + 2] == 0x0A { return i + 3 }
        }
        return nil
    }

    private static func parseHead(_ raw: [UInt8]) throws -> Response {
        // Split bytes, not Characters: "\r\n" is a single Character in Swift.
        let lines = raw.split(separator: 0x0A, omittingEmptySubsequences: true)
            .map { String(decoding: $0.last == 0x0D ? $0.dropLast() : $0, as: UTF8.self) }
            .filter { !$0.isEmpty }
        guard let statusLine = lines.first else { throw RawHTTPError("empty head") }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw RawHTTPError("bad status line '\(statusLine)'")
        }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw RawHTTPError("bad header line '\(line)'") }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingHTTPBlanks()))
        }
        return Response(version: String(parts[0]), status: status, reason: parts.count > 2 ? String(parts[2]) : "",
                        headers: headers, rawHead: raw, rawBody: [], body: [], framing: .none)
    }

    private static func address(_ host: String, port: UInt16) throws -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &a.sin_addr) == 1 else { throw RawHTTPError("not an IPv4 address: \(host)") }
        return a
    }

    static func milliseconds(_ d: Duration) -> Int32 {
        let c = d.components
        return Int32(clamping: c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000)
    }
}

extension RawHTTP {
    /// Sends one HTTP/1.1 request on this connection (kept alive unless `headers` say
    /// otherwise) and reads its final response. A body gets a Content-Length.
    func request(_ method: String = "GET", path: String = "/", host: String? = "localhost",
                 headers: [(String, String)] = [], body: [UInt8]? = nil,
                 timeout: Duration = .seconds(5)) throws -> Response {
        var text = "\(method) \(path) HTTP/1.1\r\n"
        if let host { text += "Host: \(host)\r\n" }
        for (n, v) in headers { text += "\(n): \(v)\r\n" }
        if let body { text += "Content-Length: \(body.count)\r\n" }
        try send(Array((text + "\r\n").utf8) + (body ?? []))
        return try readFinalResponse(timeout: timeout, forHEAD: method == "HEAD")
    }

    /// One GET on a fresh connection (`Connection: close`), its response read in full.
    static func get(port: UInt16, path: String = "/", host: String? = "localhost",
                    headers: [(String, String)] = [], source: String? = nil,
                    timeout: Duration = .seconds(5)) throws -> Response {
        let c = try RawHTTP(port: port, source: source, timeout: timeout)
        var text = "GET \(path) HTTP/1.1\r\n"
        if let host { text += "Host: \(host)\r\n" }
        for (n, v) in headers { text += "\(n): \(v)\r\n" }
        text += "Connection: close\r\n\r\n"
        try c.send(text)
        return try c.readResponse(timeout: timeout)
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    func trimmingHTTPBlanks() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
