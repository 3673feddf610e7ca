// Client addresses as text, written straight into a HeadRewrite's scratch (no String).
// IPv6 goes through inet_ntop, which is what HAProxy uses, so the text is the same
// (RFC 5952 compression, `::ffff:1.2.3.4` for IPv4-mapped addresses).

#if canImport(Glibc)
import Glibc
#endif

extension HeadRewrite {
    /// An IPv4 address in host byte order (0x7F000001 is 127.0.0.1), dotted quad.
    public func put(ipv4 a: UInt32) {
        put(decimal: Int(a >> 24)); put(byte: 46)
        put(decimal: Int((a >> 16) & 0xFF)); put(byte: 46)
        put(decimal: Int((a >> 8) & 0xFF)); put(byte: 46)
        put(decimal: Int(a & 0xFF))
    }

    /// An IPv6 address (16 bytes, network order) in RFC 5952 text.
    public func put(ipv6 address: UnsafeRawPointer) {
        var text: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &text) { buf in
            let out = buf.baseAddress!.assumingMemoryBound(to: CChar.self)
            // 64 bytes always fit INET6_ADDRSTRLEN (46): inet_ntop cannot fail here.
            guard inet_ntop(AF_INET6, address, out, socklen_t(buf.count)) != nil else { return }
            put(UnsafeRawBufferPointer(start: buf.baseAddress, count: strlen(out)))
        }
    }

    /// The address of a `sockaddr_in` or `sockaddr_in6` (as returned by accept); writes
    /// nothing and returns false for other families.
    @discardableResult
    public func put(socketAddress sa: UnsafeRawPointer) -> Bool {
        switch Int32(sa.load(as: sockaddr.self).sa_family) {
        case AF_INET:
            let sin = sa.load(as: sockaddr_in.self)
            put(ipv4: UInt32(bigEndian: sin.sin_addr.s_addr))
            return true
        case AF_INET6:
            put(ipv6: sa + MemoryLayout<sockaddr_in6>.offset(of: \sockaddr_in6.sin6_addr)!)
            return true
        default:
            return false
        }
    }
}
