import CBench
import Foundation
import Testing

/// Virtual clients with cookie jars detect whether a target keeps each client on one server.
@Suite struct BenchStickinessTests {
    @Test func alternatingTargetIsDetectedAsNotSticky() throws {
        let lb = try BenchTestServer(name: "s", backends: 2)
        // One connection visiting 5 clients in turn; the target alternates 2 servers per request,
        // so every client lands on the other server at each visit: all but the first responses move.
        let r = BenchRun(port: lb.port, threads: 1, connections: 1, clients: 5, requests: 400, serverIDHeader: "x-server").run()
        #expect(r.responses == 400)
        #expect(r.identified == 400)
        #expect(r.moves == 395)
        #expect(r.clients_moved == 5)
        #expect(Set(r.serverNames) == ["s1", "s2"])
    }

    @Test func cookieHonouringTargetReportsZeroMoves() throws {
        let lb = try BenchTestServer(name: "s", backends: 3, stickyCookie: "SRV")
        let r = BenchRun(port: lb.port, connections: 4, clients: 30, requests: 600, serverIDHeader: "X-Server").run()
        #expect(r.responses == 600)
        #expect(r.identified == 600)
        #expect(r.moves == 0)
        #expect(Set(r.serverNames) == ["s1", "s2", "s3"])  // clients were spread, then stayed
    }

    @Test func bodyPatternServerIDWorksToo() throws {
        let lb = try BenchTestServer(name: "b", backends: 2)
        // One connection, three clients in turn, two servers in turn: each client sees both.
        let r = BenchRun(port: lb.port, threads: 1, connections: 1, clients: 3, requests: 100, serverIDBody: "server=").run()
        #expect(r.identified == 100)
        #expect(r.moves > 0)
        #expect(Set(r.serverNames) == ["b1", "b2"])
    }

    @Test func sourceAddressesAreUsed() throws {
        // Connections are bound round-robin to the source addresses and keep theirs on reconnect.
        let server = try BenchTestServer(echoPeer: true)
        let r = BenchRun(port: server.port, connections: 4, requests: 80, closeEach: true,
                         serverIDBody: "peer=", sources: [0x7f00_0002, 0x7f00_0003]).run()
        #expect(r.responses == 80)
        #expect(r.err_connect == 0)
        let peers = r.serverCounts  // how many responses each source address got
        #expect(Set(peers.keys) == ["127.0.0.2", "127.0.0.3"])
        #expect(peers.values.reduce(0, +) == 80 && peers.values.allSatisfy { $0 >= 10 }, "\(peers)")
    }
}
