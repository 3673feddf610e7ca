import Testing
@testable import Proxy

/// The RDP Connection Request cookie (RDPCookie.swift), `balance rdp-cookie`,
/// `persist rdp-cookie` and their configuration.
@Suite struct RDPCookieTests {
    /// TPKT (4 bytes) + X.224 Connection Request (7 bytes) + the cookie line + `rest`.
    static func request(_ cookieLine: String, rest: [UInt8] = [1, 0, 8, 0, 3, 0, 0, 0]) -> [UInt8] {
        let body = Array(cookieLine.utf8) + rest
        let total = 11 + body.count
        return [3, 0, UInt8(total >> 8), UInt8(total & 0xff), UInt8(total - 5), 0xe0, 0, 0, 0, 0, 0] + body
    }

    func find(_ b: [UInt8], _ name: String?) -> String? {
        b.withUnsafeBytes { p in
            switch RDPCookie.find(p, name: name.map { Array($0.utf8) }) {
            case .value(let r): return String(decoding: p[r], as: UTF8.self)
            case .absent: return "<absent>"
            case .incomplete: return "<incomplete>"
            }
        }
    }

    @Test func valueOfTheNamedCookie() {
        let r = Self.request("Cookie: mstshash=alice\r\n")
        #expect(find(r, "mstshash") == "alice")
        #expect(find(r, "MSTSHASH") == "alice")                  // names compare case-insensitively
        #expect(find(r, nil) == "alice")                          // no name: the first cookie
        #expect(find(Self.request("cOOKIE:   msts=3640205228.15629.0000\r\n"), "msts") == "3640205228.15629.0000")
        #expect(find(Self.request("Cookie: mstshash=\r\n"), "mstshash") == "")
    }

    @Test func absentWhenNotACookieOrAnotherName() {
        #expect(find(Self.request("Cookie: msts=1.2.0000\r\n"), "mstshash") == "<absent>")
        #expect(find(Self.request("Cookie: mstshash=bob\r\n"), "msts") == "<absent>")   // a prefix of the name is not it
        #expect(find(Self.request("Hello!: mstshash=bob\r\n"), "mstshash") == "<absent>")
        #expect(find(Self.request("Cookie: mstshash=bob\rX"), "mstshash") == "<absent>")  // CR without LF
        #expect(find(Self.request("Cookie: nameonly\r\n"), nil) == "<absent>")
    }

    @Test func incompleteUntilTheLineEnds() {
        let full = Self.request("Cookie: mstshash=alice\r\n", rest: [])
        for n in [0, 5, 11, 18, 20, 27, full.count - 1] {
            #expect(find(Array(full[0..<n]), "mstshash") == "<incomplete>", "\(n) bytes")
        }
        #expect(find(full, "mstshash") == "alice")
    }

    @Test func persistedServerFormat() {
        func decode(_ s: String) -> ([UInt8], Int)? {
            Array(s.utf8).withUnsafeBytes { RDPCookie.persistedServer($0).map { ($0.address, $0.port) } }
        }
        // 192.168.1.10:3389 — bytes c0 a8 01 0a read little-endian; port 0x0d3d byte-swapped
        let a = decode("167880896.15629.0000")
        #expect(a?.0 == [192, 168, 1, 10] && a?.1 == 3389)
        let b = decode("16777343.36895.0000")                          // 127.0.0.1:8080
        #expect(b?.0 == [127, 0, 0, 1] && b?.1 == 8080)
        #expect(decode("16777343.36895") == nil)                       // no "." after the port
        #expect(decode("16777343,36895.0000") == nil)
        #expect(decode("x.36895.0000") == nil)
        // strtoul then a 32-bit store: 99999999999 mod 2^32 = 1215752191 = 0x4876e7ff
        #expect(decode("99999999999.36895.0000")?.0 == [0xff, 0xe7, 0x76, 0x48])
    }

    @Test func balancerHashesTheCookieAndFallsBackToRoundRobin() {
        let b = RDPCookieBalancer(servers: [1, 1, 1].map { BalancedServer(weight: $0) }, hashType: .mapBased, cookie: "mstshash")
        let up = FixedServerStates(allUp: 3)
        let head = noRequest.head
        func pick(_ bytes: [UInt8]) -> Int? {
            bytes.withUnsafeBytes { p in
                head.bufferedBody = p
                defer { head.bufferedBody = UnsafeRawBufferPointer(start: nil, count: 0) }
                return b.pick(request: head, client: .none, states: up, avoid: nil)
            }
        }
        for user in ["alice", "bob", "carol", "dave"] {
            let bytes = Self.request("Cookie: mstshash=\(user)\r\n")
            let expected = Array(user.utf8).withUnsafeBytes { Int(BalanceHash.sdbm($0) % 3) }
            #expect((0..<4).map { _ in pick(bytes) } == Array(repeating: expected, count: 4), "\(user)")
        }
        let none = Self.request("Cookie: msts=1.2.0000\r\n")           // another cookie: round robin
        let rr = (0..<3).map { _ in pick(none) }
        #expect(Set(rr.compactMap { $0 }) == [0, 1, 2])
    }

    @Test func persistenceFindsTheServerByAddressAndPort() {
        let servers = [ServerConfig(name: "a", host: "127.0.0.1", port: 8080, location: SourceLocation(file: "t", line: 1)), ServerConfig(name: "b", host: "127.0.0.2", port: 8080, location: SourceLocation(file: "t", line: 1)),
                       ServerConfig(name: "c", host: "127.0.0.2", port: 8081, location: SourceLocation(file: "t", line: 1))]
        let p = RDPCookiePersistence(cookie: "msts", servers: servers, persist: false)
        // 127.0.0.2 → 02 00 00 7f little-endian = 0x0200007f = 33554559; 8081 = 0x1f91 → 0x911f = 37151
        let bytes = Self.request("Cookie: msts=33554559.37151.0000\r\n")
        let pick = { (states: FixedServerStates) in bytes.withUnsafeBytes { p.server(in: $0, states: states) } }
        #expect(pick(FixedServerStates(allUp: 3)) == 2)
        #expect(pick(FixedServerStates([true, true, false])) == nil)   // down: the balancer decides
        let persist = RDPCookiePersistence(cookie: "msts", servers: servers, persist: true)
        #expect(bytes.withUnsafeBytes { persist.server(in: $0, states: FixedServerStates([true, true, false])) } == 2)
        let other = Self.request("Cookie: mstshash=33554559.37151.0000\r\n")
        #expect(other.withUnsafeBytes { p.server(in: $0, states: FixedServerStates(allUp: 3)) } == nil)
    }

    @Test func configuration() throws {
        let tcp = { (body: String) in "defaults\n mode tcp\nbackend b\n" + body + "\n server s 127.0.0.1:80\n" }
        let c = try #require(ConfigTestSupport.parse(tcp(" balance rdp-cookie\n persist rdp-cookie")))
        let p = try #require(c.proxy(named: "b"))
        #expect(p.balance == .rdpCookie("mstshash") && p.rdpPersistCookie == "msts")
        let named = try #require(ConfigTestSupport.parse(tcp(" balance rdp-cookie(user)\n persist rdp-cookie(srv)")))
        #expect(named.proxy(named: "b")?.balance == .rdpCookie("user") && named.proxy(named: "b")?.rdpPersistCookie == "srv")
        #expect(ConfigTestSupport.errors(tcp(" balance rdp-cookie()")).first?.message.contains("missing cookie name") == true)
        #expect(ConfigTestSupport.errors(tcp(" balance rdp-cookiex")).first?.message.contains("missing cookie name") == true)
        #expect(ConfigTestSupport.errors(tcp(" persist cookie")).first?.message.contains("only supports 'rdp-cookie'") == true)
        #expect(ConfigTestSupport.errors(tcp(" persist rdp-cookie(")).first?.message.contains("requires an rdp cookie name") == true)
        #expect(ConfigTestSupport.errors(tcp(" persist")).first?.message.contains("missing persist method") == true)
    }

    @Test func fetchesAndThePredefinedACLParse() throws {
        let cfg = """
            defaults
             mode tcp
            frontend f
             bind 127.0.0.1:3389
             tcp-request inspect-delay 5s
             tcp-request content accept if RDP_COOKIE
             tcp-request content reject if { req.rdp_cookie_cnt(mstshash) eq 0 } || { rdp_cookie_cnt gt 1 }
             tcp-request content set-var(sess.u) req.rdp_cookie(mstshash)
             use_backend b if { rdp_cookie(mstshash) -m beg a }
             default_backend b
            backend b
             balance rdp-cookie
             server s 127.0.0.1:80
            """
        _ = try #require(ConfigTestSupport.parse(cfg))
    }
}
