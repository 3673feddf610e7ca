// The PROXY protocol's header formats (rp_proxyproto.c): what is accepted, what needs more
// bytes, what is refused (as HAProxy 2.6 reads them), what is built; and the configuration
// keywords that use them (accept-proxy, send-proxy, send-proxy-v2, default-server).
import CUring
import Glibc
import Testing
@testable import Proxy

@Suite struct ProxyProtocolTests {
    struct Parsed: Equatable { var result: Int32; var src: String; var dst: String }

    static func text(_ ss: sockaddr_storage) -> String {
        var ss = ss
        var buf = [CChar](repeating: 0, count: 64)
        return withUnsafeMutableBytes(of: &ss) { raw -> String in
            if Int32(raw.load(as: sa_family_t.self)) == AF_INET6 {
                let a = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                _ = inet_ntop(AF_INET6, &a.pointee.sin6_addr, &buf, 64)
                return "[\(String(cString: buf))]:\(UInt16(bigEndian: a.pointee.sin6_port))"
            }
            if Int32(raw.load(as: sa_family_t.self)) == AF_INET {
                let a = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                _ = inet_ntop(AF_INET, &a.pointee.sin_addr, &buf, 64)
                return "\(String(cString: buf)):\(UInt16(bigEndian: a.pointee.sin_port))"
            }
            return "-"
        }
    }

    static func parse(_ bytes: [UInt8]) -> Parsed {
        var s = sockaddr_storage(), d = sockaddr_storage()
        var has: Int32 = 0
        let r = bytes.withUnsafeBufferPointer { rp_pp_parse($0.baseAddress, UInt32($0.count), &s, &d, &has) }
        return Parsed(result: r, src: r > 0 && has != 0 ? text(s) : "-", dst: r > 0 && has != 0 ? text(d) : "-")
    }
    static func parse(_ s: String) -> Parsed { parse(Array(s.utf8)) }

    static func addr(_ host: String, _ port: UInt16) -> sockaddr_storage {
        var ss = sockaddr_storage()
        withUnsafeMutableBytes(of: &ss) { raw in
            if host.contains(":") {
                let a = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                a.pointee.sin6_family = sa_family_t(AF_INET6); a.pointee.sin6_port = port.bigEndian
                _ = inet_pton(AF_INET6, host, &a.pointee.sin6_addr)
            } else {
                let a = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                a.pointee.sin_family = sa_family_t(AF_INET); a.pointee.sin_port = port.bigEndian
                _ = inet_pton(AF_INET, host, &a.pointee.sin_addr)
            }
        }
        return ss
    }

    static func build(_ version: Int32, _ src: sockaddr_storage, _ dst: sockaddr_storage) -> [UInt8] {
        var s = src, d = dst
        var out = [UInt8](repeating: 0, count: 128)
        let n = out.withUnsafeMutableBufferPointer { rp_pp_build(version, &s, &d, $0.baseAddress) }
        return Array(out.prefix(Int(n)))
    }

    static let sig: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    let invalid = Int32(RP_PP_INVALID), missing = Int32(RP_PP_MISSING)

    @Test func v1Lines() {
        let l4 = "PROXY TCP4 192.0.2.7 198.51.100.1 40000 80\r\n"
        #expect(Self.parse(l4 + "GET /") == Parsed(result: Int32(l4.utf8.count), src: "192.0.2.7:40000", dst: "198.51.100.1:80"))
        let l6 = "PROXY TCP6 2001:db8::1 ::1 1 65535\r\n"
        #expect(Self.parse(l6) == Parsed(result: Int32(l6.utf8.count), src: "[2001:db8::1]:1", dst: "[::1]:65535"))
        // UNKNOWN: the connection keeps its own addresses; the rest of the line is ignored
        #expect(Self.parse("PROXY UNKNOWN\r\n") == Parsed(result: 15, src: "-", dst: "-"))
        #expect(Self.parse("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n").result == 35)
    }

    /// What HAProxy 2.6.12 reads leniently (checked against it): any digits as a port, kept
    /// modulo 2^16 (0 included), and IPv4 groups worth their last three digits.
    @Test func v1LenientAsHAProxy() {
        let l = "PROXY TCP4 1.2.3.400 01.2.3.4 0 99999\r\n"
        #expect(Self.parse(l) == Parsed(result: Int32(l.utf8.count), src: "1.2.4.144:0", dst: "1.2.3.4:34463"))
    }

    @Test func v1NeedsMoreUntilItsEnd() {
        let l = "PROXY TCP4 192.0.2.7 198.51.100.1 40000 80\r\n"
        for n in 1..<l.utf8.count {
            #expect(Self.parse(Array(l.utf8.prefix(n))).result == missing, "\(n) bytes")
        }
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\n\r\n", "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "PROXY TCP4 1.2.3.4x 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
        "PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 " + String(repeating: "x", count: 80) + "\r\n",
    ])
    func v1Refused(_ line: String) {
        #expect(Self.parse(line).result == invalid)
    }

    @Test func v1WithoutCRLFIn107BytesIsRefused() {
        let long = "PROXY UNKNOWN " + String(repeating: "a", count: 92)
        #expect(long.utf8.count == 106)
        #expect(Self.parse(long).result == missing)
        #expect(Self.parse(long + "a").result == invalid)
        #expect(Self.parse(String(long.dropLast()) + "\r\n").result == 107)
    }

    @Test func v2Blocks() {
        let v4 = Self.build(2, Self.addr("203.0.113.9", 5555), Self.addr("198.51.100.1", 80))
        #expect(v4 == Self.sig + [0x21, 0x11, 0, 12, 203, 0, 113, 9, 198, 51, 100, 1, 0x15, 0xb3, 0, 80])
        #expect(Self.parse(v4 + Array("GET".utf8)) == Parsed(result: 28, src: "203.0.113.9:5555", dst: "198.51.100.1:80"))
        let v6 = Self.build(2, Self.addr("2001:db8::9", 1), Self.addr("::1", 2))
        #expect(v6.count == 52 && v6[13] == 0x21)
        #expect(Self.parse(v6) == Parsed(result: 52, src: "[2001:db8::9]:1", dst: "[::1]:2"))
        // LOCAL: the connection's own addresses, whatever follows in the block
        #expect(Self.parse(Self.sig + [0x20, 0x00, 0, 3, 1, 2, 3]) == Parsed(result: 19, src: "-", dst: "-"))
        // PROXY over a family without IP addresses (UNIX): kept, as HAProxy does
        #expect(Self.parse(Self.sig + [0x21, 0x31, 0, 4, 1, 2, 3, 4]) == Parsed(result: 20, src: "-", dst: "-"))
        // TLVs after the addresses: skipped when they fit
        var tlv = v4; tlv[15] = 12 + 7; tlv += [0x04, 0, 4, 9, 9, 9, 9]
        #expect(Self.parse(tlv).result == 35)
        // every prefix needs more bytes
        for n in 1..<v4.count { #expect(Self.parse(Array(v4.prefix(n))).result == missing, "\(n) bytes") }
    }

    @Test func v2Refused() {
        let v4 = Self.build(2, Self.addr("203.0.113.9", 5555), Self.addr("198.51.100.1", 80))
        var bad = v4; bad[12] = 0x11                              // version 1
        #expect(Self.parse(bad).result == invalid)
        bad = v4; bad[12] = 0x22                                  // command 2
        #expect(Self.parse(bad).result == invalid)
        bad = v4; bad[15] = 8; bad.removeLast(4)                  // IPv4 addresses need 12 bytes
        #expect(Self.parse(bad).result == invalid)
        bad = v4; bad[15] = 12 + 3; bad += [0x04, 0, 9]           // a TLV longer than the block
        #expect(Self.parse(bad).result == invalid)
        bad = v4; bad[15] = 12 + 2; bad += [0x04, 0]              // a TLV cut in its header
        #expect(Self.parse(bad).result == invalid)
        bad = v4; bad[5] = 0                                      // signature
        #expect(Self.parse(bad).result == invalid)
    }

    /// PP2_TYPE_CRC32C: checked as HAProxy checks it (CRC-32C of the block, value zeroed).
    @Test func v2Checksum() {
        var b = Self.build(2, Self.addr("203.0.113.9", 5555), Self.addr("198.51.100.1", 80))
        b[15] = 12 + 7
        b += [0x03, 0, 4, 0, 0, 0, 0]
        var crc: UInt32 = 0xffff_ffff
        for byte in b {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0x82f6_3b78 & (0 &- (crc & 1))) }
        }
        crc = ~crc
        b[b.count - 4] = UInt8(crc >> 24); b[b.count - 3] = UInt8((crc >> 16) & 0xff)
        b[b.count - 2] = UInt8((crc >> 8) & 0xff); b[b.count - 1] = UInt8(crc & 0xff)
        #expect(Self.parse(b).result == 35)
        b[b.count - 1] ^= 1
        #expect(Self.parse(b).result == invalid)
    }

    @Test func buildV1() {
        #expect(String(decoding: Self.build(1, Self.addr("192.0.2.7", 40000), Self.addr("198.51.100.1", 80)), as: UTF8.self)
                == "PROXY TCP4 192.0.2.7 198.51.100.1 40000 80\r\n")
        // an IPv4 and an IPv6 address: both as IPv6, the IPv4 one mapped
        #expect(String(decoding: Self.build(1, Self.addr("192.0.2.7", 1), Self.addr("::1", 2)), as: UTF8.self)
                == "PROXY TCP6 ::ffff:192.0.2.7 ::1 1 2\r\n")
        #expect(String(decoding: Self.build(1, sockaddr_storage(), Self.addr("::1", 2)), as: UTF8.self) == "PROXY UNKNOWN\r\n")
        #expect(Self.build(2, sockaddr_storage(), Self.addr("::1", 2)) == Self.sig + [0x20, 0x00, 0, 0])
        // the longest v1 line fits the 107 bytes
        let longest = Self.build(1, Self.addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535),
                                 Self.addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535))
        #expect(longest.count == 104)
        #expect(Self.parse(longest).result == 104)
    }

    @Test func keywords() throws {
        let c = try #require(ConfigTestSupport.parse("""
            defaults
             mode http
             default-server send-proxy-v2
            frontend f
             bind :8080 accept-proxy
             default_backend b
            backend b
             server a 127.0.0.1:80
             server b 127.0.0.1:81 no-send-proxy-v2 send-proxy
             server c 127.0.0.1:82 no-send-proxy-v2
             server d 127.0.0.1:83 send-proxy send-proxy-v2

            """))
        #expect(c.proxies.first { $0.name == "f" }?.binds.first?.options.acceptProxy == true)
        let servers = try #require(c.proxies.first { $0.name == "b" }?.servers)
        #expect(servers.map(\.options.sendProxyVersion) == [2, 1, 0, 2])
        let errors = ConfigTestSupport.errors(ConfigTestSupport.backend(" server s 127.0.0.1:80 send-proxy-v2-ssl proxy-v2-options cert-cn"))
        #expect(errors.count == 2, "\(errors)")
    }

    @Test func proxyV2OptionsParse() throws {
        let c = try ConfigParser.parse(text: ConfigTestSupport.backend(" server s 127.0.0.1:80 send-proxy-v2 proxy-v2-options crc32c,unique-id"), file: "t.cfg")
        let o = try #require(c.proxies.first?.servers.first?.options.proxyV2Options)
        #expect(o.crc32c && o.uniqueID && !o.authority)
        let tls = ConfigTestSupport.errors(ConfigTestSupport.backend(" server s 127.0.0.1:80 send-proxy-v2 proxy-v2-options ssl"))
        #expect(tls.count == 1 && tls[0].description.contains("TLS"), "\(tls)")
        let unknown = ConfigTestSupport.errors(ConfigTestSupport.backend(" server s 127.0.0.1:80 proxy-v2-options crc32c,bogus"))
        #expect(unknown.count == 1 && unknown[0].description.contains("unknown option 'bogus'"), "\(unknown)")
    }

    /// TLVs appended by rp_pp_add_tlvs make a header rp_pp_parse_tlvs accepts (the CRC32C is
    /// right) and whose authority and unique id it finds again.
    @Test func tlvsRoundTrip() {
        var s = sockaddr_storage(), d = sockaddr_storage()
        withUnsafeMutableBytes(of: &s) { $0.baseAddress!.assumingMemoryBound(to: sockaddr_in.self).pointee.sin_family = sa_family_t(AF_INET) }
        withUnsafeMutableBytes(of: &d) { $0.baseAddress!.assumingMemoryBound(to: sockaddr_in.self).pointee.sin_family = sa_family_t(AF_INET) }
        var out = [UInt8](repeating: 0, count: Int(RP_PP_V2_MAX_BUILD) + Int(RP_PP_V2_MAX_TLVS))
        let authority = Array("example.org".utf8), uid = Array("ID-1".utf8)
        let n = out.withUnsafeMutableBufferPointer { o -> UInt32 in
            let base = rp_pp_build(2, &s, &d, o.baseAddress)
            return rp_pp_add_tlvs(o.baseAddress, base, 1, authority, UInt32(authority.count), uid, UInt32(uid.count))
        }
        #expect(n == 28 + 7 + 14 + 7)
        var refs = rp_pp_tlv_refs()
        var src = sockaddr_storage(), dst = sockaddr_storage()
        var has: Int32 = 0
        let r = rp_pp_parse_tlvs(out, n, &src, &dst, &has, &refs)
        #expect(r == Int32(n))
        #expect(Array(out[Int(refs.authority_off)..<Int(refs.authority_off) + Int(refs.authority_len)]) == authority)
        #expect(Array(out[Int(refs.unique_id_off)..<Int(refs.unique_id_off) + Int(refs.unique_id_len)]) == uid)
        out[Int(refs.unique_id_off)] ^= 1                 // a changed byte: the checksum no longer holds
        #expect(rp_pp_parse_tlvs(out, n, &src, &dst, &has, &refs) == Int32(RP_PP_INVALID))
    }
}
