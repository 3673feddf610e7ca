// A header name known at configuration time (String → lower-case bytes once), matched
// against the parsed head without allocating.

public struct HeaderName: Sendable {
    public let lower: [UInt8]

    public init(_ name: String) { lower = Array(name.lowercased().utf8) }

    /// Whether the name range `r` of `head` is this name (ASCII case-insensitive).
    @inline(__always)
    public func matches(_ r: ByteRange, in head: MessageHead) -> Bool {
        guard r.count == lower.count else { return false }
        var i = 0
        let base = Int(r.lo)
        while i < lower.count {
            if Bytes.lower(head.bytes[base + i]) != lower[i] { return false }
            i += 1
        }
        return true
    }

    /// Index of the first header with this name at or after `from`.
    @inline(__always)
    public func find(in head: MessageHead, from: Int) -> Int? {
        var i = from
        while i < head.headerCount {
            if matches(head.fields[i].name, in: head) { return i }
            i += 1
        }
        return nil
    }
}

/// Small byte helpers shared by the decision code.
enum Bytes {
    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { (c >= 65 && c <= 90) ? c | 0x20 : c }
    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 }

    /// ASCII comparison of two buffers, optionally ignoring case.
    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, ignoreCase: Bool) -> Bool {
        guard a.count == b.count else { return false }
        return equalPrefix(a, 0, b, ignoreCase: ignoreCase)
    }

    /// Whether `b` occurs in `a` at offset `at` (caller checks bounds).
    @inline(__always)
    static func equalPrefix(_ a: UnsafeRawBufferPointer, _ at: Int, _ b: UnsafeRawBufferPointer, ignoreCase: Bool) -> Bool {
        var i = 0
        if ignoreCase {
            while i < b.count { if lower(a[at + i]) != lower(b[i]) { return false }; i += 1 }
        } else {
            while i < b.count { if a[at + i] != b[i] { return false }; i += 1 }
        }
        return true
    }

    /// Trims blanks on both sides of [lo, hi) in `buf`.
    @inline(__always)
    static func trim(_ buf: UnsafeRawBufferPointer, _ lo: Int, _ hi: Int) -> (Int, Int) {
        var l = lo, h = hi
        while l < h && isSpace(buf[l]) { l += 1 }
        while h > l && isSpace(buf[h - 1]) { h -= 1 }
        return (l, h)
    }
}
