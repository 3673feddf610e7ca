import Glibc
import Synchronization

/// A `log-forward` section at run time: one control-plane thread (never on the request path)
/// that receives syslog messages on the section's UDP sockets and TCP connections, parses each
/// (SyslogMessage) and sends it again to the section's loggers (SyslogSender.relay). Up to
/// `maxconn` TCP clients at once (more wait in the backlog), each closed after `timeout client`
/// of silence or at its first framing error, as HAProxy's syslog applet. Sockets are bound at
/// construction, so a bind error stops the start-up.
public final class LogForwardRelay: @unchecked Sendable {
    // @unchecked: the loop's state is owned by its thread; start/stop touch `thread` only.
    public let name: String
    let loggers: [LogTarget]
    let sender: SyslogSender
    let maxconn: Int
    let clientTimeoutMs: Int?
    let datagramSockets: [Int32]
    let listenSockets: [Int32]
    /// Wakes the loop to stop.
    let stopPipe: (read: Int32, write: Int32)
    let stopping = Atomic<Bool>(false)
    var thread: ControlThread? = nil
    /// Messages received (HAProxy's CumRecvLogs).
    public let received = Atomic<Int>(0)

    final class Client {
        let fd: Int32
        let buffer: UnsafeMutableRawBufferPointer
        var used = 0
        var deadlineMs: Int64 = .max
        init(fd: Int32) { self.fd = fd; buffer = .allocate(byteCount: SyslogStreamFraming.limit, alignment: 16) }
        deinit { close(fd); buffer.deallocate() }
    }

    public struct BindError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ config: LogForwardConfig, targets: LogTargets) throws {
        name = config.name
        loggers = targets.byLogForward[config.name] ?? []
        sender = SyslogSender(targets: targets, capacity: 64)
        maxconn = config.maxconn
        clientTimeoutMs = config.clientTimeout
        var opened: [Int32] = []
        do {
            var dgram: [Int32] = []
            for b in config.datagramBinds { let fd = try Self.open(b, stream: false, backlog: 0, section: config.name); opened.append(fd); dgram.append(fd) }
            var listen: [Int32] = []
            for b in config.streamBinds {
                let fd = try Self.open(b, stream: true, backlog: config.backlog ?? config.maxconn, section: config.name)
                opened.append(fd); listen.append(fd)
            }
            datagramSockets = dgram
            listenSockets = listen
        } catch {
            for fd in opened { close(fd) }
            throw error
        }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            for fd in opened { close(fd) }
            throw BindError(description: "log-forward '\(config.name)': cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFL, O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        stopPipe = (fds[0], fds[1])
    }

    deinit {
        for fd in datagramSockets + listenSockets { close(fd) }
        close(stopPipe.read); close(stopPipe.write)
    }

    static func open(_ b: LogForwardBind, stream: Bool, backlog: Int, section: String) throws -> Int32 {
        let what = "log-forward '\(section)': \(stream ? "bind" : "dgram-bind") \(b.host.contains(":") ? "[\(b.host)]" : b.host):\(b.port) (\(b.location))"
        let host = (b.host.isEmpty || b.host == "*") ? (b.family == AF_INET6 ? "::" : "0.0.0.0") : b.host
        guard let a = SocketAddress(host: host, port: b.port, family: b.family) else {
            throw BindError(description: "\(what): cannot resolve the address")
        }
        let type = (stream ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(a.family, type, 0)
        guard fd >= 0 else { throw BindError(description: "\(what): socket(): \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))   // a reload binds beside the old process
        var st = a.storage
        let rc = withUnsafePointer(to: &st) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, a.length) } }
        if rc != 0 || (stream && listen(fd, Int32(min(backlog, Int(Int32.max)))) != 0) {
            let e = errno
            close(fd)
            throw BindError(description: "\(what): cannot bind: \(String(cString: strerror(e)))")
        }
        return fd
    }

    public func start() throws {
        thread = try ControlThread(name: "log-forward") { self.run() }
    }

    public func stop() {
        stopping.store(true, ordering: .relaxed)
        var one: UInt8 = 1
        _ = write(stopPipe.write, &one, 1)
        thread?.join(); thread = nil
    }

    func run() {
        var clients: [Client] = []
        let datagram = UnsafeMutableRawBufferPointer.allocate(byteCount: SyslogStreamFraming.limit, alignment: 16)
        defer { datagram.deallocate() }
        var polls: [pollfd] = []
        while !stopping.load(ordering: .relaxed) {
            polls.removeAll(keepingCapacity: true)
            polls.append(pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0))
            for fd in datagramSockets { polls.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            let acceptOpen = clients.count < maxconn      // beyond maxconn, connections wait in the backlog
            for fd in listenSockets { polls.append(pollfd(fd: fd, events: acceptOpen ? Int16(POLLIN) : 0, revents: 0)) }
            for c in clients { polls.append(pollfd(fd: c.fd, events: Int16(POLLIN), revents: 0)) }
            let polled = clients.count          // clients accepted below were not polled yet
            var timeout: Int32 = -1
            if clientTimeoutMs != nil, let next = clients.map(\.deadlineMs).min() {
                timeout = Int32(clamping: max(0, next - WallClock.nowMs()))
            }
            let n = poll(&polls, nfds_t(polls.count), timeout)
            if n < 0 && errno != EINTR { break }
            var i = 1
            for fd in datagramSockets {
                if polls[i].revents != 0 { receiveDatagrams(fd, datagram) }
                i += 1
            }
            for fd in listenSockets {
                if polls[i].revents != 0 { accept(fd, into: &clients) }
                i += 1
            }
            let now = WallClock.nowMs()
            var closed: Set<Int32> = []
            for (k, c) in clients.prefix(polled).enumerated() {
                let revents = polls[i + k].revents
                if revents != 0 {
                    if !readClient(c) { closed.insert(c.fd); continue }
                    if let t = clientTimeoutMs { c.deadlineMs = now + Int64(t) }
                } else if c.deadlineMs <= now {
                    closed.insert(c.fd)
                }
            }
            if !closed.isEmpty { clients.removeAll { closed.contains($0.fd) } }
            sender.flush()
        }
        clients.removeAll()
        sender.flush()
    }

    func receiveDatagrams(_ fd: Int32, _ buf: UnsafeMutableRawBufferPointer) {
        for _ in 0..<64 {        // HAProxy's maxaccept: a bounded batch per wake-up
            let r = recv(fd, buf.baseAddress, buf.count, 0)
            if r < 0 { if errno == EINTR { continue }; return }
            handle(UnsafeRawBufferPointer(rebasing: buf[0..<r]))
        }
    }

    func accept(_ listener: Int32, into clients: inout [Client]) {
        while clients.count < maxconn {
            let fd = Glibc.accept(listener, nil, nil)
            if fd < 0 { return }
            _ = fcntl(fd, F_SETFL, O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let c = Client(fd: fd)
            if let t = clientTimeoutMs { c.deadlineMs = WallClock.nowMs() + Int64(t) }
            clients.append(c)
        }
    }

    /// Reads what the client sent and relays every complete message; false to close it
    /// (end of stream, error, or a framing error).
    func readClient(_ c: Client) -> Bool {
        while true {
            let room = c.buffer.count - c.used
            let r = room > 0 ? read(c.fd, c.buffer.baseAddress! + c.used, room) : 0
            if r < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK
            }
            let atEnd = r == 0 && room > 0
            c.used += r
            var start = 0
            framing: while start < c.used {
                let pending = UnsafeRawBufferPointer(rebasing: c.buffer[start..<c.used])
                switch SyslogStreamFraming.next(pending) {
                case .message(let range, let consumed):
                    handle(UnsafeRawBufferPointer(rebasing: pending[range]))
                    start += consumed
                case .needMore:
                    break framing
                case .invalid:
                    return false
                }
            }
            if start > 0 {
                let rest = c.used - start
                if rest > 0 { c.buffer.baseAddress!.copyMemory(from: c.buffer.baseAddress! + start, byteCount: rest) }
                c.used = rest
            }
            if atEnd { return false }
            if c.used == c.buffer.count { return false }    // a message larger than the buffer
            if r == 0 { return true }
        }
    }

    func handle(_ bytes: UnsafeRawBufferPointer) {
        received.add(1, ordering: .relaxed)
        let m = SyslogMessage.parse(bytes)
        sender.relay(bytes, m, to: loggers)
    }
}
