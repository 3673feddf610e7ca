import Glibc

/// An IPv4 or IPv6 socket address, resolved once (configuration time).
public struct SocketAddress: Sendable {
    public var storage: sockaddr_storage
    public var length: socklen_t

    public init?(host: String, port: Int) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(Glibc.SOCK_STREAM.rawValue)
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

    public var family: Int32 { Int32(storage.ss_family) }
}
