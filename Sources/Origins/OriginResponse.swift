// A response an AppServer behaviour wants sent, and how it goes on the wire (Content-Length or
// chunked, keep-alive or close, no body for HEAD/204/304).

struct OriginResponse {
    enum Body {
        case bytes([UInt8])
        /// `count` bytes of `BodyPattern`, streamed without building them.
        case pattern(count: Int)

        var count: Int {
            switch self {
            case .bytes(let b): return b.count
            case .pattern(let n): return n
            }
        }
    }

    var status = 200
    /// Headers in order; framing and `Connection` are added by `serialize`.
    var headers: [(name: String, value: String)] = []
    var body: Body = .bytes([])
    var chunked = false

    static func reason(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 408: return "Request Timeout"
        case 413: return "Payload Too Large"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status \(status)"
        }
    }

    /// Writes the response; `keepAlive` decides the `Connection` header, `isHead` drops the body.
    /// Returns false when the peer is gone.
    func write(to fd: Int32, requestVersion: String, keepAlive: Bool, isHead: Bool) -> Bool {
        let bodyless = status == 204 || status == 304 || (100...199).contains(status)
        // Chunked is HTTP/1.1 only; an HTTP/1.0 client gets a Content-Length instead.
        let useChunked = chunked && !bodyless && requestVersion != "HTTP/1.0"
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for h in headers { head += "\(h.name): \(h.value)\r\n" }
        if useChunked {
            head += "Transfer-Encoding: chunked\r\n"
        } else if !bodyless {
            head += "Content-Length: \(body.count)\r\n"
        }
        if !keepAlive {
            head += "Connection: close\r\n"
        } else if requestVersion == "HTTP/1.0" {
            head += "Connection: keep-alive\r\n"
        }
        head += "\r\n"
        var out = Array(head.utf8)
        if isHead || bodyless { return OriginSocket.sendAll(fd, out) }

        switch body {
        case .bytes(let bytes):
            if useChunked { Self.appendChunked(bytes[...], to: &out) } else { out += bytes }
            return OriginSocket.sendAll(fd, out)
        case .pattern(let count):
            return writePattern(count: count, chunked: useChunked, head: out, fd: fd)
        }
    }

    /// Small bodies go out as two chunks (so clients meet a multi-chunk body), big ones in
    /// 16 KiB chunks; then the last chunk.
    private static func appendChunked(_ bytes: ArraySlice<UInt8>, to out: inout [UInt8]) {
        let piece = bytes.count < 2 ? max(bytes.count, 1) : min((bytes.count + 1) / 2, 16 * 1024)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let n = min(piece, bytes.endIndex - i)
            out += Array((String(n, radix: 16) + "\r\n").utf8)
            out += bytes[i..<i + n]
            out += [0x0D, 0x0A]
            i += n
        }
        out += Array("0\r\n\r\n".utf8)
    }

    /// Streams `count` pattern bytes in slices of up to `BodyPattern.maxSlice`; the head and the
    /// first slice go out in one write (a small response is one segment, as from a real server).
    private func writePattern(count: Int, chunked: Bool, head: [UInt8], fd: Int32) -> Bool {
        var pending = head
        var offset = 0
        repeat {
            let n = min(BodyPattern.maxSlice, count - offset)
            let from = offset % BodyPattern.period
            if chunked, n > 0 { pending += Array((String(n, radix: 16) + "\r\n").utf8) }
            pending += BodyPattern.tiled[from..<from + n]
            if chunked, n > 0 { pending += [0x0D, 0x0A] }
            offset += n
            if offset == count, chunked { pending += Array("0\r\n\r\n".utf8) }
            guard OriginSocket.sendAll(fd, pending) else { return false }
            pending.removeAll(keepingCapacity: true)
        } while offset < count
        return true
    }
}
