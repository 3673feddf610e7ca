// Server and proxy options observed on the wire and on the sockets, each run through
// ringproxy and, where it is installed, through HAProxy 2.6 with the same configuration and
// traffic: dispatch, UNIX socket servers, redir, source, tcpka, nolinger, pool-max-conn,
// minconn/fullconn, maxqueue, prefer-last-server, allbackups, http-pretend-keepalive,
// persist, on-marked-down shutdown-sessions and track.
import CBench
import CUring
import Foundation
import Glibc
import Testing
import Origins

@Suite(.serialized) struct ServerOptionsEndToEndTests {
    /// The proxies a comparison runs: ringproxy always, haproxy when installed.
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

    /// Runs `body` against each proxy started on `config`; returns what each run returned
    /// (ringproxy first).
    static func eachProxy<T>(_ config: String, ports: [UInt16], _ body: (String) throws -> T) throws -> [T] {
        var out: [T] = []
        for binary in binaries {
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: ports)
            defer { p.stop() }
            out.append(try body(binary))
        }
        return out
    }

    /// `ss` lines matching a filter, e.g. "state time-wait ( sport = :80 )".
    static func sockets(_ filter: [String], timers: Bool = false) -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ss")
        process.arguments = [timers ? "-tnoH" : "-tnH"] + filter
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return ["ss failed"] }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The local port of a connected socket.
    static func localPort(_ fd: Int32) -> UInt16 {
        var a = sockaddr_in(), len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return UInt16(bigEndian: a.sin_port)
    }

    /// True once the peer's reset has reached `fd` (a pending socket error: EPIPE after its
    /// FIN, ECONNRESET before), within `timeout`.
    static func waitForReset(_ fd: Int32, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0, err != 0 { return true }
            usleep(1_000)
        }
        return false
    }

    static func xServer(_ r: RawHTTP.Response) -> String { r.header("X-Server") ?? "-" }

    @Test func dispatchSendsToTheAddress() throws {
        let app = try AppServer(name: "D", port: 0)
        defer { app.stop() }
        let port = freePort()
        let config = Self.defaults + "\nlisten l\n    bind 127.0.0.1:\(port)\n    dispatch 127.0.0.1:\(app.port)\n"
        let seen = try Self.eachProxy(config, ports: [port]) { _ in
            let r = try RawHTTP.get(port: port, path: "/d")
            return "\(r.status) \(Self.xServer(r))"
        }
        #expect(seen.allSatisfy { $0 == "200 D" }, "\(seen)")
    }

    @Test func unixSocketServer() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rp-unix-\(getpid())-\(freePort()).sock").path
        let origin = try UnixOrigin(path: path)
        defer { origin.stop() }
        let port = freePort()
        let config = Self.defaults + "\nlisten l\n    bind 127.0.0.1:\(port)\n    server u unix@\(path)\n"
        let seen = try Self.eachProxy(config, ports: [port]) { _ in
            let r = try RawHTTP.get(port: port, path: "/u")
            return "\(r.status) \(String(decoding: r.body, as: UTF8.self))"
        }
        #expect(seen.allSatisfy { $0 == "200 unix" }, "\(seen)")
    }

    @Test func serverRedirectBytes() throws {
        let app = try AppServer(name: "R", port: 0)
        defer { app.stop() }
        let port = freePort()
        let config = Self.defaults + "\nlisten l\n    bind 127.0.0.1:\(port)\n    server s1 127.0.0.1:\(app.port) redir http://img.example.com\n"
        let seen = try Self.eachProxy(config, ports: [port]) { _ -> [String] in
            var out: [String] = []
            for request in ["GET /a/b?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD /a HTTP/1.0\r\n\r\n",
                            "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"] {
                let c = try RawHTTP(port: port)
                try c.send(request)
                let r = try c.readResponse(forHEAD: request.hasPrefix("HEAD"))
                out.append(String(decoding: r.rawHead, as: UTF8.self) + "|" + Self.xServer(r))
            }
            return out
        }
        let expected = "HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: http://img.example.com/a/b?x=1\r\nconnection: close\r\n\r\n|-"
        #expect(seen[0][0] == expected)
        #expect(seen[0][1].contains("location: http://img.example.com/a\r\n"))
        for run in seen {
            #expect(run[2].hasPrefix("HTTP/1.1 200") && run[2].hasSuffix("|R"))      // POST is forwarded
            #expect(Array(run[0...1]) == Array(seen[0][0...1]))                     // the 302s byte for byte
        }
    }

    @Test func sourceAddress() throws {
        let a = try AppServer(name: "A", port: 0), b = try AppServer(name: "B", port: 0)
        defer { a.stop(); b.stop() }
        let port = freePort()
        let low = Int(freePort())
        let config = Self.defaults + """

            listen l
                bind 127.0.0.1:\(port)
                http-reuse never
                source 127.0.0.2
                server a 127.0.0.1:\(a.port)
                server b 127.0.0.1:\(b.port) source 127.0.0.3:\(low)-\(low + 5)
            """
        let seen = try Self.eachProxy(config, ports: [port]) { _ -> [String] in
            let c = try RawHTTP(port: port)
            var peers: [String] = []
            for _ in 0..<2 {
                let r = try c.request(path: "/s")
                #expect(r.status == 200)
                let server = Self.xServer(r) == "A" ? a.port : b.port
                // the proxy's connection to that server, seen from the server's side
                let lines = Self.sockets(["state", "established", "( sport = :\(server) )"])
                peers.append(Self.xServer(r) + "@" + (lines.first.map { $0.split(separator: " ").last.map(String.init) ?? "" } ?? "none"))
            }
            return peers.sorted()
        }
        for run in seen {
            #expect(run.count == 2 && run[0].hasPrefix("A@127.0.0.2:"), "\(run)")
            let bPort = run[1].split(separator: ":").last.flatMap { Int($0) } ?? 0
            #expect(run[1].hasPrefix("B@127.0.0.3:") && (low...low + 5).contains(bPort), "\(run)")
        }
    }

    @Test func keepAliveProbes() throws {
        let app = try AppServer(name: "K", port: 0), other = try AppServer(name: "L", port: 0)
        defer { app.stop(); other.stop() }
        let on = freePort(), off = freePort()
        let config = Self.defaults + """

            listen on
                bind 127.0.0.1:\(on)
                option tcpka
                server s 127.0.0.1:\(app.port)
            listen off
                bind 127.0.0.1:\(off)
                server s 127.0.0.1:\(other.port)
            """
        let seen = try Self.eachProxy(config, ports: [on, off]) { _ -> [Int] in
            var counts: [Int] = []
            for (port, server) in [(on, app.port), (off, other.port)] {
                let c = try RawHTTP(port: port)
                #expect(try c.request(path: "/k").status == 200)
                // the proxy's client-side socket and its server-side socket
                let lines = Self.sockets(["state", "established", "( sport = :\(port) or dport = :\(server) )"], timers: true)
                counts.append(lines.filter { $0.contains("keepalive") }.count)
                c.close()
                _ = c.isClosed(within: .seconds(1))
            }
            return counts
        }
        for run in seen { #expect(run == [2, 0], "with and without tcpka: \(run)") }
    }

    @Test func noLingerLeavesNoTimeWait() throws {
        let app = try AppServer(name: "N", port: 0)
        defer { app.stop() }
        let on = freePort(), off = freePort()
        let config = Self.defaults + """

            listen on
                bind 127.0.0.1:\(on)
                option nolinger
                server s 127.0.0.1:\(app.port)
            listen off
                bind 127.0.0.1:\(off)
                server s 127.0.0.1:\(app.port)
            """
        let seen = try Self.eachProxy(config, ports: [on, off]) { binary -> (String, [Int]) in
            (binary, [on, off].map { port in
                var clientPorts: Set<String> = []
                for _ in 0..<3 {
                    // the proxy closes first (Connection: close, the client waits for the end):
                    // its side would linger in TIME_WAIT
                    guard let c = try? RawHTTP(port: port) else { continue }
                    clientPorts.insert(":\(Self.localPort(c.fd))")
                    try? c.send("GET /n HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    #expect((try? c.readResponse())?.status == 200)
                    #expect(c.isClosed(within: .seconds(2)))
                    // With nolinger both proxies send the FIN (end of the response) and the reset
                    // (the close) apart: HAProxy in its next loop turn, ringproxy once its last
                    // receive completes. A client that closes in between (the test process is
                    // quick, the proxy is not, under load) answers the FIN, and the proxy's side
                    // goes to TIME_WAIT before its reset (HAProxy 2.6.12: 8 of 200 such closes
                    // on a loaded machine). A client waits for the reset; without nolinger none comes.
                    if port == on { #expect(Self.waitForReset(c.fd, timeout: .seconds(2)), "\(binary): no reset after the FIN") }
                }
                usleep(100_000)
                // only the proxy-side sockets of these clients (a count before/after also saw
                // TIME_WAITs of earlier tests on a reused port number expire)
                return Self.sockets(["state", "time-wait", "( sport = :\(port) )"]).filter { line in
                    guard let peer = line.split(separator: " ").last else { return false }
                    return clientPorts.contains { peer.hasSuffix($0) }
                }.count
            })
        }
        for (binary, run) in seen { #expect(run[0] == 0 && run[1] > 0, "\(binary): TIME_WAIT with and without nolinger: \(run)") }
    }

    @Test func poolMaxConnZeroKeepsNoIdleConnection() throws {
        let app = try AppServer(name: "P", port: 0)
        defer { app.stop() }
        let port = freePort(), plain = freePort()
        let config = Self.defaults + """

            listen l
                bind 127.0.0.1:\(port)
                server s 127.0.0.1:\(app.port) pool-max-conn 0
            listen m
                bind 127.0.0.1:\(plain)
                server s 127.0.0.1:\(app.port)
            """
        let seen = try Self.eachProxy(config, ports: [port, plain]) { _ -> [Int] in
            [port, plain].map { p in
                let before = app.connectionsAccepted
                if let c = try? RawHTTP(port: p) {
                    for _ in 0..<3 { #expect((try? c.request(path: "/p").status) == 200) }
                }
                return app.connectionsAccepted - before
            }
        }
        for run in seen { #expect(run == [3, 1], "server connections for 3 keep-alive requests: \(run)") }
    }

    /// Three slow requests at once: `minconn 1 maxconn 10` with `fullconn 100` lets one through
    /// at a time at this load (HAProxy's dynamic limit), so they take three times as long.
    @Test func minconnLimitsAtLowLoad() throws {
        let app = try AppServer(name: "M", port: 0)
        defer { app.stop() }
        let port = freePort()
        let config = Self.defaults + """

            listen l
                bind 127.0.0.1:\(port)
                fullconn 100
                timeout queue 5s
                server s 127.0.0.1:\(app.port) minconn 1 maxconn 10
            """
        let seen = try Self.eachProxy(config, ports: [port]) { _ -> Duration in
            let start = ContinuousClock.now
            let statuses = Self.concurrentGets(port: port, path: "/m?sleep=300", count: 3)
            #expect(statuses == [200, 200, 200])
            return ContinuousClock.now - start
        }
        for elapsed in seen { #expect(elapsed >= .milliseconds(850), "\(elapsed)") }
    }

    /// `maxconn 1 maxqueue 1` and every request bound to the server by its cookie (no
    /// redispatch): one is served, one waits, the third is refused with a 503. The server
    /// holds its request until the third has its answer, and each request is sent once the
    /// previous one is where it belongs (at the server, in the queue): a slow server and
    /// staggered clients let the first finish before the third came on a loaded machine.
    @Test func maxqueueRefusesBeyondTheQueue() throws {
        var t = Array("/tmp/rp-mq-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&t)!)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (i, binary) in Self.binaries.enumerated() {
            let origin = try GatedOrigin()
            defer { origin.stop() }
            let port = freePort(), sock = "\(dir)/admin\(i).sock"
            let config = "global\n    stats socket \(sock) level admin\n" + Self.defaults + """

                listen l
                    bind 127.0.0.1:\(port)
                    timeout queue 5s
                    cookie SRV insert
                    server s 127.0.0.1:\(origin.port) cookie s maxconn 1 maxqueue 1
                """
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { p.stop() }
            try CLIClient.waitForSocket(sock)
            let queued: () -> Int = {     // the server's qcur in `show stat`
                let stat = (try? CLIClient.send("show stat", socket: sock)) ?? ""
                let line = stat.split(separator: "\n").first { $0.hasPrefix("l,s,") }
                return line.flatMap { Int($0.split(separator: ",", omittingEmptySubsequences: false)[2]) } ?? -1
            }
            let results = ResultBox(2)
            for k in 0..<2 {
                Thread {
                    let r = try? RawHTTP.get(port: port, path: "/q\(k)", headers: [("Cookie", "SRV=s")], timeout: .seconds(10))
                    results.set(k, r?.status ?? 0)
                }.start()
                if k == 0 { #expect(ProcessProbe.waitUntil { origin.held == 1 }, "\(binary): the first request reaches the server") }
                else { #expect(ProcessProbe.waitUntil { queued() == 1 }, "\(binary): the second one waits in the queue") }
            }
            let third = (try? RawHTTP.get(port: port, path: "/q2", headers: [("Cookie", "SRV=s")], timeout: .seconds(10)))?.status ?? 0
            #expect(third == 503, "\(binary)")
            #expect(origin.held == 1)
            origin.open()
            results.wait()
            #expect(results.values == [200, 200], "\(binary)")
        }
    }

    @Test func preferLastServerWithHTTPReuseNever() throws {
        let a = try AppServer(name: "A", port: 0), b = try AppServer(name: "B", port: 0)
        defer { a.stop(); b.stop() }
        let never = freePort(), safe = freePort()
        let config = Self.defaults + """

            listen never
                bind 127.0.0.1:\(never)
                http-reuse never
                option prefer-last-server
                server a 127.0.0.1:\(a.port)
                server b 127.0.0.1:\(b.port)
            listen safe
                bind 127.0.0.1:\(safe)
                option prefer-last-server
                server a 127.0.0.1:\(a.port)
                server b 127.0.0.1:\(b.port)
            """
        let seen = try Self.eachProxy(config, ports: [never, safe]) { _ -> [String] in
            try [never, safe].map { port in
                let c = try RawHTTP(port: port)
                return try (0..<4).map { _ in Self.xServer(try c.request(path: "/l")) }.joined()
            }
        }
        for run in seen {
            #expect(run[0] == "AAAA" || run[0] == "BBBB", "\(run)")
            #expect(run[1] == "ABAB" || run[1] == "BABA", "\(run)")
        }
    }

    @Test func allBackupsShareTheLoad() throws {
        let a = try AppServer(name: "A", port: 0), b = try AppServer(name: "B", port: 0)
        defer { a.stop(); b.stop() }
        let all = freePort(), first = freePort()
        let dead = freePort()
        let config = Self.defaults + """

            listen all
                bind 127.0.0.1:\(all)
                option allbackups
                server z 127.0.0.1:\(dead) disabled
                server a 127.0.0.1:\(a.port) backup
                server b 127.0.0.1:\(b.port) backup
            listen first
                bind 127.0.0.1:\(first)
                server z 127.0.0.1:\(dead) disabled
                server a 127.0.0.1:\(a.port) backup
                server b 127.0.0.1:\(b.port) backup
            """
        let seen = try Self.eachProxy(config, ports: [all, first]) { _ -> [String] in
            try [all, first].map { port in try (0..<4).map { _ in Self.xServer(try RawHTTP.get(port: port, path: "/b")) }.joined() }
        }
        for run in seen { #expect(run == ["ABAB", "AAAA"], "\(run)") }
    }

    @Test func pretendKeepAlive() throws {
        let app = try AppServer(name: "K", port: 0)
        defer { app.stop() }
        let on = freePort(), off = freePort()
        let config = Self.defaults + """

            listen on
                bind 127.0.0.1:\(on)
                option httpclose
                option http-pretend-keepalive
                server s 127.0.0.1:\(app.port)
            listen off
                bind 127.0.0.1:\(off)
                option httpclose
                server s 127.0.0.1:\(app.port)
            """
        let seen = try Self.eachProxy(config, ports: [on, off]) { _ -> [String] in
            try [on, off].map { port in
                let before = app.connectionsAccepted
                let c = try RawHTTP(port: port)
                let r = try c.request(path: "/k")
                // what the server received (the echo), reduced to its Connection header
                let head = String(decoding: r.body, as: UTF8.self).lowercased()
                let connection = head.split(separator: "\r\n").first { $0.hasPrefix("connection:") }.map(String.init) ?? "none"
                _ = c.isClosed(within: .seconds(2))
                return "\(connection) conns=\(app.connectionsAccepted - before)"
            }
        }
        for run in seen { #expect(run == ["none conns=1", "connection: close conns=1"], "\(run)") }
    }

    @Test func persistSendsToTheNamedServerEvenDown() throws {
        let a = try AppServer(name: "A", port: 0), b = try AppServer(name: "B", port: 0)
        defer { a.stop(); b.stop() }
        let on = freePort(), off = freePort()
        let config = Self.defaults + """

            listen on
                bind 127.0.0.1:\(on)
                option persist
                cookie SRV insert
                server a 127.0.0.1:\(a.port) cookie a disabled
                server b 127.0.0.1:\(b.port) cookie b
            listen off
                bind 127.0.0.1:\(off)
                cookie SRV insert
                server a 127.0.0.1:\(a.port) cookie a disabled
                server b 127.0.0.1:\(b.port) cookie b
            """
        let seen = try Self.eachProxy(config, ports: [on, off]) { _ -> [String] in
            try [on, off].map { Self.xServer(try RawHTTP.get(port: $0, path: "/p", headers: [("Cookie", "SRV=a")])) }
        }
        for run in seen { #expect(run == ["A", "B"], "\(run)") }
    }

    /// A server marked DOWN by its check closes the exchanges in progress with
    /// `on-marked-down shutdown-sessions`; its tracker goes DOWN with it.
    @Test func markedDownShutsSessionsAndTrackersFollow() throws {
        let a = try AppServer(name: "A", port: 0), b = try AppServer(name: "B", port: 0)
        defer { a.stop(); b.stop() }
        let port = freePort(), tracked = freePort()
        let config = Self.defaults + """

            listen l
                bind 127.0.0.1:\(port)
                server a 127.0.0.1:\(a.port) check inter 100 fall 1 rise 1 on-marked-down shutdown-sessions
            listen t
                bind 127.0.0.1:\(tracked)
                server b 127.0.0.1:\(b.port) track l/a
            """
        for binary in Self.binaries {
            a.refusing = false
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port, tracked])
            defer { p.stop() }
            #expect(try RawHTTP.get(port: tracked, path: "/t").status == 200)
            let c = try RawHTTP(port: port)
            try c.send("GET /slow?sleep=4000 HTTP/1.1\r\nHost: x\r\n\r\n")
            usleep(300_000)
            let start = ContinuousClock.now
            a.refusing = true                     // checks fail: DOWN, the slow exchange is closed
            // HAProxy answers 502 (logged DH--) when it kills an exchange before its response
            let r = try? c.readResponse(timeout: .seconds(3))
            #expect(r?.status == 502 && ContinuousClock.now - start < .seconds(3), "\(binary): the exchange was not closed")
            // the tracking server is DOWN too: its proxy has no server left
            var status = 0
            let deadline = ContinuousClock.now + .seconds(3)
            repeat { status = (try? RawHTTP.get(port: tracked, path: "/t").status) ?? 0; usleep(50_000) }
            while status != 503 && ContinuousClock.now < deadline
            #expect(status == 503, "\(binary): tracker still serving")
        }
    }

    /// `count` GETs on their own connections, started together; their statuses sorted.
    static func concurrentGets(port: UInt16, path: String, count: Int, headers: [(String, String)] = []) -> [Int] {
        let results = ResultBox(count)
        for i in 0..<count {
            Thread {
                let status = (try? RawHTTP.get(port: port, path: path, headers: headers, timeout: .seconds(10)))?.status ?? 0
                results.set(i, status)
            }.start()
        }
        results.wait()
        return results.values.sorted()
    }
}

/// Thread results, collected under a lock.
final class ResultBox: @unchecked Sendable {
    private let lock = NSCondition()
    private var stored: [Int?]
    init(_ n: Int) { stored = Array(repeating: nil, count: n) }
    func set(_ i: Int, _ v: Int) { lock.lock(); stored[i] = v; lock.broadcast(); lock.unlock() }
    func wait() { lock.lock(); while stored.contains(where: { $0 == nil }) { lock.wait() }; lock.unlock() }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return stored.map { $0 ?? 0 } }
}

/// An HTTP origin on a UNIX socket that answers `unix` to every request and closes.
final class UnixOrigin: @unchecked Sendable {
    let fd: Int32
    let path: String
    private var thread: Thread? = nil

    init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw RawHTTPError("unix origin: bind/listen failed: \(errno)") }
        let listenFD = self.fd
        let t = Thread {
            while true {
                let c = accept(listenFD, nil, nil)
                if c >= 0 { _ = fcntl(c, F_SETFD, FD_CLOEXEC) }   // not inherited by the proxies tests start
                if c < 0 { return }
                var buffer = [UInt8](repeating: 0, count: 4096)
                var got: [UInt8] = []
                while !String(decoding: got, as: UTF8.self).contains("\r\n\r\n") {
                    let n = recv(c, &buffer, buffer.count, 0)
                    if n <= 0 { break }
                    got += buffer[..<n]
                }
                let reply = Array("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nunix".utf8)
                _ = reply.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(c)
            }
        }
        thread = t
        t.start()
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(path)
    }
}
