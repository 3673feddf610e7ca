// Listening sockets the control plane opens (or checks) once and hands to the engine as an fd,
// which every worker then accepts on through its own dup: inherited `fd@N` sockets, UNIX and
// abstract sockets, and TCP binds whose options (backlog, interface, transparent, TFO,
// defer-accept, v6only, mss, tcp-ut) the engine's plain per-worker bind does not apply.
// Plain TCP binds are left to the engine (nil), which binds them with SO_REUSEPORT per worker.

#if canImport(Glibc)
import Glibc
#endif

enum ListenerSockets {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// The fd to hand to the engine for `bind`, or nil when the engine binds it itself.
    /// `shared`: a TCP bind gets one socket for all workers too (a socket the next process
    /// can take over with `_getsocks`, as HAProxy has one per bind).
    static func open(_ bind: BindConfig, defaultBacklog: Int, shared: Bool = false) throws -> Int32? {
        let where_ = "\(bind.location): bind \(bind.address.description)"
        switch bind.address {
        case .inheritedFD(let fd):
            try adoptInherited(fd, backlog: bind.options.backlog ?? defaultBacklog, where_)
            return fd
        case .unixPath(let path):
            return try openUnix(path: path, bind.options, backlog: bind.options.backlog ?? defaultBacklog, where_)
        case .abstractNamespace(let name):
            return try openAbstract(name, backlog: bind.options.backlog ?? defaultBacklog, where_)
        case .tcp(let host, let port):
            guard bind.options.needsSetup || shared else { return nil }
            return try openTCP(host: host, port: port, bind.options, backlog: bind.options.backlog ?? defaultBacklog, where_)
        }
    }

    /// `fd@N`: it must be an open stream socket; one that is only bound is put in LISTEN state
    /// (HAProxy does the same).
    static func adoptInherited(_ fd: Int32, backlog: Int, _ where_: String) throws {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure(description: "\(where_): file descriptor \(fd) is not open (\(errorText()))") }
        guard (st.st_mode & S_IFMT) == S_IFSOCK else { throw Failure(description: "\(where_): file descriptor \(fd) is not a socket") }
        var type: Int32 = 0, listening: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len)
        guard type == Int32(SOCK_STREAM.rawValue) else { throw Failure(description: "\(where_): file descriptor \(fd) is not a stream socket") }
        len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len)
        if listening == 0, listen(fd, Int32(clamping: backlog)) != 0 {
            throw Failure(description: "\(where_): cannot listen on file descriptor \(fd): \(errorText())")
        }
        // Not inherited by programs ringproxy starts (external checks, a re-executed binary).
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    /// A UNIX socket is bound under a temporary name, given its mode and owner, then renamed
    /// over PATH: a reload replaces the old socket without a moment where PATH does not exist.
    static func openUnix(path: String, _ options: BindOptions, backlog: Int, _ where_: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "\(where_): cannot create socket: \(errorText())") }
        let temporary = "\(path).\(getpid()).tmp"
        unlink(temporary)
        var (addr, len) = unixAddress(temporary, abstract: false)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, len) } }
        guard bound == 0 else {
            let e = errorText(); close(fd)
            throw Failure(description: "\(where_): cannot bind UNIX socket (\(temporary)): \(e)")
        }
        do {
            if let mode = options.mode, chmod(temporary, mode_t(mode)) != 0 { throw Failure(description: "\(where_): cannot set mode \(String(mode, radix: 8)): \(errorText())") }
            let owner = try ids(options, where_)
            if owner.uid != nil || owner.gid != nil,
               chown(temporary, owner.uid ?? uid_t.max, owner.gid ?? gid_t.max) != 0 {
                throw Failure(description: "\(where_): cannot change the owner: \(errorText())")
            }
            guard listen(fd, Int32(clamping: backlog)) == 0 else { throw Failure(description: "\(where_): cannot listen: \(errorText())") }
            guard rename(temporary, path) == 0 else { throw Failure(description: "\(where_): cannot rename \(temporary) to \(path): \(errorText())") }
        } catch {
            unlink(temporary); close(fd)
            throw error
        }
        return fd
    }

    /// `abns@NAME`: HAProxy pads the name with zeros to the whole sun_path, so the address
    /// length is the full structure; peers connecting with HAProxy's convention find it.
    static func openAbstract(_ name: String, backlog: Int, _ where_: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "\(where_): cannot create socket: \(errorText())") }
        var (addr, len) = unixAddress(name, abstract: true)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, len) } }
        guard bound == 0, listen(fd, Int32(clamping: backlog)) == 0 else {
            let e = errorText(); close(fd)
            throw Failure(description: "\(where_): cannot bind abstract socket: \(e)")
        }
        return fd
    }

    static func openTCP(host: String, port: Int, _ options: BindOptions, backlog: Int, _ where_: String) throws -> Int32 {
        guard let (storage, len) = makeSockaddr(host: host, port: port) else { throw Failure(description: "\(where_): invalid address") }
        var ss = storage
        let fd = socket(Int32(ss.ss_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "\(where_): cannot create socket: \(errorText())") }
        func set(_ level: Int32, _ name: Int32, _ value: Int32, _ what: String) throws {
            var v = value
            if setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                throw Failure(description: "\(where_): cannot enable '\(what)': \(errorText())")
            }
        }
        do {
            try set(SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR")
            try set(SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT")     // -sf: the next process binds beside us
            try set(Int32(IPPROTO_TCP), TCP_NODELAY, 1, "TCP_NODELAY")
            if let only = options.v6only, ss.ss_family == sa_family_t(AF_INET6) {
                try set(Int32(IPPROTO_IPV6), IPV6_V6ONLY, only ? 1 : 0, only ? "v6only" : "v4v6")
            }
            if options.transparent {
                let ipv6 = ss.ss_family == sa_family_t(AF_INET6)
                try set(ipv6 ? Int32(IPPROTO_IPV6) : Int32(IPPROTO_IP), ipv6 ? 75 /* IPV6_TRANSPARENT */ : 19 /* IP_TRANSPARENT */, 1, "transparent")
            }
            if let interface = options.interface {
                let r = interface.withCString { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(strlen($0) + 1)) }
                if r != 0 { throw Failure(description: "\(where_): cannot bind to interface '\(interface)': \(errorText())") }
            }
            if let mss = options.mss { try set(Int32(IPPROTO_TCP), TCP_MAXSEG, Int32(mss), "mss") }
            if let ut = options.tcpUserTimeout { try set(Int32(IPPROTO_TCP), 18 /* TCP_USER_TIMEOUT */, Int32(clamping: ut), "tcp-ut") }
            if options.deferAccept { try set(Int32(IPPROTO_TCP), TCP_DEFER_ACCEPT, 1, "defer-accept") }
            let bound = withUnsafePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, len) } }
            guard bound == 0 else { throw Failure(description: "\(where_): cannot bind socket: \(errorText())") }
            if options.tfo { try set(Int32(IPPROTO_TCP), 23 /* TCP_FASTOPEN */, Int32(clamping: backlog), "tfo") }
            guard listen(fd, Int32(clamping: backlog)) == 0 else { throw Failure(description: "\(where_): cannot listen: \(errorText())") }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    static func unixAddress(_ text: String, abstract: Bool) -> (sockaddr_un, socklen_t) {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(text.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let offset = abstract ? 1 : 0
            for (i, b) in bytes.prefix(raw.count - 1 - offset).enumerated() { raw[i + offset] = b }
        }
        let full = socklen_t(MemoryLayout<sockaddr_un>.size)
        return (addr, abstract ? full : socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1))
    }

    /// `user`/`group` names or `uid`/`gid` numbers of a UNIX socket.
    static func ids(_ options: BindOptions, _ where_: String) throws -> (uid: uid_t?, gid: gid_t?) {
        var uid = options.uid.map { uid_t($0) }, gid = options.gid.map { gid_t($0) }
        if let user = options.user {
            guard let pw = getpwnam(user) else { throw Failure(description: "\(where_): unknown user '\(user)'") }
            uid = pw.pointee.pw_uid
        }
        if let group = options.group {
            guard let gr = getgrnam(group) else { throw Failure(description: "\(where_): unknown group '\(group)'") }
            gid = gr.pointee.gr_gid
        }
        return (uid, gid)
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}
