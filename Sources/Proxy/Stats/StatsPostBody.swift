/// The body of a stats admin POST, taken from the bytes received after the head: a
/// Content-Length body, or a chunked one (decoded; extensions and trailers skipped). The
/// form is small, so the whole body is waited for in the receive buffer.
enum StatsPostBody {
    enum Result: Equatable {
        /// The body, and how many bytes after the head it took on the wire.
        case complete([UInt8], wireLength: Int)
        case incomplete
        case invalid
    }

    static func extract(_ bytes: UnsafeRawBufferPointer, framing: BodyFraming) -> Result {
        switch framing {
        case .none, .untilClose: return .complete([], wireLength: 0)
        case .contentLength(let n):
            guard n <= Int64(bytes.count) else { return .incomplete }
            return .complete(Array(bytes[0..<Int(n)]), wireLength: Int(n))
        case .chunked: return dechunk(bytes)
        }
    }

    static func dechunk(_ b: UnsafeRawBufferPointer) -> Result {
        var body: [UInt8] = []
        var i = 0
        /// The end of the line starting at `from` (index of its LF), or nil if not received.
        func lineEnd(_ from: Int) -> Int? {
            var j = from
            while j < b.count { if b[j] == UInt8(ascii: "\n") { return j }; j += 1 }
            return nil
        }
        while true {
            guard let eol = lineEnd(i) else { return .incomplete }
            var size = 0, digits = 0
            var j = i
            while j < eol, let h = StatsAdminForm.hex(b[j]) {
                size = size * 16 + Int(h); digits += 1; j += 1
                if size > 1 << 24 { return .invalid }
            }
            guard digits > 0 else { return .invalid }
            i = eol + 1
            if size == 0 {
                // Trailers, up to the empty line.
                while true {
                    guard let end = lineEnd(i) else { return .incomplete }
                    let empty = end == i || (end == i + 1 && b[i] == UInt8(ascii: "\r"))
                    i = end + 1
                    if empty { return .complete(body, wireLength: i) }
                }
            }
            guard i + size <= b.count else { return .incomplete }
            body += b[i..<(i + size)]
            i += size
            guard let end = lineEnd(i) else { return .incomplete }
            guard end - i <= 1 else { return .invalid }
            i = end + 1
        }
    }
}
