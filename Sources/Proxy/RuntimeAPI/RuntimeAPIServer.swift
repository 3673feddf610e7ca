// The runtime API's sockets (`stats socket`): one thread with a poll(2) loop, off the data
// path. It accepts on every configured socket (UNIX, abstract, TCP, inherited fd@N), runs a
// CLISession per connection, writes the answers without blocking, closes idle connections
// after `stats timeout`, and keeps at most `stats maxconn` connections per socket (more wait
// in the backlog, as in HAProxy).
import CUring
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

public final class RuntimeAPIServer: @unchecked Sendable {
    // @unchecked: `listeners` and `clients` are set up by bind() before start() and then only
    // touched by the server thread; `stopping` is atomic.

    public struct BindError: Error, CustomStringConvertible { public var description: String }

    struct Listener {
        var fd: Int32
        var config: StatsSocketConfig
        var name: String
        var maxconn: Int
        var active = 0
        /// A UNIX socket file this process created, and its inode (removed at exit unless a new
        /// process renamed its own socket over it).
        var path: String?
        var inode: UInt = 0
    }

    final class Client {
        let fd: Int32
        let listener: Int
        let session: CLISession
        var output: [UInt8] = []
        var sent = 0
        var closeWhenFlushed = false
        var lastActivityMs: Int64
        var timeoutMs: Int
        init(fd: Int32, listener: Int, session: CLISession, now: Int64, timeoutMs: Int) {
            self.fd = fd; self.listener = listener; self.session = session
            lastActivityMs = now; self.timeoutMs = timeoutMs
        }
    }

    /// The worker's view of the proxy (nil for the master CLI).
    let control: RuntimeControl?
    let sockets: [StatsSocketConfig]
    let defaultMaxconn: Int
    let timeoutMs: Int
    /// A new session for a connection of a socket (nil: one handed over by the master).
    let makeSession: (StatsSocketConfig?) -> CLISession
    var listeners: [Listener] = []
    var clients: [Client] = []
    let stopping = Atomic<Bool>(false)
    var thread: ControlThread? = nil
    /// A pipe that wakes the poll loop for stop() and for connections handed over.
    var wake: (read: Int32, write: Int32) = (-1, -1)
    /// Connections the master handed over (`@1 show info`, `-x` of a reload), to adopt.
    let handedOver = Mutex<[Int32]>([])

    /// The runtime API of a worker: the configuration's `stats socket` lines.
    public convenience init(control: RuntimeControl, commands: [CLICommand] = CLICommands.all) {
        let api = control.configuration.global.runtimeAPI
        self.init(sockets: control.configuration.global.statsSockets, timeoutMs: api.timeoutMs, maxconn: api.maxconn,
                  control: control) { config in
            let session = CLISession(level: config?.cliLevel ?? .admin, severityOutput: config?.severityOutput ?? "none") { r, s in
                CLICommands.execute(r, s, control, commands: commands)
            }
            session.exposesListeners = config?.exposeListeners ?? true
            return session
        }
    }

    /// Any CLI: `makeSession` gives each connection its session (the master CLI's own).
    public init(sockets: [StatsSocketConfig], timeoutMs: Int, maxconn: Int, control: RuntimeControl? = nil,
                makeSession: @escaping (StatsSocketConfig?) -> CLISession) {
        self.sockets = sockets
        self.timeoutMs = timeoutMs
        self.defaultMaxconn = maxconn
        self.control = control
        self.makeSession = makeSession
    }

    /// Binds every socket. Errors name the socket, as HAProxy's alerts do.
    public func bind() throws {
        for s in sockets {
            let (fd, path) = try Self.open(s)
            var l = Listener(fd: fd, config: s, name: Self.displayName(fd: fd, s), maxconn: s.options.maxconn ?? defaultMaxconn, path: path)
            if let path { l.inode = Self.inode(path) ?? 0 }
            listeners.append(l)
        }
        control?.cliSocketNames.withLock { $0 = listeners.map { ($0.name, $0.config.cliLevel) } }
        var p: [Int32] = [0, 0]
        if pipe(&p) == 0 {
            for f in p { _ = fcntl(f, F_SETFL, O_NONBLOCK); _ = fcntl(f, F_SETFD, FD_CLOEXEC) }
            wake = (p[0], p[1])
        }
    }

    /// Adopts a connected CLI socket (handed over by the master): a session at admin level
    /// that may hand the listening sockets over. Any thread.
    public func adopt(_ fd: Int32) {
        handedOver.withLock { $0.append(fd) }
        if wake.write >= 0 { var b: UInt8 = 1; _ = write(wake.write, &b, 1) }
    }

    public var isEmpty: Bool { listeners.isEmpty }

    /// Starts the thread; `always`: even without a socket (connections may be handed over).
    public func start(always: Bool = false) throws {
        guard !listeners.isEmpty || always, thread == nil else { return }
        thread = try ControlThread(name: "runtime-api") { self.run() }
    }

    /// Stops the thread; `removeSockets`: unlink the UNIX socket files (not when a new
    /// process has bound the same paths).
    public func stop(removeSockets: Bool = true) {
        stopping.store(true, ordering: .relaxed)
        if wake.write >= 0 { var b: UInt8 = 1; _ = write(wake.write, &b, 1) }
        thread?.join(); thread = nil
        for c in clients { close(c.fd) }
        clients.removeAll()
        for l in listeners {
            close(l.fd)
            if removeSockets, let p = l.path, Self.inode(p) == l.inode { unlink(p) }
        }
        listeners.removeAll()
    }

    // MARK: the loop

    func run() {
        var fds: [pollfd] = []
        var buf = [UInt8](repeating: 0, count: 16384)
        while !stopping.load(ordering: .relaxed) {
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
            for l in listeners {
                // A socket at its maxconn is not polled: new connections wait in the backlog.
                fds.append(pollfd(fd: l.active < l.maxconn ? l.fd : -1, events: Int16(POLLIN), revents: 0))
            }
            for c in clients {
                var ev = Int16(POLLIN)
                if c.sent < c.output.count { ev = Int16(POLLOUT) }
                fds.append(pollfd(fd: c.fd, events: ev, revents: 0))
            }
            let now = MonotonicClock.nowMs()
            var wait = 1000
            for c in clients { wait = min(wait, max(0, Int(c.lastActivityMs + Int64(c.timeoutMs) - now))) }
            let n = poll(&fds, nfds_t(fds.count), Int32(wait))
            if n < 0 && errno != EINTR { break }
            let t = MonotonicClock.nowMs()
            if fds[0].revents & Int16(POLLIN) != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                _ = read(wake.read, &drain, drain.count)
                for fd in handedOver.withLock({ h -> [Int32] in defer { h.removeAll() }; return h }) {
                    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                    clients.append(Client(fd: fd, listener: -1, session: makeSession(nil), now: t, timeoutMs: timeoutMs))
                }
            }
            for (i, l) in listeners.enumerated() where fds[1 + i].revents & Int16(POLLIN) != 0 {
                accept(i, l, now: t)
            }
            let base = 1 + listeners.count
            var closed: [Int] = []
            for (k, c) in clients.enumerated() where k + base < fds.count {
                let ev = fds[k + base].revents
                if ev & Int16(POLLOUT) != 0 { flush(c) }
                if ev & Int16(POLLIN | POLLHUP | POLLERR) != 0 && c.sent >= c.output.count {
                    readFrom(c, &buf, now: t)
                }
                if c.closeWhenFlushed && c.sent >= c.output.count { closed.append(k) }
                else if t - c.lastActivityMs >= Int64(c.timeoutMs) { closed.append(k) }
            }
            for k in closed.reversed() {
                let c = clients.remove(at: k)
                if c.listener >= 0 { listeners[c.listener].active -= 1 }
                close(c.fd)
            }
        }
    }

    func accept(_ i: Int, _ l: Listener, now: Int64) {
        while listeners[i].active < listeners[i].maxconn {
            let fd = Glibc.accept(l.fd, nil, nil)
            if fd < 0 { return }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            clients.append(Client(fd: fd, listener: i, session: makeSession(l.config), now: now, timeoutMs: timeoutMs))
            control?.cliConnections.add(1, ordering: .relaxed)
            listeners[i].active += 1
        }
    }

    func readFrom(_ c: Client, _ buf: inout [UInt8], now: Int64) {
        let n = buf.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { return }
            c.closeWhenFlushed = true
            c.output.removeAll(); c.sent = 0
            return
        }
        c.lastActivityMs = now
        let (out, close) = c.session.receive(buf[0..<n], eof: n == 0)
        if let t = c.session.idleTimeoutMs { c.timeoutMs = t }
        c.output += out
        if close || n == 0 { c.closeWhenFlushed = true }
        flush(c)
        if let sockets = c.session.pendingDescriptors {
            // `_getsocks`: the listening sockets go to the new process; from now on a soft
            // stop must leave them listening (they are its now).
            c.session.pendingDescriptors = nil
            do {
                try SocketTransfer.send(sockets, over: c.fd)
                control?.engine?.markListenersExported()
            } catch {
                writeStderr("[WARNING]  (\(getpid())) : \(error)\n")
            }
            c.output.removeAll(); c.sent = 0; c.closeWhenFlushed = true
        }
    }

    func flush(_ c: Client) {
        while c.sent < c.output.count {
            let n = c.output.withUnsafeBytes { b in
                send(c.fd, b.baseAddress! + c.sent, b.count - c.sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { return }
                c.output.removeAll(); c.sent = 0; c.closeWhenFlushed = true
                return
            }
            c.sent += n
        }
        c.output.removeAll(keepingCapacity: true); c.sent = 0
    }

    // MARK: binding

    /// Opens one socket: returns the listening descriptor and the UNIX path it created.
    static func open(_ s: StatsSocketConfig) throws -> (Int32, String?) {
        func fail(_ what: String) -> BindError {
            BindError(description: "Starting proxy GLOBAL: cannot \(what) for stats socket '\(s.address.description)' (\(s.location)): \(String(cString: strerror(errno)))")
        }
        switch s.address {
        case .inheritedFD(let n):
            var type: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(n, SOL_SOCKET, SO_TYPE, &type, &len) == 0 else { throw fail("use fd@\(n)") }
            _ = fcntl(n, F_SETFL, fcntl(n, F_GETFL) | O_NONBLOCK)
            _ = fcntl(n, F_SETFD, FD_CLOEXEC)
            _ = listen(n, 128)
            return (n, nil)
        case .tcp(let host, let port):
            guard let (ss, len) = makeSockaddr(host: host, port: port) else {
                throw BindError(description: "invalid address '\(s.address.description)' for stats socket (\(s.location))")
            }
            let fd = socket(Int32(ss.ss_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { throw fail("create socket") }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
            var a = ss
            let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, len) } }
            guard rc == 0, listen(fd, 128) == 0 else { let e = fail("bind"); close(fd); throw e }
            return (fd, nil)
        case .unixPath(let path):
            // Bind a temporary name, then rename it over the path: a client of the previous
            // process never sees the socket missing (HAProxy does the same).
            let tmp = "\(path).\(getpid()).tmp"
            unlink(tmp)
            let fd = try bindUnix(tmp, abstract: false, s)
            let o = s.options
            if let m = o.mode { chmod(tmp, mode_t(m)) }
            if o.user != nil || o.group != nil || o.uid != nil || o.gid != nil {
                let uid = o.uid ?? o.user.flatMap { getpwnam($0)?.pointee.pw_uid } ?? UInt32.max
                let gid = o.gid ?? o.group.flatMap { getgrnam($0)?.pointee.gr_gid } ?? UInt32.max
                _ = chown(tmp, uid, gid)
            }
            guard rename(tmp, path) == 0 else { let e = fail("rename the socket to \(path)"); close(fd); unlink(tmp); throw e }
            return (fd, path)
        case .abstractNamespace(let name):
            return (try bindUnix(name, abstract: true, s), nil)
        }
    }

    static func bindUnix(_ path: String, abstract: Bool, _ s: StatsSocketConfig) throws -> Int32 {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let cap = MemoryLayout.size(ofValue: addr.sun_path) - 1
        guard bytes.count + (abstract ? 1 : 0) <= cap else {
            throw BindError(description: "stats socket path '\(path)' is too long (\(s.location))")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            let off = abstract ? 1 : 0
            for (i, b) in bytes.enumerated() { p[off + i] = b }
        }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 1 : 1))
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw BindError(description: "cannot create stats socket '\(s.address.description)': \(String(cString: strerror(errno)))") }
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, len) } }
        guard rc == 0, listen(fd, 128) == 0 else {
            let e = BindError(description: "Starting proxy GLOBAL: cannot bind UNIX socket (\(String(cString: strerror(errno)))) [\(s.address.description)] (\(s.location))")
            close(fd)
            throw e
        }
        return fd
    }

    /// `show cli sockets`'s name of a listening socket (from the bound address).
    static func displayName(fd: Int32, _ s: StatsSocketConfig) -> String {
        if case .unixPath(let path) = s.address { return "unix@" + path }
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        guard rc == 0 else { return "unknown" }
        switch Int32(ss.ss_family) {
        case AF_UNIX:
            return withUnsafeBytes(of: &ss) { raw -> String in
                let off = MemoryLayout<sa_family_t>.size
                let path = raw[off..<Int(len)]
                if path.first == 0 { return "abns@" + String(decoding: path.dropFirst().prefix { $0 != 0 }, as: UTF8.self) }
                return "unix@" + String(decoding: path.prefix { $0 != 0 }, as: UTF8.self)
            }
        case AF_INET:
            return withUnsafeBytes(of: &ss) { raw in
                var sin = raw.load(as: sockaddr_in.self)
                var buf = [CChar](repeating: 0, count: 32)
                inet_ntop(AF_INET, &sin.sin_addr, &buf, 32)
                return "ipv4@\(CText.string(buf)):\(UInt16(bigEndian: sin.sin_port))"
            }
        case AF_INET6:
            return withUnsafeBytes(of: &ss) { raw in
                var sin6 = raw.load(as: sockaddr_in6.self)
                var buf = [CChar](repeating: 0, count: 64)
                inet_ntop(AF_INET6, &sin6.sin6_addr, &buf, 64)
                return "ipv6@[\(CText.string(buf))]:\(UInt16(bigEndian: sin6.sin6_port))"
            }
        default: return "unknown"
        }
    }

    /// The inode of a socket file (to tell ours from the one a new process renamed over it).
    static func inode(_ path: String) -> UInt? {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK else { return nil }
        return UInt(st.st_ino)
    }
}
