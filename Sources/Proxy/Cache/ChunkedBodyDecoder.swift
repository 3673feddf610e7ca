// The data of a chunked body as the server sent it (sizes, extensions, trailers dropped): a
// stored response is served with a Content-Length. Pure; nil when the framing is broken or
// incomplete.

enum ChunkedBodyDecoder {
    static func decode(_ raw: UnsafeRawBufferPointer) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        let n = raw.count
        func line() -> Range<Int>? {
            var j = i
            while j + 1 < n { if raw[j] == 13 && raw[j + 1] == 10 { let r = i..<j; i = j + 2; return r }; j += 1 }
            return nil
        }
        while true {
            guard let l = line() else { return nil }
            var size = 0, digits = 0
            for k in l {
                let c = raw[k]
                let d: Int
                switch c {
                case 48...57: d = Int(c - 48)
                case 97...102: d = Int(c - 87)
                case 65...70: d = Int(c - 55)
                default: d = -1
                }
                if d < 0 { break }
                size = size * 16 + d; digits += 1
                if size > 1 << 40 { return nil }
            }
            guard digits > 0 else { return nil }
            if size == 0 {
                // trailers up to the empty line
                while true { guard let t = line() else { return nil }; if t.isEmpty { return out } }
            }
            guard i + size + 2 <= n, raw[i + size] == 13, raw[i + size + 1] == 10 else { return nil }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[i..<(i + size)]))
            i += size + 2
        }
    }
}
