/// An HTTP/1 response as HTTP checks read it: status line, headers, and the body received so
/// far (de-chunked), with whether the message is complete.
struct HTTPCheckResponse {
    var status: Int = 0
    var reason: [UInt8] = []
    /// Header names lower-cased, values trimmed, in order.
    var headers: [(name: [UInt8], value: [UInt8])] = []
    var body: [UInt8] = []
    /// The whole message was received (length reached, last chunk, or nothing more expected).
    var complete = false

    enum Parse { case incomplete, invalid, parsed(HTTPCheckResponse) }

    /// Parses `bytes` (everything received). `closed`: the server closed its side.
    static func parse(_ bytes: [UInt8], closed: Bool) -> Parse {
        guard let headEnd = find(bytes, [13, 10, 13, 10]).map({ $0 + 4 }) ?? find(bytes, [10, 10]).map({ $0 + 2 }) else {
            if bytes.count >= 5, !bytes.starts(with: Array("HTTP/".utf8)) { return .invalid }
            return .incomplete
        }
        var lines = split(Array(bytes[0..<headEnd]))
        guard !lines.isEmpty else { return .invalid }
        let statusLine = lines.removeFirst()
        // HTTP/x.y SP NNN [SP reason]
        guard statusLine.count >= 12, statusLine.starts(with: Array("HTTP/".utf8)),
              let sp = statusLine.firstIndex(of: 32) else { return .invalid }
        let codeBytes = statusLine[(sp + 1)...].prefix { $0 != 32 }
        guard codeBytes.count == 3, let code = Int(String(decoding: codeBytes, as: UTF8.self)) else { return .invalid }
        var r = HTTPCheckResponse()
        r.status = code
        let reasonStart = sp + 1 + 3
        r.reason = reasonStart < statusLine.count ? Array(statusLine[(reasonStart + 1)...]) : []
        for l in lines where !l.isEmpty {
            guard let colon = l.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return .invalid }
            let name = l[..<colon].map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
            let value = Array(l[(colon + 1)...]).trimmedBlanks()
            r.headers.append((name, value))
        }
        let rest = Array(bytes[headEnd...])
        let bodyless = code < 200 || code == 204 || code == 304
        if bodyless {
            r.complete = true
        } else if r.isChunked {
            var (decoded, done) = dechunk(rest)
            if decoded == nil { return .invalid }
            r.body = decoded ?? []
            if closed { done = true }
            r.complete = done
        } else if let len = r.contentLength {
            r.body = Array(rest.prefix(len))
            r.complete = rest.count >= len || closed
        } else {
            r.body = rest
            r.complete = closed
        }
        return .parsed(r)
    }

    var contentLength: Int? {
        guard let v = lastValue(of: Array("content-length".utf8), full: true) else { return nil }
        return Int(String(decoding: v, as: UTF8.self))
    }

    var isChunked: Bool {
        headers.contains { $0.name == Array("transfer-encoding".utf8) && String(decoding: $0.value, as: UTF8.self).lowercased().contains("chunked") }
    }

    func lastValue(of name: String, full: Bool) -> [UInt8]? { lastValue(of: Array(name.utf8), full: full) }

    /// `res.fhdr`: the last header line's whole value; `res.hdr`: the last comma-separated value.
    func lastValue(of name: [UInt8], full: Bool) -> [UInt8]? {
        guard let h = headers.last(where: { $0.name == name }) else { return nil }
        if full { return h.value }
        return h.value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).last.map { Array($0).trimmedBlanks() }
    }

    /// Every value of the headers, one per line (`fhdr`) or split at commas (`hdr`), as HAProxy's
    /// header lookups iterate them; with the header's name.
    func values(full: Bool) -> [(name: [UInt8], value: [UInt8])] {
        var out: [(name: [UInt8], value: [UInt8])] = []
        for h in headers {
            if full { out.append(h); continue }
            for v in h.value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                out.append((h.name, Array(v).trimmedBlanks()))
            }
        }
        return out
    }

    static func find(_ b: [UInt8], _ needle: [UInt8]) -> Int? {
        guard b.count >= needle.count else { return nil }
        for i in 0...(b.count - needle.count) where b[i] == needle[0] && Array(b[i..<i + needle.count]) == needle { return i }
        return nil
    }

    static func split(_ head: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var cur: [UInt8] = []
        for c in head {
            if c == 10 { if cur.last == 13 { cur.removeLast() }; out.append(cur); cur = [] } else { cur.append(c) }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    /// Decodes what is there of a chunked body; (nil, _) when it is malformed.
    static func dechunk(_ b: [UInt8]) -> ([UInt8]?, Bool) {
        var out: [UInt8] = []
        var i = 0
        while true {
            guard let eol = find(Array(b[i...]), [13, 10]).map({ $0 + i }) else { return (out, false) }
            let sizeText = String(decoding: b[i..<eol].prefix { $0 != UInt8(ascii: ";") }, as: UTF8.self)
            guard let size = Int(sizeText.trimmingBlanks(), radix: 16) else { return (nil, false) }
            let start = eol + 2
            if size == 0 { return (out, true) }
            guard start + size <= b.count else { out += b[start...]; return (out, false) }
            out += b[start..<start + size]
            i = start + size + 2
            if i > b.count { return (out, false) }
        }
    }
}

extension Array where Element == UInt8 {
    func trimmedBlanks() -> [UInt8] {
        var s = self[...]
        while let f = s.first, f == 32 || f == 9 { s = s.dropFirst() }
        while let l = s.last, l == 32 || l == 9 { s = s.dropLast() }
        return Array(s)
    }
}

private extension String {
    func trimmingBlanks() -> String { String(decoding: Array(utf8).trimmedBlanks(), as: UTF8.self) }
}
