// An HTTP/1.1 origin server for loopback tests, benchmarks and the demo: plain blocking POSIX
// sockets, one accept thread and one thread per connection (simple to reason about, and a few
// hundred threads are cheap). Correctness first: keep-alive per RFC 9112, Content-Length and
// chunked request bodies read in full, pipelined requests answered in order.
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A named origin server. `stop()` (or deinit) closes every socket and joins every thread.
///
///     let s = try AppServer(name: "REALsrv_70", port: 0, behaviour: .echo)
///     // … connect to 127.0.0.1:s.port …
///     s.stop()
public final class AppServer: Sendable {
    public enum Behaviour: Sendable {
        /// The spec's observation harness: the body echoes the request head; query options
        /// steer the answer (see `EchoResponder`).
        case echo
        /// A PHP application with session.name = 9ai9 (see `PHPSessionResponder`).
        case phpApp
    }

    public let name: String
    public let host: String
    /// The bound port (the ephemeral one chosen when 0 was asked for).
    public let port: UInt16
    public let behaviour: Behaviour
    private let core: AppServerCore

    public init(name: String, host: String = "127.0.0.1", port: UInt16 = 0, behaviour: Behaviour = .echo) throws {
        let listener = try OriginSocket.listen(host: host, port: port)
        self.name = name
        self.host = host
        self.port = listener.port
        self.behaviour = behaviour
        let responder: any OriginResponder = switch behaviour {
        case .echo: EchoResponder()
        case .phpApp: PHPSessionResponder()
        }
        core = AppServerCore(name: name, host: host, port: listener.port, listenFD: listener.fd, responder: responder)
        try core.start()
    }

    deinit { core.stop() }

    /// Closes the listening socket and every connection, and joins all threads. Idempotent.
    public func stop() { core.stop() }

    /// Responses begun since start (counted just before writing).
    public var requestsServed: Int { core.served.load(ordering: .relaxed) }
    /// Requests fully read since start (including those answered by closing).
    public var requestsReceived: Int { core.received.load(ordering: .relaxed) }
    /// Connections accepted since start.
    public var connectionsAccepted: Int { core.accepted.load(ordering: .relaxed) }
    /// Connections open right now.
    public var openConnections: Int { core.state.withLock { $0.connections.count } }

    /// While true, requests are read but not answered (a hung application); answering resumes
    /// when set back to false.
    public var paused: Bool {
        get { core.paused.load(ordering: .relaxed) }
        set { core.paused.store(newValue, ordering: .relaxed) }
    }

    /// While true the server behaves like a dead one: its port refuses connections (RST) and the
    /// connections it had are closed. Setting it back to false listens again on the same port.
    /// The setter returns once the change is in effect.
    public var refusing: Bool {
        get { core.state.withLock { $0.wantRefusing } }
        set { core.setRefusing(newValue) }
    }

    /// When true every response carries `Connection: close` and the connection is closed after
    /// it (the spec's harness servers behaved so).
    public var closesEveryConnection: Bool {
        get { core.closeAfterResponse.load(ordering: .relaxed) }
        set { core.closeAfterResponse.store(newValue, ordering: .relaxed) }
    }
}

/// The threads' shared state. Kept apart from `AppServer` so that threads do not keep the
/// public object alive and its deinit can stop them.
final class AppServerCore: Sendable {
    struct State {
        var listenFD: Int32
        var wantRefusing = false
        var stopping = false
        /// Refusing changes asked for / applied by the accept thread.
        var requested = 0
        var applied = 0
        var nextID = 0
        /// Open connection sockets by connection id. A socket is closed only by its thread,
        /// under this lock, so `stop()` never shuts down a reused descriptor number.
        var connections: [Int: Int32] = [:]
        var threads: [Int: pthread_t] = [:]
        /// Connection ids whose thread has finished and can be joined.
        var finished: [Int] = []
        var acceptThread: pthread_t?
    }

    let name: String
    let host: String
    let port: UInt16
    let responder: any OriginResponder
    let state: Mutex<State>
    let served = Atomic<Int>(0)
    let received = Atomic<Int>(0)
    let accepted = Atomic<Int>(0)
    let paused = Atomic<Bool>(false)
    let closeAfterResponse = Atomic<Bool>(false)

    init(name: String, host: String, port: UInt16, listenFD: Int32, responder: any OriginResponder) {
        self.name = name
        self.host = host
        self.port = port
        self.responder = responder
        state = Mutex(State(listenFD: listenFD))
    }

    func start() throws {
        do {
            let t = try OriginThread.spawn { [self] in acceptLoop() }
            state.withLock { $0.acceptThread = t }
        } catch {
            state.withLock { s in
                close(s.listenFD)
                s.listenFD = -1
                s.stopping = true
            }
            throw error
        }
    }

    func stop() {
        let acceptThread = state.withLock { (s: inout State) -> pthread_t? in
            guard !s.stopping else { return nil }
            s.stopping = true
            // Wakes the accept thread (accept() fails once its listener is shut down).
            if s.listenFD >= 0 { shutdown(s.listenFD, Int32(SHUT_RDWR)) }
            let t = s.acceptThread
            s.acceptThread = nil
            return t
        }
        guard let acceptThread else { return }
        OriginThread.join(acceptThread)
        let threads: [pthread_t] = state.withLock { s in
            for fd in s.connections.values { shutdown(fd, Int32(SHUT_RDWR)) }
            let all = Array(s.threads.values)
            s.threads = [:]
            s.finished = []
            return all
        }
        threads.forEach(OriginThread.join)
    }

    func setRefusing(_ refusing: Bool) {
        let generation = state.withLock { (s: inout State) -> Int? in
            guard !s.stopping else { return nil }
            s.wantRefusing = refusing
            s.requested += 1
            // already in effect: the accept thread may sit in accept() until a client comes
            if refusing == (s.listenFD < 0) { s.applied = s.requested }
            if refusing {
                if s.listenFD >= 0 { shutdown(s.listenFD, Int32(SHUT_RDWR)) }
                for fd in s.connections.values { shutdown(fd, Int32(SHUT_RDWR)) }
            }
            return s.requested
        }
        guard let generation else { return }
        while state.withLock({ $0.applied < generation && !$0.stopping }) { usleep(500) }
    }

    // MARK: accept thread

    private func acceptLoop() {
        while true {
            let (fd, exit): (Int32, Bool) = state.withLock { s in
                if s.stopping {
                    if s.listenFD >= 0 { close(s.listenFD); s.listenFD = -1 }
                    return (-1, true)
                }
                if s.wantRefusing, s.listenFD >= 0 {
                    close(s.listenFD)
                    s.listenFD = -1
                } else if !s.wantRefusing, s.listenFD < 0 {
                    s.listenFD = (try? OriginSocket.listen(host: host, port: port).fd) ?? -1
                }
                s.applied = s.requested
                return (s.listenFD, false)
            }
            reapFinishedThreads()
            if exit { return }
            if fd < 0 { usleep(2000); continue }
            let conn = accept(fd, nil, nil)
            if conn >= 0 { _ = fcntl(conn, F_SETFD, FD_CLOEXEC) } // not inherited by spawned processes
            if conn < 0 {
                if errno == EMFILE || errno == ENFILE || errno == ENOMEM { usleep(10_000) }
                continue // EINVAL after shutdown: the next turn sees why
            }
            startConnection(conn)
        }
    }

    private func startConnection(_ fd: Int32) {
        let id = state.withLock { (s: inout State) -> Int? in
            guard !s.stopping, !s.wantRefusing else { return nil }
            s.nextID += 1
            s.connections[s.nextID] = fd
            return s.nextID
        }
        guard let id else { close(fd); return }
        accepted.add(1, ordering: .relaxed)
        do {
            let thread = try OriginThread.spawn { [self] in serve(id: id, fd: fd) }
            state.withLock { $0.threads[id] = thread }
        } catch {
            state.withLock { s in
                s.connections[id] = nil
                close(fd)
            }
        }
    }

    private func reapFinishedThreads() {
        let done: [pthread_t] = state.withLock { s in
            let ids = s.finished
            s.finished = []
            return ids.compactMap { s.threads.removeValue(forKey: $0) }
        }
        done.forEach(OriginThread.join)
    }

    // MARK: connection threads

    private var isStopping: Bool { state.withLock { $0.stopping } }

    private func serve(id: Int, fd: Int32) {
        defer {
            state.withLock { s in
                s.connections[id] = nil
                close(fd)
                s.finished.append(id)
            }
        }
        OriginSocket.setNoDelay(fd)
        let reader = RequestReader(fd: fd)
        while true {
            let request: OriginRequest
            do {
                request = try reader.readRequest()
            } catch .closed {
                return
            } catch .headTooLarge {
                answerError(431, fd: fd)
                return
            } catch {
                answerError(400, fd: fd)
                return
            }
            received.add(1, ordering: .relaxed)
            let reply = responder.reply(to: request, serverName: name)
            while paused.load(ordering: .relaxed) {
                guard wait(milliseconds: 5, fd: fd) else { return }
            }
            if reply.delayMilliseconds > 0 {
                guard wait(milliseconds: reply.delayMilliseconds, fd: fd) else { return }
            }
            guard let response = reply.response else { // ?close=1, ?reset=1
                if reply.reset { OriginSocket.setResetOnClose(fd) }
                return
            }
            let keepAlive = request.wantsKeepAlive && !closeAfterResponse.load(ordering: .relaxed)
            // Counted before writing: a client that has read the response sees it counted.
            served.add(1, ordering: .relaxed)
            guard response.write(to: fd, requestVersion: request.version, keepAlive: keepAlive,
                                 isHead: request.method == "HEAD") else { return }
            if !keepAlive {
                lingeringClose(fd)
                return
            }
        }
    }

    private func answerError(_ status: Int, fd: Int32) {
        var r = OriginResponse()
        r.status = status
        r.headers.append(("X-Server", name))
        r.body = .bytes(Array("\(status) \(OriginResponse.reason(status))\n".utf8))
        _ = r.write(to: fd, requestVersion: "HTTP/1.1", keepAlive: false, isHead: false)
        lingeringClose(fd)
    }

    /// Sleeps up to `milliseconds`, waking early on stop or when the socket is shut down.
    /// Returns false when the connection should end.
    private func wait(milliseconds: Int, fd: Int32) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(milliseconds)
        while !isStopping {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { return true }
            let ms = min(20, Int(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000) + 1)
            // events = 0: only hang-up/error are reported, not pipelined bytes.
            var p = pollfd(fd: fd, events: 0, revents: 0)
            if poll(&p, 1, Int32(ms)) > 0, p.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return false }
        }
        return false
    }

    /// Half-closes and drains what the client still sends for a moment, so that closing
    /// does not turn into a reset that could destroy the response in flight.
    private func lingeringClose(_ fd: Int32) {
        shutdown(fd, Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + .milliseconds(200)
        while ContinuousClock.now < deadline, !isStopping {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 20) >= 0 else { return }
            if p.revents == 0 { continue }
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { return }
        }
    }
}
