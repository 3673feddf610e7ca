import CUring
import Glibc
import Synchronization

/// Forwards a ring's lines to one of its `server`s over TCP, as HAProxy's ring forwarding
/// does: from the oldest line kept on, each line newline-terminated (`log-proto legacy`, the
/// default; observed on 2.6.12) or framed by octet counting (`LEN LINE`, RFC 6587); after a failure it reconnects and
/// resumes where it stopped (lines evicted meanwhile are lost). One thread per server; it only
/// wakes when the ring signals new lines, so idle rings cost nothing.
public final class LogRingForwarder: @unchecked Sendable {
    // @unchecked: `thread` is touched by start/stop only; the loop's state is its own.
    let ring: LogRing
    let server: RingServerConfig
    let stopping = Atomic<Bool>(false)
    var thread: ControlThread? = nil
    /// Lines sent so far (tests).
    public let forwarded = Atomic<Int>(0)

    public init(ring: LogRing, server: RingServerConfig) { self.ring = ring; self.server = server }

    public func start() throws {
        thread = try ControlThread(name: "log-ring") { self.run() }
    }

    public func stop() {
        stopping.store(true, ordering: .relaxed)
        thread?.join(); thread = nil
    }

    func run() {
        var seq: UInt64 = 0
        var sock: Int32 = -1
        defer { if sock >= 0 { close(sock) } }
        while !stopping.load(ordering: .relaxed) {
            if sock < 0 {
                sock = connectServer()
                if sock < 0 { waitForLines(timeoutMs: 1000); continue }
            }
            let batch = ring.read(from: seq)
            seq += batch.lost
            if batch.lines.isEmpty { waitForLines(timeoutMs: 100); continue }
            var sentAll = true
            for line in batch.lines {
                guard send(framed(line), on: sock) else { sentAll = false; break }
                seq += 1
                forwarded.add(1, ordering: .relaxed)
            }
            if !sentAll { close(sock); sock = -1 }
        }
    }

    func framed(_ line: [UInt8]) -> [UInt8] {
        switch server.framing {
        case .octetCount: return Array("\(line.count) ".utf8) + line
        case .legacy: return line + [UInt8(ascii: "\n")]
        }
    }

    /// Sleeps until the ring signals new lines, the timeout, or a stop.
    func waitForLines(timeoutMs: Int32) {
        guard ring.wakeFD >= 0 else { usleep(UInt32(timeoutMs) * 1000); return }
        var p = pollfd(fd: ring.wakeFD, events: Int16(POLLIN), revents: 0)
        if poll(&p, 1, timeoutMs) > 0 {
            var drain = [UInt8](repeating: 0, count: 64)
            while read(ring.wakeFD, &drain, drain.count) > 0 {}
        }
    }

    func connectServer() -> Int32 {
        guard let a = SocketAddress(host: server.host, port: server.port) else { return -1 }
        let fd = socket(a.family, Int32(Glibc.SOCK_STREAM.rawValue) | Int32(Glibc.SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var tv = timeval(tv_sec: ring.serverTimeoutMs / 1000, tv_usec: Int((ring.serverTimeoutMs % 1000) * 1000))
        var ctv = timeval(tv_sec: ring.connectTimeoutMs / 1000, tv_usec: Int((ring.connectTimeoutMs % 1000) * 1000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &ctv, socklen_t(MemoryLayout<timeval>.size))   // bounds connect()
        var st = a.storage
        let rc = withUnsafePointer(to: &st) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, a.length) } }
        guard rc == 0 else { close(fd); return -1 }
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    func send(_ bytes: [UInt8], on fd: Int32) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            off += n
        }
        return true
    }
}
