// Run-time DNS end to end: a `server-template` over an SRV label, answered by a fake DNS
// server in the test process whose answers change while the proxy runs. The slots fill from
// the SRV records (target, port) and their A records, take traffic, follow the answers, and
// go to maintenance (resolution) when left without a record. Run through ringproxy and, when
// installed, through HAProxy 2.6 with the same configuration and answers.
import Foundation
import Glibc
import Testing
import Origins
import CBench
import CUring

@Suite(.serialized) struct ResolversEndToEndTests {
    /// What one phase looks like from outside: the ports of the slots in service, how many
    /// slots wait in maintenance (resolution), and which origins answered. Which slot takes
    /// which record is not compared: HAProxy fills them in its own order (the reverse of the
    /// answer's, and a freed slot after the empty ones), ringproxy in the answer's.
    struct Phase: Equatable, CustomStringConvertible {
        var upPorts: [Int]
        var waiting: Int
        var origins: Set<String>
        var description: String { "up \(upPorts) waiting \(waiting) origins \(origins.sorted())" }
    }

    static func config(socket: String, front: UInt16, dns: UInt16) -> String {
        """
        global
            stats socket \(socket) level admin
        resolvers fake
            nameserver ns1 127.0.0.1:\(dns)
            resolve_retries 2
            timeout resolve 100ms
            timeout retry 300ms
            hold valid 200ms
        defaults
            mode http
            timeout client 5s
            timeout server 5s
            timeout connect 1s
        listen l
            bind 127.0.0.1:\(front)
            balance roundrobin
            server-template www 3 _http._tcp.app.rp.test resolvers fake resolve-prefer ipv4 init-addr none
        """
    }

    /// `show servers state l` → (name, op, admin, port) per slot.
    static func slots(_ socket: String) throws -> [(String, Int, Int, Int)] {
        try CLIClient.send("show servers state l", socket: socket).split(separator: "\n").dropFirst(2).compactMap { line in
            let f = line.split(separator: " ").map(String.init)
            guard f.count > 18 else { return nil }
            return (f[3], Int(f[5]) ?? -1, Int(f[6]) ?? -1, Int(f[18]) ?? -1)
        }
    }

    /// Waits until the proxy shows `want` (ports in service, slots waiting, origins answering).
    static func waitFor(_ want: Phase, socket: String, front: UInt16) throws -> Phase {
        var seen = Phase(upPorts: [], waiting: -1, origins: [])
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            let s = try slots(socket)
            var origins = Set<String>()
            for _ in 0..<9 {
                if let r = try? RawHTTP.get(port: front, path: "/dns") { origins.insert(r.status == 200 ? (r.header("X-Server") ?? "?") : "\(r.status)") }
            }
            seen = Phase(upPorts: s.filter { $0.1 == 2 && $0.2 & 0x21 == 0 }.map(\.3).sorted(), waiting: s.filter { $0.2 & 0x20 != 0 }.count, origins: origins)
            if seen == want { break }
            usleep(100_000)
        }
        return seen
    }

    static func run(binary: String?) throws -> [Phase] {
        let a = try AppServer(name: "A", port: 0), b = try AppServer(name: "B", port: 0), c = try AppServer(name: "C", port: 0)
        defer { a.stop(); b.stop(); c.stop() }
        let dns = try FakeDNSServer()
        defer { dns.stop() }
        let srv = "_http._tcp.app.rp.test"
        dns.zone.withLock { z in
            z.a = ["a.rp.test": ["127.0.0.1"], "b.rp.test": ["127.0.0.1"], "c.rp.test": ["127.0.0.1"]]
            z.additional = ["a.rp.test"]        // b and c: the proxy asks for their A records
            z.srv[srv] = [.init(target: "a.rp.test", port: a.port), .init(target: "b.rp.test", port: b.port)]
        }
        var t = Array("/tmp/rp-dns-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&t)!)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let socket = dir + "/s.sock", front = freePort()
        let text = config(socket: socket, front: front, dns: dns.port)
        let proxy = binary == nil ? try ProxyProcess(config: text, waitForPorts: [front])
                                  : try HAProxyProcess.start(config: text, waitForPorts: [front])
        defer { proxy.stop() }
        try CLIClient.waitForSocket(socket)
        var phases: [Phase] = []
        phases.append(try waitFor(Phase(upPorts: [Int(a.port), Int(b.port)].sorted(), waiting: 1, origins: ["A", "B"]), socket: socket, front: front))
        dns.zone.withLock { $0.srv[srv] = [.init(target: "a.rp.test", port: a.port), .init(target: "c.rp.test", port: c.port)] }
        phases.append(try waitFor(Phase(upPorts: [Int(a.port), Int(c.port)].sorted(), waiting: 1, origins: ["A", "C"]), socket: socket, front: front))
        dns.zone.withLock { $0.srv[srv] = [.init(target: "c.rp.test", port: c.port)] }
        phases.append(try waitFor(Phase(upPorts: [Int(c.port)], waiting: 2, origins: ["C"]), socket: socket, front: front))
        let ports = [a.port, b.port, c.port].map(Int.init)
        // Ports differ per run: compare them by origin (index into A, B, C).
        return phases.map { p in Phase(upPorts: p.upPorts.map { ports.firstIndex(of: $0) ?? -1 }.sorted(), waiting: p.waiting, origins: p.origins) }
    }

    static let expected = [
        Phase(upPorts: [0, 1], waiting: 1, origins: ["A", "B"]),
        Phase(upPorts: [0, 2], waiting: 1, origins: ["A", "C"]),
        Phase(upPorts: [2], waiting: 2, origins: ["C"]),
    ]

    @Test func srvSlotsFillTakeTrafficAndFollowTheAnswers() throws {
        let phases = try Self.run(binary: nil)
        #expect(phases == Self.expected, "\(phases)")
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs /usr/sbin/haproxy"))
    func haproxyDoesTheSame() throws {
        let phases = try Self.run(binary: HAProxyProcess.executable)
        #expect(phases == Self.expected, "\(phases)")
    }
}
