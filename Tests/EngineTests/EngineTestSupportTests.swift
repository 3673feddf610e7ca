// The engine tests share one process with every other suite, running in parallel: a number the
// test support closed may be another test's socket (or one of its engine's) a moment later.
import Glibc
import Testing

@Suite struct EngineTestSupportTests {
    @Test func aResetClientDoesNotCloseItsNumberAgain() throws {
        let l = try Sockets.listen()
        defer { close(l.fd) }
        var c: TestClient? = try TestClient(port: l.port)
        c!.reset()                                   // closes its socket (with a reset)
        var pairs: [(Int32, Int32)] = []             // likely to take the number just freed
        for _ in 0..<16 {
            var sv: [Int32] = [-1, -1]
            if socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sv) == 0 { pairs.append((sv[0], sv[1])) }
        }
        defer { pairs.forEach { close($0.0); close($0.1) } }
        c = nil                                      // deinit: must not close that number
        for (a, b) in pairs {
            var x: UInt8 = 7, y: UInt8 = 0
            #expect(send(a, &x, 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) == 1 && recv(b, &y, 1, Int32(MSG_DONTWAIT)) == 1)
        }
    }

    /// The flake of EngineExchangeTests.hardStop… (toOrigin.count 5): a port number is handed
    /// out again within a run, and a socket still connected to its earlier listener (here a
    /// client the earlier server closed, in CLOSE_WAIT) has the same remote port as the new
    /// origin's connections. The origin's peer ports tell its own apart.
    @Test func aStaleConnectionToAnEarlierListenerOfThePortIsNotTheOrigins() throws {
        let earlier = try Sockets.listen()
        let stale = try Sockets.connect(port: earlier.port)
        defer { close(stale) }
        let a = accept(earlier.fd, nil, nil)
        close(a); close(earlier.fd)                   // `stale` is left in CLOSE_WAIT
        let origin = try ScriptedOrigin(port: earlier.port) { conn, _ in _ = conn.seesClose(within: 5_000) }
        defer { origin.stop() }
        let fresh = try Sockets.connect(port: origin.port)
        defer { close(fresh) }
        #expect(eventually { origin.connectionsAccepted == 1 })
        #expect(TCPTable.inodes { $0.remote == origin.port }.count == 2)           // the old count
        #expect(TCPTable.inodes { $0.remote == origin.port && origin.acceptedPeerPorts.contains($0.local) }.count == 1)
    }

    @Test func aStoppedOriginHasClosedItsListenerAndAcceptsNothing() throws {
        let o = try ScriptedOrigin { conn, _ in _ = try conn.readHead() }
        o.stop()
        #expect(throws: SocketError.self) { _ = try Sockets.connect(port: o.port) }
    }
}
