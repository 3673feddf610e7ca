// A sample: HAProxy's typed value that fetches produce, converters transform, ACLs match and
// log-format strings print. It is a plain value: strings point at bytes that outlive the
// evaluation (the message head, a compiled constant, the worker's SampleArena, a variable),
// so making, passing and converting samples allocates nothing.

#if canImport(Glibc)
import Glibc
#endif

/// HAProxy's sample types (SMP_T_*), in the order of its cast table.
public enum SampleType: UInt8, Sendable {
    case any, bool, int, addr, ipv4, ipv6, string, binary, method
}

public struct Sample {
    public var type: SampleType
    /// bool (0/1), int, and ipv4 (host order, in the low 32 bits).
    public var int: Int64 = 0
    /// ipv6, as two big-endian halves (the first 8 bytes are `hi`).
    public var hi: UInt64 = 0
    public var lo: UInt64 = 0
    /// string, binary and method bytes (not owned).
    public var bytes: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)

    @inline(__always) public init(type: SampleType) { self.type = type }
    @inline(__always) public static func bool(_ b: Bool) -> Sample { var s = Sample(type: .bool); s.int = b ? 1 : 0; return s }
    @inline(__always) public static func int(_ v: Int64) -> Sample { var s = Sample(type: .int); s.int = v; return s }
    @inline(__always) public static func ipv4(_ a: UInt32) -> Sample { var s = Sample(type: .ipv4); s.int = Int64(a); return s }
    @inline(__always) public static func ipv6(_ hi: UInt64, _ lo: UInt64) -> Sample { var s = Sample(type: .ipv6); s.hi = hi; s.lo = lo; return s }
    @inline(__always) public static func string(_ b: UnsafeRawBufferPointer) -> Sample { var s = Sample(type: .string); s.bytes = b; return s }
    @inline(__always) public static func binary(_ b: UnsafeRawBufferPointer) -> Sample { var s = Sample(type: .binary); s.bytes = b; return s }

    @inline(__always) public var ipv4: UInt32 { UInt32(truncatingIfNeeded: int) }
    @inline(__always) public var isTrue: Bool { int != 0 }
    public var isAddress: Bool { type == .ipv4 || type == .ipv6 }
    /// The bytes of a string-like sample as a String (tests and tools only).
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// An IPv4-mapped IPv6 address (::ffff:a.b.c.d), as HAProxy's v4tov6.
@inline(__always) func v4MappedV6(_ a: UInt32) -> (UInt64, UInt64) { (0, 0x0000_FFFF_0000_0000 | UInt64(a)) }

/// The IPv4 address inside an IPv6 one, if it is v4-mapped (::ffff:0:0/96) or v4-compatible
/// (::/96), as HAProxy's v6tov4.
@inline(__always) func v6ToV4(_ hi: UInt64, _ lo: UInt64) -> UInt32? {
    guard hi == 0 else { return nil }
    let top = lo >> 32
    guard top == 0xFFFF || top == 0 else { return nil }
    return UInt32(truncatingIfNeeded: lo)
}

/// Casts between sample types, as HAProxy's sample_casts[][] table; text produced by a cast
/// goes into `arena`. Returns false when the cast does not exist or fails.
enum SampleCast {
    /// Whether a cast from `from` to `to` exists (HAProxy's table has a function there).
    static func exists(from: SampleType, to: SampleType) -> Bool {
        if to == .any || from == to { return true }
        switch from {
        case .any: return true
        case .bool: return to == .int || to == .string || to == .binary || to == .bool
        case .int: return to != .method
        case .addr: return false
        case .ipv4: return to == .int || to == .addr || to == .ipv6 || to == .string || to == .binary
        case .ipv6: return to == .addr || to == .ipv4 || to == .string || to == .binary
        case .string: return true
        case .binary: return to == .string || to == .method
        case .method: return to == .string || to == .binary
        }
    }

    @inline(__always)
    static func convert(_ s: inout Sample, to: SampleType, _ arena: SampleArena) -> Bool {
        if to == .any || s.type == to { return true }
        switch (s.type, to) {
        case (.bool, .int): s.type = .int; return true
        case (.int, .bool): s.type = .bool; return true
        case (.bool, .string), (.int, .string):
            guard let b = arena.decimal(s.int) else { return false }
            s = .string(b); return true
        case (.bool, .binary):
            guard let p = arena.allocate(1) else { return false }
            p.storeBytes(of: UInt8(s.int != 0 ? 1 : 0), as: UInt8.self)
            s = .binary(UnsafeRawBufferPointer(start: p, count: 1)); return true
        case (.int, .addr), (.int, .ipv4): s = .ipv4(UInt32(truncatingIfNeeded: s.int)); return true
        case (.int, .ipv6): let (h, l) = v4MappedV6(UInt32(truncatingIfNeeded: s.int)); s = .ipv6(h, l); return true
        case (.int, .binary):
            guard let p = arena.allocate(8) else { return false }
            p.storeBytes(of: UInt64(bitPattern: s.int).bigEndian, as: UInt64.self)
            s = .binary(UnsafeRawBufferPointer(start: p, count: 8)); return true
        case (.ipv4, .int): s = .int(Int64(s.ipv4)); return true
        case (.ipv4, .addr): return true
        case (.ipv4, .ipv6): let (h, l) = v4MappedV6(s.ipv4); s = .ipv6(h, l); return true
        case (.ipv4, .string):
            guard let b = arena.ipv4Text(s.ipv4) else { return false }
            s = .string(b); return true
        case (.ipv4, .binary):
            guard let p = arena.allocate(4) else { return false }
            p.storeBytes(of: s.ipv4.bigEndian, as: UInt32.self)
            s = .binary(UnsafeRawBufferPointer(start: p, count: 4)); return true
        case (.ipv6, .addr): return true
        case (.ipv6, .ipv4):
            guard let a = v6ToV4(s.hi, s.lo) else { return false }
            s = .ipv4(a); return true
        case (.ipv6, .string):
            guard let b = arena.ipv6Text(s.hi, s.lo) else { return false }
            s = .string(b); return true
        case (.ipv6, .binary):
            guard let p = arena.allocate(16) else { return false }
            p.storeBytes(of: s.hi.bigEndian, as: UInt64.self)
            (p + 8).storeBytes(of: s.lo.bigEndian, as: UInt64.self)
            s = .binary(UnsafeRawBufferPointer(start: p, count: 16)); return true
        case (.string, .bool), (.string, .int):
            guard s.bytes.count > 0 else { return false }
            s = Sample(type: to == .bool ? .bool : .int).with(int: TextNumber.readInt64(s.bytes)); return true
        case (.string, .addr):
            if let a = TextAddress.ipv4(s.bytes) { s = .ipv4(a); return true }
            if let (h, l) = TextAddress.ipv6(s.bytes) { s = .ipv6(h, l); return true }
            return false
        case (.string, .ipv4):
            guard let a = TextAddress.ipv4(s.bytes) else { return false }
            s = .ipv4(a); return true
        case (.string, .ipv6):
            guard let (h, l) = TextAddress.ipv6(s.bytes) else { return false }
            s = .ipv6(h, l); return true
        case (.string, .binary): s.type = .binary; return true
        case (.string, .method), (.binary, .method): s.type = .method; return true
        case (.binary, .string):
            // A NUL byte ends the string.
            if let base = s.bytes.baseAddress, let z = memchr(base, 0, s.bytes.count) {
                s.bytes = UnsafeRawBufferPointer(start: base, count: UnsafeRawPointer(z) - base)
            }
            s.type = .string; return true
        case (.method, .string), (.method, .binary): s.type = to; return true
        default: return false
        }
    }
}

extension Sample {
    @inline(__always) func with(int v: Int64) -> Sample { var s = self; s.int = v; return s }
}

/// Numbers in text, as HAProxy reads them.
enum TextNumber {
    /// HAProxy's read_int64: optional sign, then digits up to the first non-digit; saturates.
    static func readInt64(_ b: UnsafeRawBufferPointer) -> Int64 {
        var i = 0
        var neg = false
        if i < b.count && b[i] == UInt8(ascii: "-") { neg = true; i += 1 }
        else if i < b.count && b[i] == UInt8(ascii: "+") { i += 1 }
        var v: UInt64 = 0
        var overflow = false
        while i < b.count, b[i] >= 48, b[i] <= 57 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(b[i] - 48))
            if o1 || o2 { overflow = true }
            v = a
            i += 1
        }
        if neg { return overflow || v > 0x8000_0000_0000_0000 ? Int64.min : Int64(bitPattern: 0 &- v) }
        return overflow || v > UInt64(Int64.max) ? Int64.max : Int64(v)
    }

    /// A whole decimal integer with optional sign (configuration values), or nil.
    static func parseInt64(_ s: Substring) -> Int64? {
        guard !s.isEmpty else { return nil }
        return Int64(s)
    }
}

/// IP addresses in text, parsed without allocation.
enum TextAddress {
    /// Dotted-quad IPv4 (host order), exactly the bytes given.
    static func ipv4(_ s: UnsafeRawBufferPointer) -> UInt32? {
        var parts = 0, cur: UInt32 = 0, digits = 0, value: UInt32 = 0
        for c in s {
            if c >= 48 && c <= 57 {
                cur = cur * 10 + UInt32(c - 48); digits += 1
                if cur > 255 || digits > 3 { return nil }
            } else if c == UInt8(ascii: ".") && digits > 0 && parts < 3 {
                value = value << 8 | cur; parts += 1; cur = 0; digits = 0
            } else { return nil }
        }
        guard parts == 3 && digits > 0 else { return nil }
        return value << 8 | cur
    }

    /// Textual IPv6 (inet_pton through a NUL-terminated stack copy).
    static func ipv6(_ s: UnsafeRawBufferPointer) -> (UInt64, UInt64)? {
        guard s.count >= 2, s.count < 64 else { return nil }
        var buf: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var addr = in6_addr()
        let ok = withUnsafeMutableBytes(of: &buf) { b -> Bool in
            b.copyMemory(from: s)
            b[s.count] = 0
            return inet_pton(AF_INET6, b.baseAddress!.assumingMemoryBound(to: CChar.self), &addr) == 1
        }
        guard ok else { return nil }
        return withUnsafeBytes(of: &addr) { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian,
             raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian)
        }
    }

    /// Configuration-time parsing of either family.
    static func parse(_ text: String) -> Sample? {
        var t = text
        return t.withUTF8 { u -> Sample? in
            let b = UnsafeRawBufferPointer(u)
            if let a = ipv4(b) { return .ipv4(a) }
            if let (h, l) = ipv6(b) { return .ipv6(h, l) }
            return nil
        }
    }
}

// A Sample is plain data plus a borrowed pointer; it never crosses threads except as the
// return value of the process-variable lock, which copies the bytes into the caller's arena.
extension Sample: @unchecked Sendable {}
