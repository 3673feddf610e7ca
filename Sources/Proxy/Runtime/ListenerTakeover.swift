// The listening sockets received from the old process (`-x`), matched to this configuration's
// binds as HAProxy matches them (sock_find_compatible_fd): same address family, address and
// port (a UNIX path also matches the old process's temporary name `PATH.PID.tmp`, an
// abstract name its padded form) and same interface. A bind that finds none is bound anew;
// sockets no bind wanted are closed once the engine has its listeners.
#if canImport(Glibc)
import Glibc
#endif

public final class ListenerTakeover {
    var pool: [SocketTransfer.Received]

    public init(_ received: [SocketTransfer.Received]) { pool = received }

    public var count: Int { pool.count }

    /// The received socket for `bind`, taken out of the pool; nil: bind it anew.
    func take(_ bind: BindConfig) -> Int32? {
        guard let i = pool.firstIndex(where: { matches($0, bind) }) else { return nil }
        return pool.remove(at: i).fd
    }

    /// Closes what no bind took.
    func closeUnused() {
        for r in pool { close(r.fd) }
        pool.removeAll()
    }

    func matches(_ r: SocketTransfer.Received, _ bind: BindConfig) -> Bool {
        var type: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(r.fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0, type == Int32(SOCK_STREAM.rawValue) else { return false }
        guard r.interface == (bind.options.interface ?? ""), r.namespace.isEmpty else { return false }
        var received = r.address
        switch bind.address {
        case .tcp(let host, let port):
            guard let (want, wantLength) = makeSockaddr(host: host, port: port), want.ss_family == received.ss_family,
                  wantLength <= r.addressLength else { return false }
            var w = want
            return withUnsafeBytes(of: &w) { a in withUnsafeBytes(of: &received) { b in
                switch Int32(want.ss_family) {
                case AF_INET:       // port and address (sin_port, sin_addr)
                    return a[2..<8].elementsEqual(b[2..<8])
                case AF_INET6:      // port, then sin6_addr
                    return a[2..<4].elementsEqual(b[2..<4]) && a[8..<24].elementsEqual(b[8..<24])
                default: return false
                }
            } }
        case .unixPath(let path):
            guard let name = unixName(received, r.addressLength), name.first != 0 else { return false }
            let text = String(decoding: name, as: UTF8.self)
            return text == path || (text.hasPrefix(path + ".") && text.hasSuffix(".tmp"))
        case .abstractNamespace(let want):
            guard let name = unixName(received, r.addressLength), name.first == 0 else { return false }
            let bytes = name.dropFirst()
            let trimmed = bytes.prefix(bytes.count - bytes.reversed().prefix { $0 == 0 }.count)
            return Array(trimmed) == Array(want.utf8)
        case .inheritedFD:
            return false
        }
    }

    /// The sun_path bytes of a UNIX address (nil for another family).
    func unixName(_ ss: sockaddr_storage, _ length: socklen_t) -> [UInt8]? {
        guard Int32(ss.ss_family) == AF_UNIX else { return nil }
        var s = ss
        return withUnsafeBytes(of: &s) { raw in
            let off = MemoryLayout<sa_family_t>.size
            let end = min(Int(length), raw.count)
            guard end > off else { return [] }
            var bytes = Array(raw[off..<end])
            if bytes.first != 0, let nul = bytes.firstIndex(of: 0) { bytes = Array(bytes[..<nul]) }
            return bytes
        }
    }
}
