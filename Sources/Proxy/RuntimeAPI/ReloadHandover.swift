// What a reloading process takes from the old one over the runtime API: the listening
// sockets (`_getsocks`, HAProxy's protocol, SocketTransfer.swift) and, without a `peers`
// section to resync them, the session tables' entries (`_getstktables`, ringproxy's own
// hidden command: one line per entry with its table, key type, server name, time left and
// key in hex, then `# end`). Both need a socket with `expose-fd listeners` (or the master's).
import CUring
#if canImport(Glibc)
import Glibc
#endif

extension CLICommands {
    /// Commands with no help line, used between two ringproxy processes.
    static let handover: [CLICommand] = [
        CLICommand("_getsocks", nil) { _, s, c in
            // Without `expose-fd listeners` HAProxy sends nothing and ends the session.
            if s.exposesListeners { s.pendingDescriptors = c.listenerSockets.withLock { $0.map { ($0.fd, $0.interface) } } }
            s.endRequested = true
            return .none
        },
        CLICommand("_getstktables", nil) { _, s, c in
            guard s.exposesListeners else { return .permissionDenied }
            return .dump(c.sessionTablesForReload())
        },
    ]
}

extension RuntimeControl {
    /// The `_getstktables` dump.
    func sessionTablesForReload(now: Int64 = MonotonicClock.nowMs()) -> String {
        var out = ""
        for t in sessionTables {
            for e in t.table.snapshot(now: now) where e.server < t.backend.serverNames.count {
                let hex = e.key.map { String($0, radix: 16).leftPadded(2) }.joined()
                out += "\(t.name)\t\(t.type)\t\(t.backend.serverNames[e.server])\t\(e.expiresInMs)\t\(hex)\n"
            }
        }
        return out + "# end\n"
    }

    /// Loads a `_getstktables` dump: entries of tables that still exist with the same key
    /// type, pointing to servers that still exist. Returns how many were loaded.
    @discardableResult
    public func importSessionTables(_ dump: String, now: Int64 = MonotonicClock.nowMs()) -> Int {
        let tables = Dictionary(sessionTables.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var loaded = 0
        for line in dump.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 5, let t = tables[String(f[0])], t.type == f[1],
                  let server = t.backend.serverNames.firstIndex(of: String(f[2])),
                  let ttl = Int64(f[3]), ttl > 0, f[4].count % 2 == 0 else { continue }
            var key: [UInt8] = []
            var i = f[4].startIndex
            while i < f[4].endIndex {
                let j = f[4].index(i, offsetBy: 2)
                guard let b = UInt8(f[4][i..<j], radix: 16) else { key = []; break }
                key.append(b)
                i = j
            }
            guard !key.isEmpty else { continue }
            t.table.set(key, server: server, now: now, ttlMs: ttl)
            loaded += 1
        }
        return loaded
    }
}

/// Where a reloading process reaches the old one: a runtime API socket path (`-x PATH`), or
/// sockets already connected to it (the master's `sockpair@N`).
public struct HandoverSource: Sendable {
    public var path: String?
    public var socketsFD: Int32?
    public var tablesFD: Int32?

    /// `-x PATH` or `-x sockpair@N`.
    public init(argument: String, tablesFD: Int32? = nil) {
        if argument.hasPrefix("sockpair@"), let n = Int32(argument.dropFirst("sockpair@".count)) {
            socketsFD = n; self.tablesFD = tablesFD
        } else {
            path = argument
        }
    }

    /// The old process's listening sockets.
    public func sockets() throws -> [SocketTransfer.Received] {
        let fd: Int32
        if let socketsFD { fd = socketsFD } else { fd = try SocketTransfer.connect(path: path ?? "") }
        defer { close(fd) }
        return try SocketTransfer.receive(over: fd)
    }

    /// The old process's session table entries (empty when it has none or cannot say).
    public func tables(timeoutMs: Int = 2000) -> String {
        let fd: Int32
        if let tablesFD { fd = tablesFD } else {
            guard let path, let c = try? SocketTransfer.connect(path: path) else { return "" }
            fd = c
        }
        defer { close(fd) }
        let command = Array("_getstktables\n".utf8)
        guard command.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == command.count else { return "" }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        let deadline = MonotonicClock.nowMs() + Int64(timeoutMs)
        while MonotonicClock.nowMs() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, Int32(max(1, deadline - MonotonicClock.nowMs())))
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n == 0 { break }
            if n < 0 { if errno == EAGAIN || errno == EINTR { continue }; break }
            out += buf[0..<n]
        }
        let text = String(decoding: out, as: UTF8.self)
        return text.contains("# end\n") ? text : ""
    }
}
