// Several ringproxy instances sharing their stick tables through HAProxy's peers protocol
// (issue 14): the reference configuration's appsession backend (in its stick-table form) and a
// `stick on src` backend, with a peers section. A client learns its session through one
// instance and its next requests through the other reach the same server; a killed and
// restarted instance gets the tables back from its peer; a reload hands them to the new
// process; and one ringproxy and one HAProxy 2.6 share entries both ways.
//
// Each instance also has PROBE backends that only `stick match` the shared tables: their
// servers have weight 0 (never load-balanced), and NOBODY answers everything not found, so a probe
// says whether (and where) an instance knows an entry without storing anything.
import CBench
import CUring
import Foundation
import Glibc
import Synchronization
import Testing
import Origins
import Proxy

/// A client loop on its own thread, counting the requests that succeeded.
final class LoadLoop: @unchecked Sendable {      // the atomics are the only shared state
    private let stopFlag = Atomic<Bool>(false)
    private let count = Atomic<Int>(0)
    private let done = Atomic<Bool>(false)

    init(_ request: @escaping @Sendable (Int) -> Bool) {
        let t = Thread { [self] in
            var i = 0
            while !stopFlag.load(ordering: .relaxed) {
                if request(i) { count.add(1, ordering: .relaxed) }
                i += 1
            }
            done.store(true, ordering: .releasing)
        }
        t.start()
    }

    var served: Int { count.load(ordering: .relaxed) }

    func wait(forServed n: Int, timeout: Duration = .seconds(20)) {
        let deadline = ContinuousClock.now + timeout
        while served < n && ContinuousClock.now < deadline { usleep(5_000) }
    }

    func finish() {
        stopFlag.store(true, ordering: .relaxed)
        while !done.load(ordering: .acquiring) { usleep(2_000) }
    }
}

/// Ports and servers of a two-instance setup on loopback.
final class PeersWorld: @unchecked Sendable {     // immutable after init; servers are Sendable
    let topology: ReferenceTopology
    let nobody: AppServer
    let peerPorts: (a: UInt16, b: UInt16)
    let frontPorts: (a: UInt16, b: UInt16)

    init() throws {
        topology = try ReferenceTopology(behaviour: .echo)
        nobody = try AppServer(name: "NOBODY", port: 0, behaviour: .echo)
        peerPorts = (freePort(), freePort())
        frontPorts = (freePort(), freePort())
    }

    deinit { nobody.stop(); topology.stop() }

    /// The seed (HAProxy 2.6 form) for instance `name` (A or B): the appsession backend shares
    /// its table, NOSESSION_srv sticks on the source address, plus the probes.
    func config(for name: String, global: String = "") throws -> String {
        var text = try topology.config(fixture: "seed-haproxy26.cfg")
        let front = name == "A" ? frontPorts.a : frontPorts.b
        text = text.replacingOccurrences(of: "127.0.0.1:\(topology.frontPort)", with: "127.0.0.1:\(front)")
        // One instance's stats and monitor listeners are enough (ports must not clash).
        if name != "A" {
            text = text.replacingOccurrences(of: "127.0.0.1:\(topology.statsPort)", with: "127.0.0.1:\(freePort())")
            text = text.replacingOccurrences(of: "127.0.0.1:\(topology.monitorPort)", with: "127.0.0.1:\(freePort())")
        }
        text = text.replacingOccurrences(of: "    stick-table type string len 64 size 1m expire 5h\n",
                                         with: "    stick-table type string len 64 size 1m expire 5h peers mypeers\n")
        text = text.replacingOccurrences(of: "backend NOSESSION_srv\n    balance roundrobin\n",
                                         with: "backend NOSESSION_srv\n    balance roundrobin\n    stick-table type ip size 1m expire 30m peers mypeers\n    stick on src\n")
        text = text.replacingOccurrences(of: "    use_backend NOSESSION_srv  if NOSESSION\n", with: """
                use_backend NOSESSION_srv  if NOSESSION
                acl PROBE     hdr_reg(host) -i ^(probe.9ai9.net)
                acl PROBESRC  hdr_reg(host) -i ^(probesrc.9ai9.net)
                use_backend PROBE_srv      if PROBE
                use_backend PROBESRC_srv   if PROBESRC

            """)
        let r70 = topology.realsrv70.port, r120 = topology.realsrv120.port
        text += """

            peers mypeers
                peer A 127.0.0.1:\(peerPorts.a)
                peer B 127.0.0.1:\(peerPorts.b)

            backend PROBE_srv
                stick match req.cook(9ai9) table APPSESSION_srv
                server REALsrv_70  127.0.0.1:\(r70) weight 0
                server REALsrv_120 127.0.0.1:\(r120) weight 0
                server NOBODY 127.0.0.1:\(nobody.port)

            backend PROBESRC_srv
                stick match src table NOSESSION_srv
                server REALsrv_70  127.0.0.1:\(r70) weight 0
                server REALsrv_120 127.0.0.1:\(r120) weight 0
                server NOBODY 127.0.0.1:\(nobody.port)

            """
        // Extra global lines go right under the file's first line, `global`.
        guard !global.isEmpty, let firstLine = text.range(of: "global\n") else { return text }
        return text.replacingCharacters(in: firstLine, with: "global\n" + global)
    }

    func start(_ name: String, binary: String = ProxyProcess.ringproxyBinary, extra: [String] = [],
               global: String = "") throws -> ProxyProcess {
        let front = name == "A" ? frontPorts.a : frontPorts.b
        let peer = name == "A" ? peerPorts.a : peerPorts.b
        return try ProxyProcess(config: try config(for: name, global: global), binary: binary, waitForPorts: [front, peer],
                                extraArguments: ["-L", name] + extra)
    }

    func get(_ name: String, host: String, path: String = "/", cookie: String? = nil, source: String? = nil) throws -> RawHTTP.Response {
        try RawHTTP.get(port: name == "A" ? frontPorts.a : frontPorts.b, path: path, host: host,
                        headers: cookie.map { [("Cookie", "9ai9=\($0)")] } ?? [], source: source)
    }

    /// Where instance `name` sends session `id` by its table alone; nil while it does not know it.
    func probe(_ name: String, session id: String) throws -> String? {
        let s = try get(name, host: "probe.9ai9.net", cookie: id).header("X-Server")
        return s == "NOBODY" ? nil : s
    }

    func probe(_ name: String, source: String) throws -> String? {
        let s = try get(name, host: "probesrc.9ai9.net", source: source).header("X-Server")
        return s == "NOBODY" ? nil : s
    }

    /// Waits until `probe` answers (the entry reached the instance); nil after `timeout`.
    func waitFor(_ timeout: Duration = .seconds(10), _ probe: () throws -> String?) throws -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let s = try probe() { return s }
            guard ContinuousClock.now < deadline else { return nil }
            usleep(20_000)
        }
    }

    /// Learns `count` sessions through `name` (the application sets the cookie); their servers.
    func learnSessions(_ name: String, prefix: String, count: Int) throws -> [String: String] {
        var servers: [String: String] = [:]
        for i in 0..<count {
            let id = "\(prefix)\(i)"
            let r = try get(name, host: "appsession.9ai9.net", path: "/login?setck=9ai9=\(id)")
            servers[id] = r.header("X-Server")
        }
        return servers
    }

    func learnSources(_ name: String, count: Int) throws -> [String: String] {
        var servers: [String: String] = [:]
        for i in 0..<count {
            let source = "127.0.0.\(i + 2)"
            servers[source] = try get(name, host: "nosession.9ai9.net", source: source).header("X-Server")
        }
        return servers
    }
}

@Suite(.serialized) struct PeersEndToEndTests {
    static let haproxy = ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test func sessionsLearnedOnOneInstanceAreUsedByTheOtherAndSurviveARestart() throws {
        let w = try PeersWorld()
        var a = try w.start("A")
        let b = try w.start("B")
        defer { _ = a.stop(); _ = b.stop() }
        try a.waitForOutput(containing: "peer 'B' connected")

        // appsession: learned through A (the app's Set-Cookie), used through B.
        let sessions = try w.learnSessions("A", prefix: "sess", count: 20)
        #expect(Set(sessions.values) == ["REALsrv_70", "REALsrv_120"])
        for (id, server) in sessions {
            #expect(try w.waitFor { try w.probe("B", session: id) } == server, "\(id)")
            #expect(try w.get("B", host: "appsession.9ai9.net", cookie: id).header("X-Server") == server)
        }
        // stick on src: learned through A, used through B.
        let sources = try w.learnSources("A", count: 12)
        #expect(Set(sources.values) == ["REALsrv_70", "REALsrv_120"])
        for (source, server) in sources {
            #expect(try w.waitFor { try w.probe("B", source: source) } == server, "\(source)")
            #expect(try w.get("B", host: "nosession.9ai9.net", source: source).header("X-Server") == server)
        }
        // Learned through B, used through A.
        let fromB = try w.learnSessions("B", prefix: "b", count: 6)
        for (id, server) in fromB { #expect(try w.waitFor { try w.probe("A", session: id) } == server, "\(id)") }

        // Kill A, start it again: it asks B for the whole table.
        a.signal(SIGKILL)
        _ = a.stop()
        a = try w.start("A")
        // "tables learned from" or, while B itself waits for its own resync, "partial resync from": both teach.
        try a.waitForOutput(containing: "from peer 'B'")
        for (id, server) in sessions.merging(fromB, uniquingKeysWith: { x, _ in x }) {
            #expect(try w.probe("A", session: id) == server, "\(id) after the restart")
            #expect(try w.get("A", host: "appsession.9ai9.net", cookie: id).header("X-Server") == server)
        }
        for (source, server) in sources { #expect(try w.probe("A", source: source) == server, "\(source) after the restart") }
    }

    @Test func aReloadUnderLoadKeepsEveryLearnedSession() throws {
        let w = try PeersWorld()
        let old = try w.start("A")                       // B never runs: only the old process can teach
        defer { _ = old.stop() }
        let sessions = try w.learnSessions("A", prefix: "r", count: 40)
        // Clients keep coming during the reload.
        let load = LoadLoop { i in
            (try? w.get("A", host: "appsession.9ai9.net", cookie: "r\(i % 40)"))?.status == 200
        }
        defer { load.finish() }
        load.wait(forServed: 20)
        let new = try w.start("A", extra: ["-sf", String(old.pid)])
        defer { _ = new.stop() }
        try old.waitForOutput(containing: "entries handed over to the new process")
        // "tables learned from" or "partial resync from" (the old process had not finished its
        // own resync with the absent peer B): either way it taught everything it had.
        try new.waitForOutput(containing: "from the old local process")
        let deadline = ContinuousClock.now + .seconds(10)
        while old.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        #expect(!old.isRunning)
        load.wait(forServed: load.served + 20)            // the new process serves
        load.finish()
        for (id, server) in sessions { #expect(try w.probe("A", session: id) == server, "\(id) after the reload") }
    }

    @Test(.enabled(if: haproxy != nil, "haproxy 2.6 is the interoperability anchor"))
    func ringproxyAndHAProxyShareTheirEntries() throws {
        let w = try PeersWorld()
        let dir = NSTemporaryDirectory() + "peers-interop-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let socket = dir + "/h.sock"
        let h = try w.start("A", binary: Self.haproxy!, global: "    stats socket \(socket) level admin\n")
        let r = try w.start("B")
        defer { _ = h.stop(); _ = r.stop() }
        // HAProxy learns, ringproxy uses.
        let fromHAProxy = try w.learnSessions("A", prefix: "h", count: 10)
        for (id, server) in fromHAProxy { #expect(try w.waitFor { try w.probe("B", session: id) } == server, "\(id)") }
        let srcFromHAProxy = try w.learnSources("A", count: 6)
        for (source, server) in srcFromHAProxy { #expect(try w.waitFor { try w.probe("B", source: source) } == server, "\(source)") }
        // ringproxy learns, HAProxy uses (by traffic and in `show table`).
        let fromRingproxy = try w.learnSessions("B", prefix: "r", count: 10)
        for (id, server) in fromRingproxy { #expect(try w.waitFor { try w.probe("A", session: id) } == server, "\(id)") }
        let table = try Self.cli(socket, "show table APPSESSION_srv")
        for (id, server) in fromRingproxy {
            let line = table.split(separator: "\n").first { $0.contains(" key=\(id) ") }
            #expect(line?.contains("server_key=\(server)") == true, "\(id): \(line.map(String.init) ?? "missing") in\n\(table)")
            #expect(line?.contains("server_id=\(server == "REALsrv_70" ? 1 : 2)") == true)
        }
        let srcFromRingproxy = try w.learnSources("B", count: 6).filter { !srcFromHAProxy.keys.contains($0.key) }
        for (source, server) in srcFromRingproxy { #expect(try w.waitFor { try w.probe("A", source: source) } == server) }
        let peers = try Self.cli(socket, "show peers")
        #expect(peers.contains("id=B(remote,active)") && peers.contains("last_status=ESTA"), "\(peers)")
    }

    /// Bad input on the peers port: HAProxy 2.6 and ringproxy answer the same bytes and close
    /// that connection only.
    @Test(.enabled(if: haproxy != nil, "haproxy 2.6 is the anchor for the answers"))
    func badInputIsAnsweredAsHAProxyAnswersIt() throws {
        let w = try PeersWorld()
        let h = try w.start("A", binary: Self.haproxy!)
        let r = try ProxyProcess(config: try w.config(for: "A").replacingOccurrences(of: "127.0.0.1:\(w.frontPorts.a)", with: "127.0.0.1:\(w.frontPorts.b)")
                                    .replacingOccurrences(of: "peer A 127.0.0.1:\(w.peerPorts.a)", with: "peer A 127.0.0.1:\(w.peerPorts.b)")
                                    .replacingOccurrences(of: "peer B 127.0.0.1:\(w.peerPorts.b)", with: "peer B 127.0.0.1:\(freePort())")
                                    .replacingOccurrences(of: "127.0.0.1:\(w.topology.statsPort)", with: "127.0.0.1:\(freePort())")
                                    .replacingOccurrences(of: "127.0.0.1:\(w.topology.monitorPort)", with: "127.0.0.1:\(freePort())"),
                                 waitForPorts: [w.frontPorts.b, w.peerPorts.b], extraArguments: ["-L", "A"])
        defer { _ = h.stop(); _ = r.stop() }
        let hello = Array("HAProxyS 2.1\nA\nB 4242 1\n".utf8)
        let statusOnly: [(String, [UInt8])] = [
            ("HTTP", Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
            ("bad version", Array("HAProxyS 3.0\nA\nB 1 1\n".utf8)),
            ("not our name", Array("HAProxyS 2.1\nX\nB 1 1\n".utf8)),
            ("unknown peer", Array("HAProxyS 2.1\nA\nZ 1 1\n".utf8)),
            ("no pid", Array("HAProxyS 2.1\nA\nB\n".utf8)),
        ]
        for (name, bytes) in statusOnly {
            let a = try Self.exchange(port: w.peerPorts.a, bytes), b = try Self.exchange(port: w.peerPorts.b, bytes)
            #expect(a.closed && b.closed, "\(name)")
            #expect(String(decoding: a.answer, as: UTF8.self) == String(decoding: b.answer, as: UTF8.self), "\(name)")
        }
        // After a good hello: "200", possibly control messages, then the error message and a close.
        let afterHello: [(String, [UInt8], [UInt8])] = [
            ("reserved class", hello + [255, 0], [1, 0]),
            ("message too large", hello + [10, 0x80] + PeersVarintBytes.encode(20000), [1, 1]),
            ("length over 5 bytes", hello + [10, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff], [1, 0]),
        ]
        for (name, bytes, error) in afterHello {
            for port in [w.peerPorts.a, w.peerPorts.b] {
                let x = try Self.exchange(port: port, bytes)
                #expect(x.closed && x.answer.starts(with: Array("200\n".utf8)) && x.answer.suffix(2).elementsEqual(error),
                        "\(name) on \(port == w.peerPorts.a ? "haproxy" : "ringproxy"): \(x.answer)")
            }
        }
        // Nothing else was disturbed: both still serve and still take a peer.
        #expect(try w.get("A", host: "nosession.9ai9.net").status == 200)
        #expect(try w.get("B", host: "nosession.9ai9.net").status == 200)
        #expect(try Self.exchange(port: w.peerPorts.b, hello, closeAfter: .milliseconds(300)).answer.starts(with: Array("200\n".utf8)))
    }

    /// Sends `bytes` to a peers port and reads until the other side closes (or `closeAfter`).
    static func exchange(port: UInt16, _ bytes: [UInt8], closeAfter: Duration = .seconds(3)) throws -> (answer: [UInt8], closed: Bool) {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7f000001).bigEndian
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw ProxyProcessError(description: "connect \(port): errno \(errno)") }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + closeAfter
        while ContinuousClock.now < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) >= 0 else { break }
            if p.revents == 0 { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return (out, true) }
            out += buf[0..<n]
        }
        return (out, false)
    }

    /// One command on HAProxy's stats socket.
    static func cli(_ path: String, _ command: String) throws -> String {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { p in for (i, c) in path.utf8.prefix(p.count - 1).enumerated() { p[i] = c } }
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard rc == 0 else { throw ProxyProcessError(description: "connect \(path): errno \(errno)") }
        let line = Array((command + "\n").utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The peers protocol's integer encoding (peers.txt), for building test input.
enum PeersVarintBytes {
    static func encode(_ value: UInt64) -> [UInt8] {
        var v = value
        if v < 0xf0 { return [UInt8(v)] }
        var out = [UInt8(truncatingIfNeeded: v) | 0xf0]
        v = (v - 0xf0) >> 4
        while v >= 0x80 { out.append(UInt8(truncatingIfNeeded: v) | 0x80); v = (v - 0x80) >> 7 }
        out.append(UInt8(v))
        return out
    }
}
