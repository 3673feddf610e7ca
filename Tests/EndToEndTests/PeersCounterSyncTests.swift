// Stick counters over the peers protocol: what one instance counts (tcp-request content
// track-sc0 in mode tcp, http-request track-sc0 + sc-inc-gpc0 in mode http) appears in the
// other's `show table` with the same values, between ringproxy and HAProxy 2.6 both ways (or
// between two ringproxy instances when HAProxy is not installed). conn_cur is never learned.
import Foundation
import Glibc
import Testing

@Suite(.serialized) struct PeersCounterSyncTests {
    struct Instance {
        let name: String
        let binary: String
        let front: UInt16
        let peer: UInt16
        let socket: String
    }

    static func config(_ me: Instance, _ other: Instance, mode: String) -> String {
        let rules = mode == "tcp"
            ? "    tcp-request inspect-delay 1s\n    tcp-request content track-sc0 url table stkt\n    tcp-request content sc-inc-gpc0(0)\n"
            : "    http-request track-sc0 url table stkt\n    http-request sc-inc-gpc0(0)\n"
        return """
            global
                stats socket \(me.socket) level admin
            defaults
                mode \(mode)
                timeout client 5s
                timeout connect 5s
                timeout server 5s
            backend stkt
                stick-table type string size 1m store server_id,gpc0,conn_cur,conn_rate(50000) peers peers
            peers peers
                bind 127.0.0.1:\(me.peer)
                server \(me.name)
                server \(other.name) 127.0.0.1:\(other.peer)
            frontend fe
                bind 127.0.0.1:\(me.front)
            \(rules)
            """
    }

    /// The entries of `show table stkt`, without their addresses (they differ by design).
    static func entries(_ i: Instance) -> [String] {
        guard let text = try? PeersEndToEndTests.cli(i.socket, "show table stkt") else { return [] }
        return text.split(separator: "\n").filter { $0.hasPrefix("0x") }
            .map { String($0.drop(while: { $0 != " " }).dropFirst()) }.sorted()
    }

    static func hit(_ i: Instance, _ path: String) throws {
        let c = try RawHTTP(port: i.front)
        try c.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = TCPModeEndToEndTests.readAll(c.fd, timeout: .seconds(3))
    }

    static func waitFor(_ want: [String], on i: Instance) -> [String] {
        let deadline = ContinuousClock.now + .seconds(10)
        var got = entries(i)
        while got != want && ContinuousClock.now < deadline { usleep(50_000); got = entries(i) }
        return got
    }

    @Test(arguments: ["tcp", "http"])
    func countersTravelBothWays(_ mode: String) throws {
        let dir = NSTemporaryDirectory() + "peers-counters-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let other = PeersEndToEndTests.haproxy ?? ProxyProcess.ringproxyBinary
        let a = Instance(name: "A", binary: other, front: freePort(), peer: freePort(), socket: dir + "/a.sock")
        let b = Instance(name: "B", binary: ProxyProcess.ringproxyBinary, front: freePort(), peer: freePort(), socket: dir + "/b.sock")
        let pa = try ProxyProcess(config: Self.config(a, b, mode: mode), binary: a.binary, waitForPorts: [a.front, a.peer], extraArguments: ["-L", "A"])
        defer { pa.stop() }
        // Counted on A before B exists: B gets them by its resynchronisation.
        for p in ["/c1", "/c2", "/c1"] { try Self.hit(a, p) }
        let pb = try ProxyProcess(config: Self.config(b, a, mode: mode), binary: b.binary, waitForPorts: [b.front, b.peer], extraArguments: ["-L", "B"])
        defer { pb.stop() }
        let want1 = ["key=/c1 use=0 exp=0 server_id=0 gpc0=2 conn_rate(50000)=2 conn_cur=0",
                     "key=/c2 use=0 exp=0 server_id=0 gpc0=1 conn_rate(50000)=1 conn_cur=0"]
        #expect(Self.waitFor(want1, on: a) == want1, "A (\(a.binary))")
        #expect(Self.waitFor(want1, on: b) == want1, "B learned by resync")
        // Counted on B once both run: A gets the update.
        for p in ["/c2", "/c3"] { try Self.hit(b, p) }
        let want2 = ["key=/c1 use=0 exp=0 server_id=0 gpc0=2 conn_rate(50000)=2 conn_cur=0",
                     "key=/c2 use=0 exp=0 server_id=0 gpc0=2 conn_rate(50000)=2 conn_cur=0",
                     "key=/c3 use=0 exp=0 server_id=0 gpc0=1 conn_rate(50000)=1 conn_cur=0"]
        #expect(Self.waitFor(want2, on: b) == want2, "B")
        #expect(Self.waitFor(want2, on: a) == want2, "A (\(a.binary)) learned B's update")
    }
}
