// The peers protocol's variable-length integers (peers.txt, "Encoding"): below 240 one byte;
// else the first byte carries the low 4 bits with its top nibble set, then 7 bits per byte,
// high bit meaning "more follows".

enum PeersVarint {
    /// At most this many bytes (a 64-bit value takes 10).
    static let maxLength = 10

    @inline(__always) static func append(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        if v < 0xf0 { out.append(UInt8(v)); return }
        out.append(UInt8(truncatingIfNeeded: v) | 0xf0)
        v = (v - 0xf0) >> 4
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v = (v - 0x80) >> 7
        }
        out.append(UInt8(v))
    }

    static func encoded(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        append(value, to: &out)
        return out
    }

    /// Decodes the integer at `i` (advanced past it), reading no further than `end`; nil when
    /// the bytes stop before the integer does, or it runs longer than 10 bytes.
    @inline(__always) static func decode(_ b: UnsafeRawBufferPointer, _ i: inout Int, end: Int) -> UInt64? {
        guard i < end else { return nil }
        var v = UInt64(b[i])
        var p = i + 1
        if v >= 0xf0 {
            var shift: UInt64 = 4
            while true {
                guard p < end, p - i < maxLength else { return nil }
                let byte = b[p]
                p += 1
                v &+= UInt64(byte) << shift
                shift += 7
                if byte < 0x80 { break }
            }
        }
        i = p
        return v
    }
}
