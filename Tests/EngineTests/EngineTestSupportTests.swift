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

    @Test func aStoppedOriginHasClosedItsListenerAndAcceptsNothing() throws {
        let o = try ScriptedOrigin { conn, _ in _ = try conn.readHead() }
        o.stop()
        #expect(throws: SocketError.self) { _ = try Sockets.connect(port: o.port) }
    }
}
