// The client's address as the balancers and ACLs need it: no sockaddr, no String.

public enum ClientAddress: Equatable, Sendable {
    /// IPv4 address in host order (127.0.0.1 == 0x7F000001).
    case v4(UInt32)
    /// IPv6 address as four 32-bit words, each in host order of its big-endian bytes.
    case v6(UInt32, UInt32, UInt32, UInt32)
    /// Not an IP client (UNIX socket): hash-based balancers fall back to round robin.
    case none

    /// HAProxy's source-hash key: the IPv4 address as an integer; IPv6: XOR of its 4 words.
    @inline(__always) public var hashKey: UInt32? {
        switch self {
        case .v4(let a): return a
        case .v6(let a, let b, let c, let d): return a ^ b ^ c ^ d
        case .none: return nil
        }
    }

    /// Parses dotted-quad IPv4 or textual IPv6 (configuration and tests; not the hot path).
    public init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = .v4(UInt32(bigEndian: v4.s_addr))
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            var w: [UInt32] = [0, 0, 0, 0]
            withUnsafeBytes(of: &v6) { raw in
                for i in 0..<16 { w[i / 4] = (w[i / 4] << 8) | UInt32(raw[i]) }
            }
            self = .v6(w[0], w[1], w[2], w[3])
        } else {
            return nil
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
