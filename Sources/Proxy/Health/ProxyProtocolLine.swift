import Glibc

/// PROXY protocol v1 header lines (proxy-protocol.txt §2.1), as HAProxy writes them.
enum ProxyProtocolLine {
    /// `PROXY TCP4 SRC DST SPORT DPORT\r\n`, TCP6 when either side is IPv6 (IPv4 then mapped),
    /// `PROXY UNKNOWN\r\n` for other families.
    static func v1(source: sockaddr_storage, destination: sockaddr_storage) -> [UInt8] {
        let sf = Int32(source.ss_family), df = Int32(destination.ss_family)
        guard (sf == AF_INET || sf == AF_INET6), (df == AF_INET || df == AF_INET6) else { return Array("PROXY UNKNOWN\r\n".utf8) }
        let six = sf == AF_INET6 || df == AF_INET6
        let (s, sp) = text(source, asIPv6: six)
        let (d, dp) = text(destination, asIPv6: six)
        return Array("PROXY \(six ? "TCP6" : "TCP4") \(s) \(d) \(sp) \(dp)\r\n".utf8)
    }

    static func text(_ ss: sockaddr_storage, asIPv6: Bool) -> (String, Int) {
        var ss = ss
        var buf = [CChar](repeating: 0, count: 64)
        var port = 0
        withUnsafeMutableBytes(of: &ss) { raw in
            if Int32(raw.load(as: sa_family_t.self)) == AF_INET6 {
                let a = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                port = Int(UInt16(bigEndian: a.pointee.sin6_port))
                _ = withUnsafePointer(to: &a.pointee.sin6_addr) { inet_ntop(AF_INET6, $0, &buf, 64) }
            } else {
                let a = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                port = Int(UInt16(bigEndian: a.pointee.sin_port))
                if asIPv6 {
                    // ::ffff:a.b.c.d
                    var v6 = in6_addr()
                    withUnsafeMutableBytes(of: &v6) { d in
                        d[10] = 0xff; d[11] = 0xff
                        withUnsafeBytes(of: a.pointee.sin_addr) { s in for k in 0..<4 { d[12 + k] = s[k] } }
                    }
                    _ = inet_ntop(AF_INET6, &v6, &buf, 64)
                } else {
                    _ = withUnsafePointer(to: &a.pointee.sin_addr) { inet_ntop(AF_INET, $0, &buf, 64) }
                }
            }
        }
        return (String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port)
    }
}
