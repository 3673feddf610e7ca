// `persist rdp-cookie[(NAME)]` (mode tcp): a client whose RDP cookie NAME (default msts)
// encodes a server's IPv4 address and port ("ADDR.PORT.…", RDPCookie.persistedServer) goes
// to the first server of the backend with that address and port, when it is not down (or
// whatever its state with `option persist`) — HAProxy's tcp_persist_rdp_cookie. The
// addresses are the configured ones (a server named by a host name never matches).

public struct RDPCookiePersistence: Sendable {
    let cookie: [UInt8]
    /// Per server: its IPv4 address bytes and port, nil when it is not a literal IPv4 address.
    let addresses: [(address: [UInt8], port: Int)?]
    let persist: Bool

    public init(cookie: String, servers: [ServerConfig], persist: Bool) {
        self.cookie = Array(cookie.utf8)
        addresses = servers.map { s in Self.ipv4(s.host).map { ($0, s.port) } }
        self.persist = persist
    }

    /// The server the cookie in `bytes` (the stream's first bytes) names, or nil.
    public func server(in bytes: UnsafeRawBufferPointer, states: some ServerStates) -> Int? {
        guard case .value(let r) = RDPCookie.find(bytes, name: cookie), !r.isEmpty,
              let target = RDPCookie.persistedServer(UnsafeRawBufferPointer(rebasing: bytes[r])) else { return nil }
        for (i, a) in addresses.enumerated() {
            guard let a, a.port == target.port, a.address == target.address else { continue }
            if states.isUsable(i) || persist { return i }
        }
        return nil
    }

    /// "a.b.c.d" → its four bytes.
    static func ipv4(_ host: String) -> [UInt8]? {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, let n = UInt8(p) else { return nil }
            out.append(n)
        }
        return out
    }
}
