// `tcp-response content` rules in `mode tcp` (the server's first bytes held until the rules
// decide, within `tcp-response inspect-delay`) and the proxy counter fetches (fe_conn, be_conn),
// each case run through ringproxy and (where installed) HAProxy 2.6 side by side, with the same
// configuration and traffic, and compared: what the client receives and the log's termination
// flags and byte counts.
import CBench
import CUring
import Foundation
import Glibc
import Testing

@Suite(.serialized) struct TCPResponseModeTCPEndToEndTests {
    /// An origin that writes its banner in `parts` (with a pause between them: the proxy sees
    /// them arrive apart), then echoes upper-cased until the client half-closes, writes "bye"
    /// and closes.
    static func origin(_ parts: [String]) throws -> ScriptedTCPOrigin {
        try ScriptedTCPOrigin { peer, _ in
            for (i, p) in parts.enumerated() {
                if i > 0 { usleep(150_000) }
                peer.write(p)
            }
            var b = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = b.withUnsafeMutableBytes { recv(peer.fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                peer.write(b[0..<n].map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 })
            }
            peer.write("bye")
        }
    }

    /// One conversation: wait for `banner` bytes (or the close), send "abc", wait for its echo,
    /// half-close, read to the end. Returns what came, and how long the banner took.
    static func converse(_ port: UInt16, banner: Int) throws -> (String, Duration) {
        let c = try RawHTTP(port: port)
        let start = ContinuousClock.now
        var got: [UInt8] = []
        var closed = false
        func readUntil(_ count: Int) {
            let deadline = ContinuousClock.now + .seconds(5)
            var b = [UInt8](repeating: 0, count: 65536)
            while !closed && got.count < count && ContinuousClock.now < deadline {
                var p = pollfd(fd: c.fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 100) == 1 else { continue }
                let n = b.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { closed = true; return }
                got += b[0..<n]
            }
        }
        readUntil(banner)
        let took = ContinuousClock.now - start
        if !closed {
            _ = try? c.send("abc")
            readUntil(got.count + 3)
            shutdown(c.fd, Int32(SHUT_WR))
            got += TCPModeEndToEndTests.readAll(c.fd)
        }
        return (String(decoding: got, as: UTF8.self), took)
    }

    /// Both proxies with `listens` (name, body lines after bind), a log line `%f ts=%ts B=%B`.
    /// Returns the twins and each side's listen ports, in order.
    static func twins(_ listens: [(String, String)]) throws -> (TwinProxies, [UInt16: [UInt16]]) {
        var ports: [UInt16: [UInt16]] = [:]
        let t = try TwinProxies { port, syslogPort in
            var c = """
                global
                    log 127.0.0.1:\(syslogPort) local0
                defaults
                    mode tcp
                    log global
                    timeout client 5s
                    timeout server 5s
                    timeout connect 1s
                    log-format "%f ts=%ts B=%B"

                """
            var mine: [UInt16] = []
            for (i, l) in listens.enumerated() {
                let p = i == 0 ? port : freePort()
                mine.append(p)
                c += "listen \(l.0)\n    bind 127.0.0.1:\(p)\n" + l.1 + "\n"
            }
            ports[port] = mine
            return c
        }
        return (t, ports)
    }

    /// The log lines of one side, in order, once `count` came.
    static func logs(_ side: TwinProxies.Side, _ count: Int) -> [String] {
        side.syslog.waitForMessages(count: count, timeout: .seconds(5)).compactMap { m in
            m.range(of: "]: ").map { String(m[$0.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }

    @Test func holdsTheBannerUntilTheRulesDecide() throws {
        let whole = try Self.origin(["HEL", "LO\n"])       // in two pieces: the rule waits for the second
        let other = try Self.origin(["HOWDY\n"])
        defer { whole.stop(); other.stop() }
        let rules = """
                tcp-response inspect-delay 3s
                tcp-response content accept if { res.payload(0,5) -m str HELLO }
                tcp-response content reject
            """
        let (twins, ports) = try Self.twins([("a", rules + "\n    server s 127.0.0.1:\(whole.port)"),
                                    ("b", rules + "\n    server s 127.0.0.1:\(other.port)")])
        defer { twins.stop() }
        var seen: [[String]] = []
        for side in twins.sides {
            let p = ports[side.port]!
            let (a, _) = try Self.converse(p[0], banner: 6)
            let (b, _) = try Self.converse(p[1], banner: 6)
            seen.append([a, b] + Self.logs(side, 2))
        }
        #expect(seen[0] == ["HELLO\nABCbye", "", "a ts=-- B=12", "b ts=PD B=6"], "ringproxy: \(seen[0])")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    @Test func theInspectDelayEndsTheWait() throws {
        // The server says "HE" and waits for the client: the rules decide once the delay passed.
        let short = try Self.origin(["HE"])
        defer { short.stop() }
        let (twins, ports) = try Self.twins([
            // at the end of the delay nothing matches: accepted, the held bytes go
            ("a", """
                    tcp-response inspect-delay 400ms
                    tcp-response content reject if { res.payload(0,5) -m str NOPE! }
                    server s 127.0.0.1:\(short.port)
                """),
            // too short for the accept rule: rejected once the delay passed
            ("b", """
                    tcp-response inspect-delay 400ms
                    tcp-response content accept if { res.payload(0,5) -m str HELLO }
                    tcp-response content reject
                    server s 127.0.0.1:\(short.port)
                """),
        ])
        defer { twins.stop() }
        var seen: [[String]] = []
        for side in twins.sides {
            let p = ports[side.port]!
            let (a, tookA) = try Self.converse(p[0], banner: 2)
            let (b, tookB) = try Self.converse(p[1], banner: 2)
            #expect(tookA >= .milliseconds(350) && tookB >= .milliseconds(350), "\(side.name): \(tookA) \(tookB)")
            seen.append([a, b] + Self.logs(side, 2))
        }
        #expect(seen[0] == ["HEABCbye", "", "a ts=-- B=8", "b ts=PD B=2"], "ringproxy: \(seen[0])")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    @Test func withoutADelayTheRulesRunOnceConnected() throws {
        let banner = try Self.origin(["HELLO\n"])
        defer { banner.stop() }
        let (twins, ports) = try Self.twins([
            ("a", "    tcp-response content reject\n    server s 127.0.0.1:\(banner.port)"),
            // run at connect, on no byte yet: res.len is 0 then
            ("b", "    tcp-response content reject if { res.len gt 0 }\n    server s 127.0.0.1:\(banner.port)"),
        ])
        defer { twins.stop() }
        var seen: [[String]] = []
        for side in twins.sides {
            let p = ports[side.port]!
            let (a, _) = try Self.converse(p[0], banner: 6)
            let (b, _) = try Self.converse(p[1], banner: 6)
            seen.append([a, b] + Self.logs(side, 2))
        }
        #expect(seen[0] == ["", "HELLO\nABCbye", "a ts=PD B=0", "b ts=-- B=12"], "ringproxy: \(seen[0])")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    @Test func closeRelaysWhatCameThenEndsBothSides() throws {
        let banner = try Self.origin(["HELLO\n"])
        defer { banner.stop() }
        let (twins, ports) = try Self.twins([
            ("c", """
                    tcp-response inspect-delay 2s
                    tcp-response content close if { res.payload(0,5) -m str HELLO }
                    server s 127.0.0.1:\(banner.port)
                """),
        ])
        defer { twins.stop() }
        var seen: [[String]] = []
        for side in twins.sides {
            let (a, _) = try Self.converse(ports[side.port]![0], banner: 6)
            seen.append([a] + Self.logs(side, 1))
        }
        // HAProxy 2.6.12: the banner, then the client connection ends too; logged `--`
        #expect(seen[0] == ["HELLO\n", "c ts=-- B=6"], "ringproxy: \(seen[0])")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    @Test func setVarOnTheResponseBytesIsLogged() throws {
        let banner = try Self.origin(["220 mail ready\n"])
        defer { banner.stop() }
        let twins = try TwinProxies { port, syslogPort in
            """
            global
                log 127.0.0.1:\(syslogPort) local0
            defaults
                mode tcp
                log global
                timeout client 5s
                timeout server 5s
                timeout connect 1s
            listen l
                bind 127.0.0.1:\(port)
                log-format "code=%[var(sess.code)] len=%[var(txn.len)] ts=%ts"
                tcp-response inspect-delay 2s
                tcp-response content set-var(sess.code) res.payload(0,3)
                tcp-response content set-var(txn.len) res.len
                tcp-response content accept if { res.payload(0,0) -m end "\\n" }
                server s 127.0.0.1:\(banner.port)

            """
        }
        defer { twins.stop() }
        var seen: [[String]] = []
        for side in twins.sides {
            let (a, _) = try Self.converse(side.port, banner: 15)
            seen.append([a] + Self.logs(side, 1))
        }
        #expect(seen[0] == ["220 mail ready\nABCbye", "code=220 len=15 ts=--"], "ringproxy: \(seen[0])")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    @Test func proxyConnectionCounts() throws {
        let origin = try ScriptedTCPOrigin { peer, _ in
            _ = peer.readHead(timeout: .seconds(5))
            peer.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        }
        defer { origin.stop() }
        // Without an argument the proxy is the one the rule is written in (HAProxy resolves it
        // at load: `be_conn` in a frontend is an error). The backend's count is 0 while the
        // frontend's request rules run: no backend session yet.
        let twins = try TwinProxies { port, _ in
            """
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 1s
            frontend f
                bind 127.0.0.1:\(port)
                http-request set-var(txn.fe) fe_conn
                http-request set-var(txn.be) be_conn(b)
                http-response set-header x-f "%[var(txn.fe)] %[var(txn.be)] %[fe_conn] %[fe_conn(f)] %[be_conn(b)] %[be_conn(other)]"
                default_backend b
            backend b
                http-response set-header x-b "%[be_conn] %[fe_conn(f)] %[be_conn(other)]"
                server s 127.0.0.1:\(origin.port)
            backend other
                server s 127.0.0.1:\(origin.port)

            """
        }
        defer { twins.stop() }
        var seen: [[String]] = []
        for side in twins.sides {
            let answer = try TCPRulesContentEndToEndTests.get(side.port, "/")
            seen.append(answer.split(separator: "\r\n").filter { $0.lowercased().hasPrefix("x-") }.map(String.init).sorted())
        }
        #expect(seen[0] == ["x-b: 1 1 0", "x-f: 1 0 1 1 1 0"], "ringproxy: \(seen[0])")
        #expect(seen.allSatisfy { $0 == seen[0] }, "\(seen)")
    }

    @Test func proxyCountersNeedAProxyOfTheirKind() throws {
        // HAProxy: "proxy 'f' ... has not backend capability"
        for (fetch, section) in [("be_conn", "frontend f\n    bind 127.0.0.1:8080\n    default_backend b"),
                                 ("fe_conn", "backend b2\n    server s 127.0.0.1:1")] {
            let config = """
                defaults
                    mode http
                    timeout client 1s
                    timeout server 1s
                    timeout connect 1s
                \(section)
                    http-request set-var(txn.x) \(fetch)
                backend b
                    server s 127.0.0.1:1

                """
            for binary in TCPModeEndToEndTests.binaries() {
                let r = try ProxyProcess.run(["-c", "-f", ProxyProcess.writeConfig(config)], binary: binary)
                #expect(r.status != 0, "\(binary) accepted \(fetch) in \(section)")
                if binary == ProxyProcess.ringproxyBinary {
                    #expect(r.stderr.contains("capability"), "\(r.stderr)")
                }
            }
        }
    }
}
