// An origin server whose every connection runs a test's script on its own thread: read a head,
// answer, stall, half-close, reset... Counts the connections it accepted.
import Foundation
import Glibc
import Synchronization

/// One accepted connection, seen from the origin's side.
final class OriginConn {
    let fd: Int32
    private(set) var buffer: [UInt8] = []
    private(set) var eof = false
    init(fd: Int32) { self.fd = fd }

    /// Reads until a complete head; returns it (body bytes already read stay in `buffer`).
    func readHead(timeoutMs: Int64 = 5000) throws -> String {
        let deadline = Sockets.now() + timeoutMs
        while true {
            if let end = TestClient.find(buffer, Array("\r\n\r\n".utf8)) {
                let head = String(decoding: buffer[0..<end + 4], as: UTF8.self)
                buffer.removeFirst(end + 4)
                return head
            }
            guard try more(deadline) else { throw SocketError("origin: no head (eof \(eof), \(buffer.count) bytes)") }
        }
    }

    /// Reads exactly n body bytes (those already buffered first).
    func readBody(_ n: Int, timeoutMs: Int64 = 10000) throws -> [UInt8] {
        let deadline = Sockets.now() + timeoutMs
        while buffer.count < n { guard try more(deadline) else { throw SocketError("origin: body cut at \(buffer.count)/\(n)") } }
        let b = Array(buffer[0..<n]); buffer.removeFirst(n)
        return b
    }

    /// True when the peer closes (EOF or reset) within `ms`.
    func seesClose(within ms: Int64) -> Bool {
        let deadline = Sockets.now() + ms
        while !eof { if (try? more(deadline)) != true { break } }
        return eof
    }

    private func more(_ deadline: Int64) throws -> Bool {
        let left = deadline - Sockets.now()
        guard left > 0 else { return false }
        do {
            guard let got = try Sockets.read(fd, timeout: Int32(left)) else { return false }
            if got.isEmpty { eof = true; return false }
            buffer += got
            return true
        } catch { eof = true; return false }
    }

    func write(_ text: String) throws { try Sockets.sendAll(fd, Array(text.utf8)) }
    func write(_ bytes: [UInt8]) throws { try Sockets.sendAll(fd, bytes) }
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }
}

final class ScriptedOrigin: @unchecked Sendable {   // the listening fd and counters only
    let fd: Int32
    let port: UInt16
    private let accepted = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// The accept thread has closed the listening socket and returned.
    private let exited = Atomic<Bool>(false)
    private let script: @Sendable (OriginConn, Int) throws -> Void
    private let thread: Thread

    var connectionsAccepted: Int { accepted.load(ordering: .relaxed) }
    /// The client ports of the connections this origin accepted: a port number the kernel hands
    /// out is often handed out again in one test run, and a socket of another test still
    /// connected to an earlier listener of this port (half-closed, in a pool) has it as its
    /// remote port too; these tell this origin's own connections apart.
    var acceptedPeerPorts: Set<UInt16> { peers.withLock { $0 } }
    private let peers = Mutex<Set<UInt16>>([])
    /// Connections whose script has returned and which the origin has closed.
    var connectionsClosed: Int { finished.load(ordering: .acquiring) }
    private let finished = Atomic<Int>(0)

    /// `script(conn, index)` runs once per accepted connection (index from 0), on its own thread;
    /// the connection is closed when it returns.
    init(backlog: Int32 = 128, receiveBuffer: Int32 = 0, port wanted: UInt16 = 0,
         script: @escaping @Sendable (OriginConn, Int) throws -> Void) throws {
        let l = try Sockets.listen(backlog: backlog, port: wanted)
        if receiveBuffer > 0 {          // inherited by accepted sockets: a small TCP window
            var v = receiveBuffer
            setsockopt(l.fd, SOL_SOCKET, SO_RCVBUF, &v, socklen_t(MemoryLayout<Int32>.size))
        }
        fd = l.fd; port = l.port
        self.script = script
        let box = Box()
        thread = Thread { box.origin?.acceptLoop() }
        box.origin = self
        thread.start()
    }
    private final class Box: @unchecked Sendable { weak var origin: ScriptedOrigin? }

    /// Only this thread touches the listening socket, and it closes it itself: closed by
    /// `stop` while this thread was between its check and its poll, the number could be another
    /// test's socket by then (tests run in parallel in one process), whose connection this
    /// thread would then accept and run its script on.
    private func acceptLoop() {
        defer { close(fd); exited.store(true, ordering: .releasing) }
        while !stopping.load(ordering: .relaxed) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) == 1 else { continue }
            var peer = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let c = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(fd, $0, &len) } }
            if c >= 0 { _ = fcntl(c, F_SETFD, FD_CLOEXEC) }   // not inherited by the proxies tests start
            if c < 0 { continue }
            peers.withLock { _ = $0.insert(UInt16(bigEndian: peer.sin_port)) }
            let index = accepted.wrappingAdd(1, ordering: .relaxed).oldValue
            let script = self.script
            Thread { [self] in
                let conn = OriginConn(fd: c)
                try? script(conn, index)
                close(c)
                finished.add(1, ordering: .releasing)
            }.start()
        }
    }

    /// Stops accepting; returns once the accept thread has closed the socket.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        while !exited.load(ordering: .acquiring) { usleep(1000) }
    }
    /// Without `stop` the accept thread (which holds the origin while it runs) never started.
    deinit { if !exited.load(ordering: .acquiring) { close(fd) } }
}

/// A body whose every byte depends on its offset, to see that nothing is lost or reordered.
func pattern(_ n: Int, seed: Int = 7) -> [UInt8] {
    (0..<n).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ seed &+ $0 >> 11)) }
}
