// The cookie of an RDP Connection Request (X.224 CR in a TPKT): after the 11 bytes of the two
// headers, "Cookie: NAME=VALUE\r\n". Read as HAProxy 2.6 reads it (fetch_rdp_cookie_name):
// "Cookie:" case-insensitively, spaces skipped, the name compared case-insensitively (any name
// when none is asked for), the value up to the CR, which must be followed by LF. Bytes that
// end before an answer is certain make the answer `.incomplete`: more may come.

public enum RDPCookieResult: Equatable, Sendable {
    /// The value's range in the buffer (may be empty).
    case value(Range<Int>)
    case absent
    case incomplete
}

public enum RDPCookie {
    static let headerLength = 11
    static let prefix = Array("cookie:".utf8)

    /// The value of the cookie `name` (nil or empty: whatever name comes first) in `b`.
    public static func find(_ b: UnsafeRawBufferPointer, name: [UInt8]?) -> RDPCookieResult {
        var p = headerLength
        guard b.count > p + prefix.count else { return .incomplete }
        for i in 0..<prefix.count where lower(b[p + i]) != prefix[i] { return .absent }
        p += prefix.count
        while p < b.count && b[p] == UInt8(ascii: " ") { p += 1 }
        if let name, !name.isEmpty {
            guard b.count - p > name.count else { return .incomplete }
            guard b[p + name.count] == UInt8(ascii: "=") else { return .absent }
            for i in 0..<name.count where lower(b[p + i]) != lower(name[i]) { return .absent }
            p += name.count + 1
        } else {
            while p < b.count && b[p] != UInt8(ascii: "=") {
                if b[p] == UInt8(ascii: "\r") || b[p] == UInt8(ascii: "\n") { return .absent }
                p += 1
            }
            guard p < b.count else { return .incomplete }
            p += 1
        }
        let start = p
        while p < b.count && b[p] != UInt8(ascii: "\r") { p += 1 }
        guard b.count - p >= 2 else { return .incomplete }
        guard b[p + 1] == UInt8(ascii: "\n") else { return .absent }
        return .value(start..<p)
    }

    @inline(__always) static func lower(_ c: UInt8) -> UInt8 {
        c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c
    }

    /// A `persist rdp-cookie` value "ADDR.PORT.…": ADDR is the IPv4 address's four bytes in
    /// network order read as a little-endian 32-bit integer, PORT the port's two bytes in
    /// network order read as a little-endian 16-bit integer, both in decimal (Microsoft's
    /// "msts" format, as HAProxy's tcp_persist_rdp_cookie compares them; 192.168.1.10:3389
    /// is "167880896.15629.0000"). Returns the address as a.b.c.d bytes and the port; nil
    /// when the value does not have that shape. As HAProxy (strtoul into 32- and 16-bit integers),
    /// leading spaces and a '+' are accepted, and larger numbers are cut to their low bits.
    public static func persistedServer(_ v: UnsafeRawBufferPointer) -> (address: [UInt8], port: Int)? {
        var p = 0
        guard let addr = decimal(v, &p), p < v.count, v[p] == UInt8(ascii: ".") else { return nil }
        p += 1
        guard let port = decimal(v, &p), p < v.count, v[p] == UInt8(ascii: ".") else { return nil }
        let a = UInt32(truncatingIfNeeded: addr), n = UInt16(truncatingIfNeeded: port)
        return ([UInt8(a & 0xff), UInt8(a >> 8 & 0xff), UInt8(a >> 16 & 0xff), UInt8(a >> 24)],
                Int(n.byteSwapped))
    }

    /// strtoul(…, 10) without its error: nil when no digit (p is left where strtoul leaves it).
    static func decimal(_ v: UnsafeRawBufferPointer, _ p: inout Int) -> UInt64? {
        var i = p
        while i < v.count && (v[i] == 0x20 || (v[i] >= 9 && v[i] <= 13)) { i += 1 }
        if i < v.count && v[i] == UInt8(ascii: "+") { i += 1 }
        var n: UInt64 = 0, digits = 0
        while i < v.count, v[i] >= UInt8(ascii: "0"), v[i] <= UInt8(ascii: "9") {
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(v[i] - UInt8(ascii: "0")))
            n = o1 || o2 ? UInt64.max : s               // strtoul saturates at ULONG_MAX
            digits += 1; i += 1
        }
        guard digits > 0 else { return nil }        // strtoul leaves p at the start: not a '.'
        p = i
        return n
    }
}
