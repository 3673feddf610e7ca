// The PROXY protocol end to end, each case run through ringproxy and, where it is installed,
// through HAProxy 2.6 with the same configuration and traffic: `accept-proxy` (v1 and v2; the
// address it carries is the client's for X-Forwarded-For, `balance source` and the log line;
// a missing or bad header closes the connection without an answer) and `send-proxy` /
// `send-proxy-v2` (the header bytes a server receives, compared byte for byte).
import CBench
import CUring
import CUring
import Foundation
import Glibc
import Testing
import Origins

@Suite(.serialized) struct ProxyProtocolEndToEndTests {
    static var binaries: [String] {
        [ProxyProcess.ringproxyBinary] + (HAProxyProcess.executable.map { [$0] } ?? [])
    }

    static let defaults = """
        defaults
            mode http
            timeout client 5s
            timeout server 5s
            timeout connect 1s
        """

    static func eachProxy<T>(_ config: String, ports: [UInt16], _ body: (String) throws -> T) throws -> [T] {
        var out: [T] = []
        for binary in binaries {
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: ports)
            defer { p.stop() }
            out.append(try body(binary))
        }
        return out
    }

    static let v1Header = "PROXY TCP4 192.0.2.7 198.51.100.1 40000 8080\r\n"

    /// A v2 header for src -> dst, built by the engine's own builder.
    static func v2Header(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16) -> [UInt8] {
        var s = sockaddr_storage(), d = sockaddr_storage()
        func fill(_ ss: inout sockaddr_storage, _ host: String, _ port: UInt16) {
            withUnsafeMutableBytes(of: &ss) { raw in
                let a = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                a.pointee.sin_family = sa_family_t(AF_INET)
                a.pointee.sin_port = port.bigEndian
                _ = inet_pton(AF_INET, host, &a.pointee.sin_addr)
            }
        }
        fill(&s, src, sport); fill(&d, dst, dport)
        var out = [UInt8](repeating: 0, count: 128)
        let n = out.withUnsafeMutableBufferPointer { rp_pp_build(2, &s, &d, $0.baseAddress) }
        return Array(out.prefix(Int(n)))
    }

    static func forwardedFor(_ origin: RecordingOrigin) -> String {
        let got = origin.wait { $0.contains { StrictFraming.headEnd($0) != nil } }
        guard let raw = got.first(where: { StrictFraming.headEnd($0) != nil }), let end = StrictFraming.headEnd(raw) else { return "no request" }
        return StrictFraming.headers(Array(raw[..<end])).first { $0.name == "x-forwarded-for" }?.value ?? "none"
    }

    static func acceptConfig(_ port: UInt16, _ origin: UInt16) -> String {
        defaults + """

            frontend f
                bind 127.0.0.1:\(port) accept-proxy
                option forwardfor
                default_backend b
            backend b
                server s 127.0.0.1:\(origin)

            """
    }

    @Test func acceptProxyV1GivesTheClientAddress() throws {
        let port = freePort()
        for binary in Self.binaries {
            let origin = try RecordingOrigin()
            defer { origin.stop() }
            let p = try ProxyProcess(config: Self.acceptConfig(port, origin.port), binary: binary, waitForPorts: [port])
            defer { p.stop() }
            let c = try RawHTTP(port: port)
            try c.send(Self.v1Header + "GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try c.readResponse()
            #expect(r.status == 200, "\(binary)")
            #expect(Self.forwardedFor(origin) == "192.0.2.7", "\(binary)")
        }
    }

    @Test func acceptProxyV2GivesTheClientAddress() throws {
        let port = freePort()
        for binary in Self.binaries {
            let origin = try RecordingOrigin()
            defer { origin.stop() }
            let p = try ProxyProcess(config: Self.acceptConfig(port, origin.port), binary: binary, waitForPorts: [port])
            defer { p.stop() }
            let c = try RawHTTP(port: port)
            // the header and the request in two sends: the header may arrive on its own
            try c.send(Self.v2Header("203.0.113.9", 5555, "198.51.100.1", 80))
            usleep(20_000)
            try c.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try c.readResponse()
            #expect(r.status == 200, "\(binary)")
            #expect(Self.forwardedFor(origin) == "203.0.113.9", "\(binary)")
        }
    }

    /// What the client gets for a header that is missing, malformed, or cut short: HAProxy
    /// closes without a byte; so must ringproxy. The origin must see nothing.
    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 40000 -1\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "PROXY TCP5 192.0.2.7 198.51.100.1 1 2\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "PROXY TCP4 192.0.2.7\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "\r\n\r\n\0\r\nQUIT\n\u{31}\u{11}\0\u{0c}",
        "PROXY TCP4 192.0.2.7 198.51.100.1 40000",
    ])
    func badOrMissingHeaderClosesSilently(_ input: String) throws {
        let port = freePort()
        let origin = try RecordingOrigin()
        defer { origin.stop() }
        let seen = try Self.eachProxy(Self.acceptConfig(port, origin.port), ports: [port]) { binary -> String in
            let c = try RawHTTP(port: port)
            try c.send(input)
            // a cut-short header: the client leaves (half-close); the others must be closed
            // by the proxy on its own
            if !input.hasSuffix("\r\n") && !input.hasSuffix("\u{0c}") { shutdown(c.fd, Int32(SHUT_WR)) }
            let bytes = try c.readAllUntilClose(timeout: .seconds(5))
            return "\(bytes.count) bytes"
        }
        #expect(seen.allSatisfy { $0 == "0 bytes" }, "\(seen)")
        #expect(origin.connections.isEmpty)
    }

    /// `balance source` hashes the address the header carries: the same servers as HAProxy.
    @Test func balanceSourceUsesTheHeaderAddress() throws {
        let apps = try (0..<3).map { try AppServer(name: "S\($0)", port: 0) }
        defer { apps.forEach { $0.stop() } }
        let port = freePort()
        let config = Self.defaults + """

            frontend f
                bind 127.0.0.1:\(port) accept-proxy
                default_backend b
            backend b
                balance source
            \(apps.enumerated().map { "    server s\($0.offset) 127.0.0.1:\($0.element.port)" }.joined(separator: "\n"))

            """
        let seen = try Self.eachProxy(config, ports: [port]) { _ -> [String] in
            try (1...12).map { i in
                let c = try RawHTTP(port: port)
                try c.send("PROXY TCP4 10.0.\(i).\(i * 7) 198.51.100.1 \(1000 + i) 80\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
                return try c.readResponse().header("X-Server") ?? "-"
            }
        }
        #expect(Set(seen[0]).count > 1, "every source went to one server: \(seen[0])")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    /// The log line's %ci:%cp is the address from the header.
    @Test func logLineHasTheHeaderAddress() throws {
        let syslog = try SyslogCollector()
        defer { syslog.stop() }
        let app = try AppServer(name: "A", port: 0)
        defer { app.stop() }
        let port = freePort()
        let config = """
            global
                log 127.0.0.1:\(syslog.port) local0
            """ + "\n" + Self.defaults + """

                log global
            frontend f
                bind 127.0.0.1:\(port) accept-proxy
                log-format "%ci:%cp %HM %HU %ST"
                default_backend b
            backend b
                server s 127.0.0.1:\(app.port)

            """
        let seen = try Self.eachProxy(config, ports: [port]) { _ -> String in
            syslog.clear()
            let c = try RawHTTP(port: port)
            try c.send(Self.v1Header + "GET /logged HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try c.readResponse()
            let m = syslog.waitForMessages(count: 1)
            guard let line = m.first, let r = line.range(of: "]: ") else { return "no log line: \(m)" }
            return String(line[r.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(seen.allSatisfy { $0 == "192.0.2.7:40000 GET /logged 200" }, "\(seen)")
    }

    static func sendConfig(_ port: UInt16, _ origin: UInt16, _ option: String, accept: Bool = true) -> String {
        defaults + """

            frontend f
                bind 127.0.0.1:\(port)\(accept ? " accept-proxy" : "")
                default_backend b
            backend b
                \(option.hasPrefix("default-server") ? option : "")
                server s 127.0.0.1:\(origin) \(option.hasPrefix("default-server") ? "" : option)

            """
    }

    /// The header a server receives, byte for byte as HAProxy sends it.
    @Test(arguments: ["send-proxy", "send-proxy-v2", "default-server send-proxy-v2", "send-proxy send-proxy-v2"])
    func sendProxyHeaderBytes(_ option: String) throws {
        let port = freePort()
        let origin = try ProxyHeaderOrigin()
        defer { origin.stop() }
        let seen = try Self.eachProxy(Self.sendConfig(port, origin.port, option), ports: [port]) { _ -> [UInt8] in
            origin.reset()
            let c = try RawHTTP(port: port)
            try c.send(Self.v1Header + "GET /p HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try c.readResponse()
            #expect(r.status == 200)
            let conns = origin.wait { $0.first?.requests == 1 }
            return conns.first?.header ?? []
        }
        let v2 = option.contains("v2")
        let want: [UInt8] = v2 ? Self.v2Header("192.0.2.7", 40000, "198.51.100.1", 8080) : Array(Self.v1Header.utf8)
        #expect(seen[0] == want, "ringproxy sent \(seen[0])")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    /// Without accept-proxy the header carries the real connection: client and listener.
    @Test func sendProxyWithoutAcceptProxy() throws {
        let port = freePort()
        let origin = try ProxyHeaderOrigin()
        defer { origin.stop() }
        let p = try ProxyProcess(config: Self.sendConfig(port, origin.port, "send-proxy", accept: false), waitForPorts: [port])
        defer { p.stop() }
        let c = try RawHTTP(port: port)
        try c.send("GET /q HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().status == 200)
        try c.send("GET /r HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().status == 200)
        let conns = origin.wait { $0.reduce(0) { $0 + $1.requests } == 2 }
        let want = "PROXY TCP4 127.0.0.1 127.0.0.1 \(c.localPort) \(port)\r\n"
        #expect(conns.count == 2, "a connection with a PROXY header serves one client's request only")
        #expect(conns.allSatisfy { String(decoding: $0.header ?? [], as: UTF8.self) == want }, "\(conns.map { String(decoding: $0.header ?? [], as: UTF8.self) })")
    }

    /// A v2 header with TLVs appended (type, value) and its length field updated.
    static func v2HeaderWithTLVs(_ tlvs: [(UInt8, String)]) -> [UInt8] {
        var h = v2Header("192.0.2.7", 40000, "198.51.100.1", 8080)
        for (t, v) in tlvs {
            let b = Array(v.utf8)
            h += [t, UInt8(b.count >> 8), UInt8(b.count & 0xff)] + b
        }
        let n = h.count - 16
        h[14] = UInt8(n >> 8); h[15] = UInt8(n & 0xff)
        return h
    }

    /// fc_pp_authority and fc_pp_unique_id read the TLVs of the client's v2 header.
    @Test func receivedTLVFetches() throws {
        let port = freePort()
        let config = Self.defaults + """

            frontend f
                bind 127.0.0.1:\(port) accept-proxy
                http-request return status 200 content-type text/plain lf-string "a=%[fc_pp_authority] u=%[fc_pp_unique_id] h=%[fc_pp_authority,hex]"

            """
        let seen = try Self.eachProxy(config, ports: [port]) { _ -> [String] in
            try [Self.v2HeaderWithTLVs([(0x02, "example.org"), (0x05, "ID-42")]), Self.v2HeaderWithTLVs([]),
                 Array(Self.v1Header.utf8)].map { header in
                let c = try RawHTTP(port: port)
                try c.send(header + Array("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
                let raw = String(decoding: try c.readAllUntilClose(), as: UTF8.self)
                return raw.components(separatedBy: "\r\n\r\n").last ?? raw
            }
        }
        #expect(seen[0] == ["a=example.org u=ID-42 h=6578616D706C652E6F7267", "a= u= h=", "a= u= h="], "ringproxy: \(seen[0])")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    /// proxy-v2-options crc32c, authority (the client's own header's), unique-id (the
    /// frontend's unique-id-format): the header a server receives, byte for byte as HAProxy's.
    @Test(arguments: ["crc32c,authority,unique-id", "unique-id", "authority", "crc32c"])
    func sendProxyV2Options(_ options: String) throws {
        let port = freePort()
        let origin = try ProxyHeaderOrigin()
        defer { origin.stop() }
        let config = Self.defaults + """

            frontend f
                bind 127.0.0.1:\(port) accept-proxy
                unique-id-format TEST-%[req.hdr(in)]
                default_backend b
            backend b
                server s 127.0.0.1:\(origin.port) send-proxy-v2 proxy-v2-options \(options)

            """
        let seen = try Self.eachProxy(config, ports: [port]) { _ -> [UInt8] in
            origin.reset()
            let c = try RawHTTP(port: port)
            try c.send(Self.v2HeaderWithTLVs([(0x02, "example.org")]) + Array("GET /p HTTP/1.1\r\nHost: x\r\nin: foo\r\n\r\n".utf8))
            #expect(try c.readResponse().status == 200)
            return origin.wait { $0.first?.requests == 1 }.first?.header ?? []
        }
        // what the options ask for is in the header (and HAProxy sends the same bytes)
        let text = String(decoding: seen[0], as: UTF8.self)
        #expect(text.contains("example.org") == options.contains("authority"), "\(seen[0])")
        #expect(text.contains("TEST-foo") == options.contains("unique-id"), "\(seen[0])")
        #expect(seen[0].count == 16 + Int(seen[0][14]) << 8 + Int(seen[0][15]))
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }
}
