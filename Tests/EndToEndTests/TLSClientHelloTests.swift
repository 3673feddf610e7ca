import CBench
import CUring
import Testing
@testable import Proxy

/// A ClientHello as a TLS client writes it (one record), with the extensions a test asks for.
func tlsClientHello(sni: String? = nil, alpn: [String] = [], groups: Bool = true, ticket: [UInt8]? = nil,
                    recordVersion: UInt16 = 0x0301, clientVersion: UInt16 = 0x0303) -> [UInt8] {
    func u16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
    func ext(_ type: Int, _ data: [UInt8]) -> [UInt8] { u16(type) + u16(data.count) + data }
    var exts: [UInt8] = []
    if let sni {
        let name = Array(sni.utf8)
        let entry = [0] + u16(name.count) + name
        exts += ext(0, u16(entry.count) + entry)
    }
    if groups { exts += ext(10, u16(2) + [0x00, 0x1d]) }
    if let ticket { exts += ext(35, ticket) }
    if !alpn.isEmpty {
        let list = alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        exts += ext(16, u16(list.count) + list)
    }
    var body = u16(Int(clientVersion)) + [UInt8](repeating: 7, count: 32)
    body += [0]                                   // no session id
    body += u16(2) + [0x13, 0x01]                 // one cipher suite
    body += [1, 0]                                // null compression
    body += u16(exts.count) + exts
    let handshake = [1, UInt8(body.count >> 16), UInt8(body.count >> 8 & 0xff), UInt8(body.count & 0xff)] + body
    return [22] + u16(Int(recordVersion)) + u16(handshake.count) + handshake
}

@Suite struct TLSClientHelloTests {
    func with<T>(_ b: [UInt8], _ body: (UnsafeRawBufferPointer) -> T) -> T { b.withUnsafeBytes(body) }
    func text(_ b: [UInt8], _ r: TLSSample<Range<Int>>) -> String? {
        if case .value(let range) = r { return String(decoding: b[range], as: UTF8.self) }
        return nil
    }

    @Test func readsTheServerNameALPNAndExtensions() {
        let hello = tlsClientHello(sni: "www.example.com", alpn: ["h2", "http/1.1"], ticket: [])
        #expect(text(hello, with(hello) { TLSClientHello.serverName($0) }) == "www.example.com")
        #expect(text(hello, with(hello) { TLSClientHello.firstALPN($0) }) == "h2")
        guard case .value(1) = with(hello, { TLSClientHello.helloType($0) }) else { Issue.record("hello type"); return }
        guard case .value(0x0003_0003) = with(hello, { TLSClientHello.version($0) }) else { Issue.record("version"); return }
        guard case .value(true) = with(hello, { TLSClientHello.hasSupportedGroups($0) }) else { Issue.record("groups"); return }
        guard case .value(1) = with(hello, { TLSClientHello.sessionTicket($0) }) else { Issue.record("empty ticket"); return }
        let resumed = tlsClientHello(groups: false, ticket: [1, 2, 3])
        guard case .value(2) = with(resumed, { TLSClientHello.sessionTicket($0) }) else { Issue.record("ticket"); return }
        guard case .value(false) = with(resumed, { TLSClientHello.hasSupportedGroups($0) }) else { Issue.record("no groups"); return }
        guard case .absent = with(resumed, { TLSClientHello.serverName($0) }) else { Issue.record("no sni"); return }
    }

    @Test func everyPrefixOfAHelloMayStillChange() {
        let hello = tlsClientHello(sni: "a.test")
        for n in 0..<hello.count {
            let part = Array(hello[0..<n])
            guard case .incomplete = with(part, { TLSClientHello.serverName($0) }) else {
                Issue.record("prefix of \(n) bytes answered"); return
            }
            guard case .incomplete = with(part, { TLSClientHello.helloType($0) }) else {
                Issue.record("prefix of \(n) bytes typed"); return
            }
        }
    }

    @Test func otherBytesAreNotAHello() {
        for other in [Array("GET / HTTP/1.1\r\n\r\n".utf8), [0x16, 0x02, 0x00, 0x00, 0x05, 1, 0, 0, 1, 0]] {
            guard case .absent = with(other, { TLSClientHello.serverName($0) }) else { Issue.record("\(other)"); return }
            guard case .absent = with(other, { TLSClientHello.helloType($0) }) else { Issue.record("\(other)"); return }
        }
        // A length that runs past its extension block is refused, not read beyond.
        var broken = tlsClientHello(sni: "a.test")
        broken[54] = 0xff                             // the server_name extension's length
        guard case .absent = with(broken, { TLSClientHello.serverName($0) }) else { Issue.record("broken"); return }
    }

    @Test func sslVerPatternsAreDottedVersions() throws {
        #expect(AclParser.dottedVersionRange("3.1") == "196609")
        #expect(AclParser.dottedVersionRange("3.0:3.3") == "196608:196611")
        #expect(AclParser.dottedVersionRange(":3.2") == ":196610")
        #expect(AclParser.dottedVersionRange("x") == nil)
        let cfg = "defaults\n mode tcp\nfrontend f\n bind :8443\n tcp-request inspect-delay 1s\n"
            + " tcp-request content reject if { req.ssl_ver lt 3.1 }\n tcp-request content accept if { req_ssl_hello_type 1 }\n"
            + " use_backend b if { req.ssl_sni -i a.test }\n default_backend b\nbackend b\n server s 127.0.0.1:443\n"
        func errors(_ text: String) -> [String] {
            do { _ = try ConfigParser.parse(text: text, file: "t.cfg"); return [] } catch { return error.errors.map(\.description) }
        }
        #expect(errors(cfg) == [])
        #expect(errors(cfg.replacingOccurrences(of: "lt 3.1", with: "3.x")).count == 1)
        // In a response rule the request buffer is gone: HAProxy's words.
        let bad = "defaults\n mode http\nbackend b\n http-response set-header X %[req.ssl_sni]\n server s 127.0.0.1:80\n"
        #expect(errors(bad).first?.contains("needs 'request buffer'") == true, "\(errors(bad))")
    }
}
