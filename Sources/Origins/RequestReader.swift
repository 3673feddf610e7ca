// Reads whole requests (head, then a Content-Length or chunked body) from one blocking socket,
// keeping any pipelined bytes for the next request.
#if canImport(Glibc)
import Glibc
#endif

enum RequestReadError: Error {
    /// The peer closed (or the socket failed) between requests: a normal end.
    case closed
    /// Bytes that are not an HTTP/1.x request, or a cut-off body: answer 400 and close.
    case malformed(String)
    /// Head larger than `RequestReader.maxHeadBytes`.
    case headTooLarge
}

final class RequestReader {
    static let maxHeadBytes = 64 * 1024
    static let maxBodyBytes = 256 * 1024 * 1024

    private let fd: Int32
    private var buffer: [UInt8]
    /// Unconsumed bytes are buffer[start..<end].
    private var start = 0
    private var end = 0

    private let peerAddress: String

    init(fd: Int32) {
        self.fd = fd
        buffer = [UInt8](repeating: 0, count: 16 * 1024)
        peerAddress = OriginSocket.peerAddress(fd)
    }

    /// Reads the next request. Throws `.closed` when the peer closes before sending a byte.
    func readRequest() throws(RequestReadError) -> OriginRequest {
        let head = try readHead()
        guard var request = OriginRequest(head: head) else { throw .malformed("bad request line or header") }
        request.peerAddress = peerAddress
        let te = request.values(of: "Transfer-Encoding").joined(separator: ",").lowercased()
        let cl = request.values(of: "Content-Length").first
        // A client waiting for permission to send its body gets `100 Continue`, unless the body
        // is already arriving (RFC 9110 §10.1.1), as Apache and PHP servers do.
        if request.version == "HTTP/1.1", te.contains("chunked") || (cl != nil && cl != "0"), start == end,
           request.values(of: "Expect").contains(where: { $0.lowercased() == "100-continue" }) {
            guard OriginSocket.sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { throw .closed }
        }
        if te.contains("chunked") {
            request.body = try readChunkedBody()
        } else if let cl {
            guard let n = Int(cl), n >= 0, n <= Self.maxBodyBytes else { throw .malformed("bad Content-Length") }
            request.body = try readExactly(n)
        }
        return request
    }

    // MARK: head

    /// The head bytes without the blank line; leading empty lines are skipped (RFC 9112 §2.2).
    private func readHead() throws(RequestReadError) -> [UInt8] {
        var scanned = start
        var sawAnyByte = false
        while true {
            while start < end, buffer[start] == 0x0D || buffer[start] == 0x0A { start += 1 }
            scanned = max(scanned, start)
            if let (headEnd, blankEnd) = findBlankLine(from: scanned) {
                let head = Array(buffer[start..<headEnd])
                start = blankEnd
                return head
            }
            // Relative to `start`: fill() may move the bytes to the front of the buffer.
            let rescanFrom = max(0, end - start - 3)
            if end - start > Self.maxHeadBytes { throw .headTooLarge }
            if start < end { sawAnyByte = true }
            guard try fill() else {
                if sawAnyByte { throw .malformed("connection closed inside the head") }
                throw .closed
            }
            scanned = start + rescanFrom
        }
    }

    /// Finds the blank line ending the head (`\r\n\r\n` or a bare `\n\n`): returns where the
    /// head's last line ending ends and where the blank line ends.
    private func findBlankLine(from: Int) -> (Int, Int)? {
        var i = from
        while i < end {
            if buffer[i] == 0x0A {
                if i + 1 < end, buffer[i + 1] == 0x0A { return (i + 1, i + 2) }
                if i + 2 < end, buffer[i + 1] == 0x0D, buffer[i + 2] == 0x0A { return (i + 1, i + 3) }
            }
            i += 1
        }
        return nil
    }

    // MARK: body

    private func readExactly(_ count: Int) throws(RequestReadError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            if start == end {
                guard try fill() else { throw .malformed("connection closed inside the body") }
            }
            let take = min(count - out.count, end - start)
            out.append(contentsOf: buffer[start..<start + take])
            start += take
        }
        return out
    }

    private func readLine() throws(RequestReadError) -> [UInt8] {
        var scanned = start
        while true {
            if let nl = buffer[scanned..<end].firstIndex(of: 0x0A) {
                var line = Array(buffer[start..<nl])
                if line.last == 0x0D { line.removeLast() }
                start = nl + 1
                return line
            }
            let rescanFrom = end - start // relative: fill() may move the bytes
            if rescanFrom > 8192 { throw .malformed("chunk line too long") }
            guard try fill() else { throw .malformed("connection closed inside a chunked body") }
            scanned = start + rescanFrom
        }
    }

    private func readChunkedBody() throws(RequestReadError) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try readLine()
            var size = 0
            var digits = 0
            for b in line {
                guard let v = hexValue(b) else { break } // chunk extensions follow ';'
                size = size * 16 + Int(v)
                digits += 1
                if size > Self.maxBodyBytes { throw .malformed("chunk too large") }
            }
            guard digits > 0 else { throw .malformed("bad chunk size") }
            if size == 0 {
                while try !readLine().isEmpty {} // trailers up to the blank line
                return body
            }
            body += try readExactly(size)
            guard try readLine().isEmpty else { throw .malformed("chunk not followed by CRLF") }
            if body.count > Self.maxBodyBytes { throw .malformed("body too large") }
        }
    }

    // MARK: socket

    /// Reads more bytes into the buffer; false on EOF or error.
    private func fill() throws(RequestReadError) -> Bool {
        if start == end { start = 0; end = 0 }
        if end == buffer.count {
            if start > 0 {
                buffer.withUnsafeMutableBytes { b in
                    _ = memmove(b.baseAddress!, b.baseAddress! + start, end - start)
                }
                end -= start
                start = 0
            } else {
                buffer += [UInt8](repeating: 0, count: buffer.count)
            }
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { b in recv(fd, b.baseAddress! + end, b.count - end, 0) }
            if n > 0 { end += n; return true }
            if n < 0 && errno == EINTR { continue }
            return false
        }
    }
}
