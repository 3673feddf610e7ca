// A client connection for the engine tests: raw bytes out, HTTP/1.1 responses in (framed by
// Content-Length, chunked or the close), EOF and reset detection.
import Glibc

struct TestResponse {
    var status: Int
    var head: String
    var body: [UInt8]
    func header(_ name: String) -> String? {
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                return parts[1].trimmingCharacters(in: " ")
            }
        }
        return nil
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

final class TestClient {
    /// -1 once reset: the number may then belong to another test's socket (tests run in
    /// parallel in one process), so it must never be closed a second time.
    private(set) var fd: Int32
    private var buffer: [UInt8] = []
    private(set) var closed = false
    private(set) var wasReset = false

    init(port: UInt16) throws { fd = try Sockets.connect(port: port) }
    deinit { if fd >= 0 { close(fd) } }

    func send(_ text: String) throws { try Sockets.sendAll(fd, Array(text.utf8)) }
    func send(_ bytes: [UInt8]) throws { try Sockets.sendAll(fd, bytes) }
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }
    func reset() {
        guard fd >= 0 else { return }
        Sockets.reset(fd)
        fd = -1
    }

    /// Reads more into the buffer; false at EOF/reset or when nothing came before `deadline`.
    private func fill(until deadline: Int64) throws -> Bool {
        let left = deadline - Sockets.now()
        if left <= 0 { return false }
        do {
            guard let got = try Sockets.read(fd, timeout: Int32(left)) else { return false }
            if got.isEmpty { closed = true; return false }
            buffer += got
            return true
        } catch {
            closed = true; wasReset = true
            return false
        }
    }

    /// The next response, or throws when the connection ends or nothing comes within `timeoutMs`.
    func response(timeoutMs: Int64 = 5000, headRequest: Bool = false) throws -> TestResponse {
        let deadline = Sockets.now() + timeoutMs
        var headEnd: Int? = nil
        while headEnd == nil {
            headEnd = Self.find(buffer, Array("\r\n\r\n".utf8)).map { $0 + 4 }
            if headEnd == nil, !(try fill(until: deadline)) {
                throw SocketError("no complete response head (closed: \(closed), got \(buffer.count) bytes: \(String(decoding: buffer, as: UTF8.self)))")
            }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd!)
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        var r = TestResponse(status: status, head: head, body: [])
        if headRequest || status == 204 || status == 304 || status / 100 == 1 { return r }
        if let cl = r.header("content-length").flatMap({ Int($0) }) {
            while buffer.count < cl {
                guard try fill(until: deadline) else { throw SocketError("body cut at \(buffer.count) of \(cl)") }
            }
            r.body = Array(buffer[0..<cl]); buffer.removeFirst(cl)
        } else if r.header("transfer-encoding")?.lowercased() == "chunked" {
            r.body = try chunkedBody(deadline)
        } else {
            while try fill(until: deadline) {}
            guard closed else { throw SocketError("close-delimited body not closed in time") }
            r.body = buffer; buffer = []
        }
        return r
    }

    private func chunkedBody(_ deadline: Int64) throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            var lineEnd = Self.find(buffer, [13, 10])
            while lineEnd == nil {
                guard try fill(until: deadline) else { throw SocketError("chunk size line cut") }
                lineEnd = Self.find(buffer, [13, 10])
            }
            let sizeText = String(decoding: buffer[0..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText, radix: 16) else { throw SocketError("bad chunk size '\(sizeText)'") }
            buffer.removeFirst(lineEnd! + 2)
            while buffer.count < size + 2 { guard try fill(until: deadline) else { throw SocketError("chunk cut") } }
            body += buffer[0..<size]
            buffer.removeFirst(size + 2)
            if size == 0 { return body }
        }
    }

    /// True when the connection ends (EOF or reset) within `ms`, reading and dropping bytes.
    func closes(within ms: Int64) -> Bool {
        let deadline = Sockets.now() + ms
        while !closed {
            if (try? fill(until: deadline)) != true { break }
        }
        return closed
    }

    /// Bytes received and not yet consumed as a response.
    var pending: [UInt8] { buffer }

    static func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        var i = 0
        while i + needle.count <= hay.count {
            if hay[i] == needle[0] && Array(hay[i..<i + needle.count]) == needle { return i }
            i += 1
        }
        return nil
    }
}
