// The key type of a stick table and the bytes a key is kept as, chosen so a key reads the
// same to every HAProxy peer: `ip` a 4-byte IPv4 address, `ipv6` 16 bytes, `integer` a 32-bit
// big-endian number, `string` the characters (at most `len`), `binary` exactly `len` bytes
// (shorter values padded with zeros). A client address or a string sample is converted to the
// table's type as HAProxy converts samples (a conversion that fails gives no key).

#if canImport(Glibc)
import Glibc
#endif

public enum StickKeyType: Sendable, Equatable {
    case ip, ipv6, integer, string, binary

    public init(configName: String) {
        switch configName {
        case "ip": self = .ip
        case "ipv6": self = .ipv6
        case "integer": self = .integer
        case "binary": self = .binary
        default: self = .string
        }
    }

    /// Bytes a fixed-size key takes (nil: string, up to the table's length).
    public var fixedSize: Int? {
        switch self {
        case .ip, .integer: 4
        case .ipv6: 16
        case .string, .binary: nil
        }
    }

    /// The type number on the peers wire (HAProxy's PEER_KT_*).
    public var wireType: Int {
        switch self {
        case .integer: 2
        case .ip: 4
        case .ipv6: 5
        case .string: 6
        case .binary: 7
        }
    }

    public init?(wireType: Int) {
        switch wireType {
        case 2: self = .integer
        case 4: self = .ip
        case 5: self = .ipv6
        case 6: self = .string
        case 7: self = .binary
        default: return nil
        }
    }
}

/// Writes the canonical key for a sample into a scratch buffer (no allocation).
public enum StickKeyCanonical {
    /// Bytes of scratch a converted key needs in a table of `type` and `length`.
    public static func scratchSize(_ type: StickKeyType, length: Int) -> Int { type == .binary ? max(64, length) : 64 }

    /// The key of a client address for a table of `type`, written to `out`; its length, or nil.
    public static func client(_ a: ClientAddress, type: StickKeyType, length: Int, into out: UnsafeMutableRawBufferPointer) -> Int? {
        var v6 = (UInt32(0), UInt32(0), UInt32(0), UInt32(0))
        var isV4 = false
        var v4: UInt32 = 0
        switch a {
        case .v4(let x): isV4 = true; v4 = x
        case .v6(let p, let q, let r, let t): v6 = (p, q, r, t)
        case .none: return nil
        }
        // A v4-mapped IPv6 address converts to IPv4 (HAProxy's ipv6→ipv4 conversion).
        if !isV4, v6.0 == 0, v6.1 == 0, v6.2 == 0xffff, type == .ip || type == .integer {
            isV4 = true; v4 = v6.3
        }
        switch type {
        case .ip, .integer:
            guard isV4 else { return nil }
            return put32(v4, out)
        case .ipv6:
            if isV4 { v6 = (0, 0, 0xffff, v4) }
            return put128(v6, out)
        case .binary:
            let n = isV4 ? put32(v4, out) : put128(v6, out)
            return padded(n, length, out)
        case .string:
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 48) { text -> Int? in
                if isV4 {
                    var addr = in_addr(s_addr: v4.bigEndian)
                    guard inet_ntop(AF_INET, &addr, text.baseAddress, 48) != nil else { return nil }
                } else {
                    var addr = in6_addr()
                    withUnsafeMutableBytes(of: &addr) { b in _ = put128(v6, b) }
                    guard inet_ntop(AF_INET6, &addr, text.baseAddress, 48) != nil else { return nil }
                }
                var n = 0
                while n < 48, text[n] != 0, n < min(length, out.count) { out[n] = UInt8(bitPattern: text[n]); n += 1 }
                return n
            }
        }
    }

    /// The key of a string sample (cookie or URL parameter) for a table of `type`: nil means
    /// "use the bytes as they are" (string), else the converted length written to `out`
    /// (0: the conversion failed, no key).
    public static func string(_ s: UnsafeRawBufferPointer, type: StickKeyType, length: Int, into out: UnsafeMutableRawBufferPointer) -> Int? {
        switch type {
        case .string: return nil
        case .binary:
            let n = min(s.count, length, out.count)
            for i in 0..<n { out[i] = s[i] }
            return padded(n, length, out)
        case .integer:
            var v: Int64 = 0
            var i = 0
            var negative = false
            if i < s.count, s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+") { negative = s[i] == UInt8(ascii: "-"); i += 1 }
            guard i < s.count else { return 0 }
            while i < s.count, (48...57).contains(s[i]) { v = v &* 10 &+ Int64(s[i] - 48); i += 1 }
            guard i == s.count else { return 0 }
            return put32(UInt32(truncatingIfNeeded: negative ? -v : v), out)
        case .ip, .ipv6:
            guard s.count < 48 else { return 0 }
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 48) { text -> Int in
                for i in 0..<s.count { text[i] = CChar(bitPattern: s[i]) }
                text[s.count] = 0
                var a4 = in_addr(), a6 = in6_addr()
                if inet_pton(AF_INET, text.baseAddress, &a4) == 1 {
                    let v4 = UInt32(bigEndian: a4.s_addr)
                    return type == .ip ? put32(v4, out) : put128((0, 0, 0xffff, v4), out)
                }
                if type == .ipv6, inet_pton(AF_INET6, text.baseAddress, &a6) == 1 {
                    return withUnsafeBytes(of: &a6) { b in for i in 0..<16 { out[i] = b[i] }; return 16 }
                }
                return 0
            }
        }
    }

    @inline(__always) static func put32(_ v: UInt32, _ out: UnsafeMutableRawBufferPointer) -> Int {
        out.storeBytes(of: v.bigEndian, toByteOffset: 0, as: UInt32.self); return 4
    }

    @inline(__always) static func put128(_ v: (UInt32, UInt32, UInt32, UInt32), _ out: UnsafeMutableRawBufferPointer) -> Int {
        out.storeBytes(of: v.0.bigEndian, toByteOffset: 0, as: UInt32.self)
        out.storeBytes(of: v.1.bigEndian, toByteOffset: 4, as: UInt32.self)
        out.storeBytes(of: v.2.bigEndian, toByteOffset: 8, as: UInt32.self)
        out.storeBytes(of: v.3.bigEndian, toByteOffset: 12, as: UInt32.self)
        return 16
    }

    /// Binary keys are exactly `length` bytes.
    @inline(__always) static func padded(_ n: Int, _ length: Int, _ out: UnsafeMutableRawBufferPointer) -> Int {
        let target = min(length, out.count)
        var i = n
        while i < target { out[i] = 0; i += 1 }
        return max(n, target)
    }
}
