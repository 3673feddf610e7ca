/// A writer over caller-owned bytes: log lines are built in place, with no allocation.
/// Writes past the end are dropped (the line is truncated), and `truncated` tells so.
public struct LogBuffer {
    public let base: UnsafeMutableRawBufferPointer
    public private(set) var count = 0
    public private(set) var truncated = false

    @inline(__always) public init(_ base: UnsafeMutableRawBufferPointer) { self.base = base }

    public var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: base[0..<count]) }
    public var remaining: Int { base.count - count }

    @inline(__always) public mutating func byte(_ b: UInt8) {
        if count < base.count { base[count] = b; count += 1 } else { truncated = true }
    }

    public mutating func bytes(_ src: UnsafeRawBufferPointer) {
        let n = min(src.count, remaining)
        if n < src.count { truncated = true }
        if n > 0 { (base.baseAddress! + count).copyMemory(from: src.baseAddress!, byteCount: n) }
        count += n
    }

    public mutating func text(_ s: StaticString) {
        bytes(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Writes a String's UTF-8 (names built at configuration time; native Strings are contiguous).
    public mutating func text(_ s: String) {
        if s.utf8.withContiguousStorageIfAvailable({ bytes(UnsafeRawBufferPointer($0)) }) == nil {
            for b in s.utf8 { byte(b) }
        }
    }

    public mutating func decimal(_ v: Int) {
        if v < 0 { byte(UInt8(ascii: "-")); return decimal(UInt64(-(v + 1)) + 1) }
        decimal(UInt64(v))
    }

    public mutating func decimal(_ v: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // up to 20 digits, reversed, on the stack
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[n] = UInt8(ascii: "0") + UInt8(x % 10); x /= 10; n += 1 } while x > 0
            while n > 0 { n -= 1; byte(d[n]) }
        }
    }

    /// Zero-padded to `width` digits (dates, milliseconds).
    public mutating func padded(_ v: Int, width: Int) {
        var div = 1
        for _ in 1..<width { div *= 10 }
        var x = v
        while div > 0 { byte(UInt8(ascii: "0") + UInt8((x / div) % 10)); x %= div; div /= 10 }
    }

    /// Replaces the last byte written (e.g. to force the syslog `\n`).
    public mutating func setLast(_ b: UInt8) { if count > 0 { base[count - 1] = b } }

    public mutating func truncate(to n: Int) { count = min(count, n) }
}
