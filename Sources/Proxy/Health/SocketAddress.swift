import Glibc

/// An IPv4, IPv6 or UNIX socket address, resolved once (configuration time).
public struct SocketAddress: Sendable {
    public var storage: sockaddr_storage
    public var length: socklen_t

    /// Resolves `host` (an address or a name); `family` forces AF_INET or AF_INET6.
    public init?(host: String, port: Int, family: Int32? = nil) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(Glibc.SOCK_STREAM.rawValue)
        if let family { hints.ai_family = family }
        var res: UnsafeMutablePointer<addrinfo>? = nil
        let h = (host.isEmpty || host == "*") ? "0.0.0.0" : host
        guard getaddrinfo(h, String(port), &hints, &res) == 0, let ai = res else { return nil }
        defer { freeaddrinfo(res) }
        var st = sockaddr_storage()
        withUnsafeMutableBytes(of: &st) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: ai.pointee.ai_addr, count: Int(ai.pointee.ai_addrlen)))
        }
        storage = st
        length = ai.pointee.ai_addrlen
    }

    /// A UNIX socket path (at most 107 bytes).
    public init?(unixPath path: String) {
        var a = sockaddr_un()
        a.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: a.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &a.sun_path) { dst in
            dst.copyBytes(from: bytes)
            dst[bytes.count] = 0
        }
        var st = sockaddr_storage()
        withUnsafeMutableBytes(of: &st) { dst in withUnsafeBytes(of: &a) { dst.copyMemory(from: $0) } }
        storage = st
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
    }

    public var family: Int32 { Int32(storage.ss_family) }
}
