// The end-to-end harness itself, proven against real HAProxy when it is installed.
import Testing
import Foundation
import Proxy
import Glibc
import Origins

@Suite struct OriginHarnessTests {
    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed"))
    func haproxyForwardsToAnAppServerThroughProxyProcess() throws {
        let a = try AppServer(name: "REALsrv_70", port: 0)
        let b = try AppServer(name: "REALsrv_120", port: 0)
        defer { a.stop(); b.stop() }
        let syslog = try SyslogCollector()
        defer { syslog.stop() }
        let front = freePort()
        let config = """
        global
            log 127.0.0.1:\(syslog.port) local0
        defaults
            mode http
            log global
            option httplog
            timeout connect 2s
            timeout client 5s
            timeout server 5s
        frontend WEB_SITE
            bind 127.0.0.1:\(front)
            default_backend COOKIE_srv
        backend COOKIE_srv
            balance roundrobin
            cookie SERVERID insert indirect nocache
            server REALsrv_70 127.0.0.1:\(a.port) cookie 2
            server REALsrv_120 127.0.0.1:\(b.port) cookie 1
        """
        let proxy = try HAProxyProcess.start(config: config, waitForPorts: [front])
        #expect(proxy.openFDCount() ?? 0 > 0)

        let first = try RawHTTP.get(port: front, path: "/rr", host: "cookie.9ai9.net")
        let second = try RawHTTP.get(port: front, path: "/rr", host: "cookie.9ai9.net")
        #expect(Set([first.header("X-Server"), second.header("X-Server")]) == ["REALsrv_70", "REALsrv_120"])
        #expect(first.bodyText.contains("GET /rr HTTP/1.1"))
        // Stickiness through the cookie HAProxy inserted.
        let cookie = try #require(first.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        for _ in 0..<3 {
            let r = try RawHTTP.get(port: front, path: "/", host: "cookie.9ai9.net", headers: [("Cookie", cookie)])
            #expect(r.header("X-Server") == first.header("X-Server"))
        }
        // Requests from another source address reach the server and are logged.
        #expect(try RawHTTP.get(port: front, path: "/src", source: "127.0.0.5").status == 200)
        let logs = syslog.waitForMessages(count: 6)  // (before the body requests below)
        #expect(logs.contains { $0.contains("127.0.0.5:") && $0.contains("\"GET /src HTTP/1.1\"") })

        // Bodies cross the proxy intact: a 1 MiB POST (hashed by the server) and a chunked answer.
        let body = BodyPattern.bytes(count: 1 << 20)
        let post = try RawHTTP(port: front)
        try post.send("POST /up?hash=1 HTTP/1.1\r\nHost: nosession.9ai9.net\r\nContent-Length: \(body.count)\r\n\r\n")
        try post.send(body)
        #expect(try post.readFinalResponse().bodyText == "bytes=1048576 fnv1a64=\(FNV1a64.hex(FNV1a64.hash(body)))\n")
        let big = try RawHTTP.get(port: front, path: "/?size=300000&chunked=1")
        let intact = big.body == BodyPattern.bytes(count: 300_000)
        #expect(intact, "chunked body through haproxy differs")

        let status = proxy.stop()
        #expect(status != nil)
        #expect(!proxy.isRunning)
    }

    @Test func proxyProcessReportsAChildThatExitsBeforeListening() throws {
        #expect(throws: ProxyProcessError.self) {
            _ = try ProxyProcess(config: "", binary: "/bin/false", waitForPorts: [freePort()], timeout: .seconds(3))
        }
    }

    @Test func freePortsAreDistinctAndBindable() throws {
        let ports = (0..<20).map { _ in freePort() }
        #expect(Set(ports).count == 20)
        #expect(ports.allSatisfy { (20000...29999).contains($0) })
        let s = try AppServer(name: "S", port: ports[0])
        defer { s.stop() }
        #expect(s.port == ports[0])
    }
}

@Suite struct OriginProcessTests {
    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed"))
    func runReportsExitCodeAndOutputOfACheck() throws {
        // (without a listener haproxy -c exits 2: "will not start")
        let good = try ProxyProcess.writeConfig("defaults\n    mode http\nfrontend f\n    bind 127.0.0.1:\(freePort())\n")
        let bad = try ProxyProcess.writeConfig("defaults\n    no-such-keyword 1\n")
        defer { for path in [good, bad] { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) } }
        let exe = try #require(HAProxyProcess.executable)
        #expect(try ProxyProcess.run(["-c", "-f", good], binary: exe).status == 0)
        let failed = try ProxyProcess.run(["-c", "-f", bad], binary: exe)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("no-such-keyword"))
    }

    @Test func waitForOutputSeesWhatTheChildPrints() throws {
        let p = try ProxyProcess(arguments: ["-c", "echo ready to serve; sleep 5"], binary: "/bin/sh")
        #expect(try p.waitForOutput(containing: "ready to serve").contains("ready"))
        #expect(p.isRunning)
        p.stop()
        #expect(p.exitCode == 128 + SIGTERM)
    }
}
