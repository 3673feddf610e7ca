// tcp-request rules and use_backend in mode tcp, end to end, each case run through ringproxy
// and (where installed) HAProxy 2.6 with the same configuration and traffic: connection rules
// close a client before any byte, content rules wait (within inspect-delay) for the HTTP head
// their fetches read, use_backend picks a backend on layer-4 and on inspected fetches, and in
// mode http the content rules run before the http-request rules.
import Foundation
import Glibc
import Testing

@Suite(.serialized) struct TCPRulesEndToEndTests {
    static let defaults = """
        defaults
            mode tcp
            timeout client 5s
            timeout server 5s
            timeout connect 1s
        """

    /// An origin that reads a request head, then answers its name and closes.
    static func named(_ name: String) throws -> ScriptedTCPOrigin {
        try ScriptedTCPOrigin { peer, _ in
            _ = peer.readHead(timeout: .seconds(5))
            peer.write(name)
        }
    }

    /// Sends `pieces` (pausing between them, as a slow client would), reads to the end.
    static func exchange(_ port: UInt16, _ pieces: [String], source: String? = nil) throws -> String {
        let c = try RawHTTP(port: port, source: source)
        for (i, p) in pieces.enumerated() {
            if i > 0 { usleep(60_000) }
            try c.send(p)
        }
        return String(decoding: TCPModeEndToEndTests.readAll(c.fd), as: UTF8.self)
    }

    @Test func contentRulesWaitForTheHeadAndUseBackendRoutes() throws {
        let one = try Self.named("ONE"), two = try Self.named("TWO"), three = try Self.named("THREE")
        defer { one.stop(); two.stop(); three.stop() }
        let port = freePort()
        let config = Self.defaults + """

            frontend f
                bind 127.0.0.1:\(port)
                tcp-request inspect-delay 3s
                tcp-request content reject if { path_beg /deny }
                use_backend three if { src 127.0.0.2 }
                use_backend two if { path_beg /two }
                default_backend one
            backend one
                server s 127.0.0.1:\(one.port)
            backend two
                server s 127.0.0.1:\(two.port)
            backend three
                server s 127.0.0.1:\(three.port)

            """
        var seen: [[String]] = []
        for binary in TCPModeEndToEndTests.binaries() {
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { p.stop() }
            seen.append([
                try Self.exchange(port, ["GET /a HTTP/1.1\r\nHost: x\r\n\r\n"]),
                try Self.exchange(port, ["GET /two HTTP/1.1\r\nHost: x\r\n\r\n"]),
                try Self.exchange(port, ["GET /t", "wo HTTP/1.1\r\nHost: x\r", "\n\r\n"]),   // the head in three pieces
                try Self.exchange(port, ["GET /deny HTTP/1.1\r\nHost: x\r\n\r\n"]),
                try Self.exchange(port, ["GET /two HTTP/1.1\r\nHost: x\r\n\r\n"], source: "127.0.0.2"),
            ])
        }
        #expect(seen[0] == ["ONE", "TWO", "TWO", "", "THREE"], "ringproxy: \(seen[0])")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    /// TLS passthrough: wait for the ClientHello, route on its SNI and ALPN, refuse old
    /// versions, without terminating TLS (the origins answer their name to whatever comes).
    @Test func tlsPassthroughRoutesOnTheClientHello() throws {
        func origin(_ name: String) throws -> ScriptedTCPOrigin {
            try ScriptedTCPOrigin { peer, _ in
                var b = [UInt8](repeating: 0, count: 4096)
                _ = b.withUnsafeMutableBytes { recv(peer.fd, $0.baseAddress, $0.count, 0) }
                peer.write(name)
            }
        }
        let a = try origin("A"), b = try origin("B"), acme = try origin("ACME"), other = try origin("OTHER")
        defer { a.stop(); b.stop(); acme.stop(); other.stop() }
        let port = freePort()
        let config = Self.defaults + """

            frontend f
                bind 127.0.0.1:\(port)
                tcp-request inspect-delay 3s
                tcp-request content reject if { req.ssl_ver lt 3.1 }
                tcp-request content accept if { req_ssl_hello_type 1 }
                use_backend acme if { req.ssl_alpn acme-tls/1 }
                use_backend a if { req.ssl_sni -i a.test }
                use_backend b if { req_ssl_sni -m end .b.test }
                default_backend other
            backend a
                server s 127.0.0.1:\(a.port)
            backend b
                server s 127.0.0.1:\(b.port)
            backend acme
                server s 127.0.0.1:\(acme.port)
            backend other
                server s 127.0.0.1:\(other.port)

            """
        func exchange(_ bytes: [UInt8], split: [Int] = []) throws -> String {
            let c = try RawHTTP(port: port)
            var from = 0
            for cut in split + [bytes.count] {
                if from > 0 { usleep(60_000) }            // a slow client: the hello in pieces
                try c.send(Array(bytes[from..<cut]))
                from = cut
            }
            return String(decoding: TCPModeEndToEndTests.readAll(c.fd), as: UTF8.self)
        }
        let helloA = tlsClientHello(sni: "A.test", alpn: ["h2", "http/1.1"])
        var seen: [[String]] = []
        for binary in TCPModeEndToEndTests.binaries() {
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { p.stop() }
            seen.append([
                try exchange(helloA),
                try exchange(helloA, split: [3, 20, 60]),
                try exchange(tlsClientHello(sni: "www.b.test")),
                try exchange(tlsClientHello(sni: "a.test", alpn: ["acme-tls/1"])),
                try exchange(tlsClientHello()),
                try exchange(tlsClientHello(sni: "a.test", recordVersion: 0x0300, clientVersion: 0x0300)),
                try exchange(Array("GET / HTTP/1.0\r\n\r\n".utf8)),
            ])
        }
        #expect(seen[0] == ["A", "A", "B", "ACME", "OTHER", "", "OTHER"], "ringproxy: \(seen[0])")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    @Test func inspectDelayEndsWithWhatCame() throws {
        let one = try ScriptedTCPOrigin { peer, _ in
            var b = [UInt8](repeating: 0, count: 256)
            let n = b.withUnsafeMutableBytes { recv(peer.fd, $0.baseAddress, $0.count, 0) }
            peer.write("ONE:" + String(decoding: b[0..<max(0, n)], as: UTF8.self))
        }
        defer { one.stop() }
        let port = freePort()
        // An incomplete HTTP head: the rule waits for the rest until the delay ends, then sees
        // no path and lets it through; the bytes that waited go to the server.
        let config = Self.defaults + """

            listen l
                bind 127.0.0.1:\(port)
                tcp-request inspect-delay 200ms
                tcp-request content reject if { path_beg /deny }
                server s 127.0.0.1:\(one.port)

            """
        var seen: [String] = []
        for binary in TCPModeEndToEndTests.binaries() {
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { p.stop() }
            let start = ContinuousClock.now
            seen.append(try Self.exchange(port, ["GET /x HTTP/1.1\r\n"]))
            #expect(ContinuousClock.now - start >= .milliseconds(180), "\(binary): answered before the delay")
        }
        #expect(seen.allSatisfy { $0 == "ONE:GET /x HTTP/1.1\r\n" }, "\(seen)")
    }

    @Test(arguments: [
        ("tcp-request connection reject if { src 127.0.0.1 }", ""),
        ("tcp-request connection accept if { src 127.0.0.1 }\n    tcp-request connection reject", "hello"),
        ("tcp-request session reject if { src 127.0.0.1 }", ""),
        ("tcp-request content reject unless { src 127.0.0.2 }", ""),
        ("tcp-request content silent-drop if { src 127.0.0.1 }", ""),
        ("tcp-request connection reject if { src 127.0.0.2 }", "hello"),
    ])
    func connectionRules(_ rules: String, _ want: String) throws {
        let origin = try ScriptedTCPOrigin { peer, _ in peer.write("hello") }
        defer { origin.stop() }
        let port = freePort()
        let config = Self.defaults + "\nlisten l\n    bind 127.0.0.1:\(port)\n    \(rules)\n    server s 127.0.0.1:\(origin.port)\n"
        for binary in TCPModeEndToEndTests.binaries() {
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { p.stop() }
            let c = try RawHTTP(port: port)
            let got = String(decoding: TCPModeEndToEndTests.readAll(c.fd, timeout: .seconds(3)), as: UTF8.self)
            #expect(got == want, "\(binary): \(rules)")
        }
    }

    @Test func httpModeContentRulesRunBeforeHTTPRequestRules() throws {
        let port = freePort()
        let config = """
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 1s
            frontend f
                bind 127.0.0.1:\(port)
                tcp-request content reject if { path_beg /deny }
                tcp-request content set-var(txn.who) str(tcp)
                http-request set-var(txn.who) str(http) if { path_beg /http }
                http-request return status 200 content-type text/plain lf-string "by %[var(txn.who)]"

            """
        var seen: [[String]] = []
        for binary in TCPModeEndToEndTests.binaries() {
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { p.stop() }
            seen.append(try ["/a", "/http", "/deny"].map { path in
                let c = try RawHTTP(port: port)
                try c.send("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return String(decoding: try c.readAllUntilClose(), as: UTF8.self)
            })
        }
        #expect(seen[0][0].hasPrefix("HTTP/1.1 200") && seen[0][0].hasSuffix("by tcp"), "\(seen[0][0])")
        #expect(seen[0][1].hasSuffix("by http"))
        #expect(seen[0][2] == "")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }
}

/// set-src/set-dst at the connection's, the session's and the stream's level (fc_* against
/// src/dst), a server's PROXY header after them, the PROXY header's destination as `dst`: the
/// same configuration and traffic through ringproxy and (where installed) HAProxy 2.6, compared.
@Suite(.serialized) struct TCPAddressRulesEndToEndTests {
    /// The x-* headers of an answer, in order, as "name=value".
    static func marks(_ r: RawHTTP.Response) -> [String] {
        r.headers.filter { $0.name.lowercased().hasPrefix("x-") }.map { "\($0.name.lowercased())=\($0.value)" }
    }

    @Test func addressLevelsInHTTP() throws {
        let fe = freePort(), li = freePort(), inner = freePort()
        let config = """
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 1s
            frontend fe
                bind 127.0.0.1:\(fe)
                tcp-request connection set-src ipv4(10.0.0.1)
                tcp-request connection set-dst ipv4(10.0.0.2)
                tcp-request connection set-src-port int(1111)
                tcp-request session set-src ipv4(10.1.0.1)
                tcp-request session set-var(sess.fcsrc) fc_src
                tcp-request content set-dst-port int(2222)
                http-request set-src hdr(x-from) if { req.hdr(x-from) -m found }
                http-after-response set-header x-fc "%[fc_src]:%[fc_src_port] %[fc_dst]:%[fc_dst_port]"
                http-after-response set-header x-st "%[src]:%[src_port] %[dst]:%[dst_port]"
                http-after-response set-header x-sess "%[var(sess.fcsrc)]"
                http-request return status 200
            listen li
                bind 127.0.0.1:\(li)
                tcp-request connection set-src ipv4(10.0.0.1)
                http-request set-src ipv4(192.168.0.1)
                http-request set-dst ipv4(192.168.0.2)
                http-request set-dst-port int(8080)
                server s 127.0.0.1:\(inner) send-proxy-v2
            listen inner
                bind 127.0.0.1:\(inner) accept-proxy
                # (fc_src here differs: README, "How ringproxy differs", set-src/set-dst)
                tcp-request connection set-dst ipv4(10.9.0.2)
                http-after-response set-header x-inner "%[src] %[fc_dst] %[dst]:%[dst_port]"
                http-request return status 200

            """
        var runs: [[String]] = []
        for binary in TCPModeEndToEndTests.binaries() {
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [fe, li, inner])
            defer { p.stop() }
            var got: [String] = []
            let c = try RawHTTP(port: fe)
            for extra in ["", "X-From: 172.16.0.9\r\n", ""] {
                try c.send("GET / HTTP/1.1\r\nHost: x\r\n\(extra)\r\n")
                got += Self.marks(try c.readResponse())
            }
            let d = try RawHTTP(port: li)
            try d.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            got += Self.marks(try d.readResponse())
            runs.append(got)
        }
        // (HAProxy 2.6.12's answers)
        #expect(runs[0].first == "x-fc=10.0.0.1:1111 10.0.0.2:\(fe)", "ringproxy: \(runs[0])")
        #expect(runs[0].contains("x-inner=192.168.0.1 10.9.0.2 192.168.0.2:8080"), "ringproxy: \(runs[0])")
        #expect(runs.allSatisfy { $0 == runs[0] }, "\(runs)")
    }

    @Test func tcpModeSendProxyCarriesTheRulesAddresses() throws {
        let origin = try ScriptedTCPOrigin { peer, _ in
            // the PROXY v1 line, echoed back (the client's bytes end with a blank line)
            let head = peer.readHead(timeout: .seconds(5)) ?? ""
            peer.write((head.components(separatedBy: "\r\n").first ?? "") + "\r\n")
        }
        defer { origin.stop() }
        let port = freePort()
        let config = TCPRulesEndToEndTests.defaults + """

            listen t
                bind 127.0.0.1:\(port)
                tcp-request connection set-src ipv4(10.0.0.1)
                tcp-request connection set-src-port int(1234)
                tcp-request inspect-delay 1s
                tcp-request content set-dst ipv4(10.2.0.2)
                tcp-request content set-dst-port int(443)
                server s 127.0.0.1:\(origin.port) send-proxy

            """
        var runs: [String] = []
        for binary in TCPModeEndToEndTests.binaries() {
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { p.stop() }
            runs.append(try TCPRulesEndToEndTests.exchange(port, ["hello\r\n\r\n"]))
        }
        #expect(runs[0] == "PROXY TCP4 10.0.0.1 10.2.0.2 1234 443\r\n", "ringproxy: \(runs[0])")
        #expect(runs.allSatisfy { $0 == runs[0] }, "\(runs)")
    }
}

/// `option transparent`: a backend without servers connects to the client's destination (here
/// the listener's own address with `set-dst-port` pointing at an origin); its server connection
/// is the client connection's own. Through ringproxy and (where installed) HAProxy 2.6, compared.
@Suite(.serialized) struct TransparentBackendEndToEndTests {
    @Test func transparentBackendFollowsTheDestination() throws {
        // each answer names the origin connection (in accept order) and its request number
        let origin = try ScriptedTCPOrigin { peer, i in
            var n = 0
            while peer.readHead(timeout: .seconds(5)) != nil {
                n += 1
                let body = "c\(i) r\(n)"
                peer.write("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            }
        }
        defer { origin.stop() }
        let port = freePort()
        let config = """
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 1s
            listen sender
                bind 127.0.0.1:\(port)
                option transparent
                http-request set-dst-port int(\(origin.port))

            """
        var runs: [[String]] = []
        for binary in TCPModeEndToEndTests.binaries() {
            let base = origin.connections
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { p.stop() }
            var got: [String] = []
            for _ in 0..<2 {
                let c = try RawHTTP(port: port)
                for _ in 0..<2 {
                    try c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    let r = try c.readResponse()
                    // origin connection numbers relative to this run's first
                    let body = String(decoding: r.body, as: UTF8.self)
                    let parts = body.split(separator: " ")
                    let conn = parts.first.flatMap { Int($0.dropFirst()) }.map { $0 - base } ?? -1
                    got.append("\(r.status) c\(conn) \(parts.last ?? "")")
                }
            }
            runs.append(got)
        }
        #expect(runs[0] == ["200 c0 r1", "200 c0 r2", "200 c1 r1", "200 c1 r2"], "ringproxy: \(runs[0])")
        #expect(runs.allSatisfy { $0 == runs[0] }, "\(runs)")
    }
}
