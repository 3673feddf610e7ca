// Scratch memory for the bytes converters and casts produce (lower-cased strings, numbers as
// text, regsub results...): one per worker, a bump allocator reset at the start of each
// message phase. Samples may point into it until the next reset; what must live longer
// (variables, captures) is copied out. Full arena → the converter fails (no sample), as
// HAProxy's trash chunks do when a result does not fit.

#if canImport(Glibc)
import Glibc
#endif

public final class SampleArena {
    public static let defaultCapacity = 64 * 1024
    let base: UnsafeMutableRawPointer
    let capacity: Int
    private(set) var used = 0

    public init(capacity: Int = SampleArena.defaultCapacity) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 16)
    }
    deinit { base.deallocate() }

    @inline(__always) public func reset() { used = 0 }

    /// `n` bytes, or nil when the arena is full.
    @inline(__always) func allocate(_ n: Int) -> UnsafeMutableRawPointer? {
        let aligned = (used + 7) & ~7
        guard aligned + n <= capacity else { return nil }
        used = aligned + n
        return base + aligned
    }

    /// Gives back the end of the last allocation (a writer reserved more than it wrote).
    @inline(__always) func shrinkLast(from p: UnsafeMutableRawPointer, to count: Int) {
        used = (p - base) + count
    }

    /// What remains, for writers that do not know their length in advance; commit with
    /// `commit(start:count:)`.
    @inline(__always) func reserveRest() -> (UnsafeMutableRawPointer, Int) {
        let aligned = (used + 7) & ~7
        return (base + aligned, max(0, capacity - aligned))
    }
    @inline(__always) func commit(start: UnsafeMutableRawPointer, count: Int) -> UnsafeRawBufferPointer {
        used = (start - base) + count
        return UnsafeRawBufferPointer(start: start, count: count)
    }

    func copy(_ b: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let p = allocate(b.count) else { return nil }
        if b.count > 0 { p.copyMemory(from: b.baseAddress!, byteCount: b.count) }
        return UnsafeRawBufferPointer(start: p, count: b.count)
    }

    /// Decimal text of `v`.
    func decimal(_ v: Int64) -> UnsafeRawBufferPointer? {
        guard let p = allocate(20) else { return nil }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var n = 0
        let neg = v < 0
        var x = v.magnitude
        let count = withUnsafeMutableBytes(of: &digits) { d -> Int in
            repeat { d[n] = UInt8(48 + x % 10); x /= 10; n += 1 } while x > 0
            var out = 0
            if neg { p.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 0, as: UInt8.self); out = 1 }
            while n > 0 { n -= 1; p.storeBytes(of: d[n], toByteOffset: out, as: UInt8.self); out += 1 }
            return out
        }
        shrinkLast(from: p, to: count)
        return UnsafeRawBufferPointer(start: p, count: count)
    }

    func ipv4Text(_ a: UInt32) -> UnsafeRawBufferPointer? {
        guard let p = allocate(16) else { return nil }
        var n = 0
        for shift in stride(from: 24, through: 0, by: -8) {
            let o = Int((a >> UInt32(shift)) & 0xFF)
            if o >= 100 { p.storeBytes(of: UInt8(48 + o / 100), toByteOffset: n, as: UInt8.self); n += 1 }
            if o >= 10 { p.storeBytes(of: UInt8(48 + (o / 10) % 10), toByteOffset: n, as: UInt8.self); n += 1 }
            p.storeBytes(of: UInt8(48 + o % 10), toByteOffset: n, as: UInt8.self); n += 1
            if shift > 0 { p.storeBytes(of: UInt8(ascii: "."), toByteOffset: n, as: UInt8.self); n += 1 }
        }
        shrinkLast(from: p, to: n)
        return UnsafeRawBufferPointer(start: p, count: n)
    }

    func ipv6Text(_ hi: UInt64, _ lo: UInt64) -> UnsafeRawBufferPointer? {
        guard let p = allocate(48) else { return nil }
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { raw in
            raw.storeBytes(of: hi.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: lo.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        guard inet_ntop(AF_INET6, &addr, p.assumingMemoryBound(to: CChar.self), 48) != nil else { return nil }
        let n = strlen(p.assumingMemoryBound(to: CChar.self))
        shrinkLast(from: p, to: n)
        return UnsafeRawBufferPointer(start: p, count: n)
    }
}

/// A byte writer into the arena's free space for results of unknown length.
struct ArenaWriter {
    let start: UnsafeMutableRawPointer
    let capacity: Int
    var count = 0
    var overflow = false

    init(_ arena: SampleArena) { (start, capacity) = arena.reserveRest() }

    @inline(__always) mutating func byte(_ b: UInt8) {
        guard count < capacity else { overflow = true; return }
        start.storeBytes(of: b, toByteOffset: count, as: UInt8.self); count += 1
    }
    @inline(__always) mutating func bytes(_ b: UnsafeRawBufferPointer) {
        guard b.count > 0 else { return }
        guard count + b.count <= capacity else { overflow = true; return }
        (start + count).copyMemory(from: b.baseAddress!, byteCount: b.count); count += b.count
    }
    mutating func decimal(_ v: Int64) {
        if v < 0 { byte(UInt8(ascii: "-")) }
        var x = v.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[n] = UInt8(48 + x % 10); x /= 10; n += 1 } while x > 0
            while n > 0 { n -= 1; byte(d[n]) }
        }
    }
    /// Commits what was written; nil after an overflow.
    func finish(_ arena: SampleArena) -> UnsafeRawBufferPointer? {
        if overflow { return nil }
        return arena.commit(start: start, count: count)
    }
}
