// `balance rdp-cookie[(NAME)]` (mode tcp): sdbm hash of the value of the RDP cookie NAME
// (default mstshash) in the bytes the client has sent so far (RDPCookie.swift); without the
// cookie, with an empty value, or before it has fully arrived, round robin — HAProxy's
// get_server_rch. The stream layer puts the connection's first bytes in the request head's
// `bufferedBody` (mode tcp has no head); `tcp-request inspect-delay` with
// `tcp-request content accept if RDP_COOKIE` makes sure they are there.

public final class RDPCookieBalancer: Balancer {
    let lookup: HashedServerLookup
    let fallback: RoundRobinBalancer
    let cookie: [UInt8]

    public init(servers: [BalancedServer], hashType: HashType, cookie: String) {
        lookup = HashedServerLookup(servers: servers, hashType: hashType)
        fallback = RoundRobinBalancer(servers: servers)
        self.cookie = Array(cookie.utf8)
    }

    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? {
        let bytes = request.bufferedBody
        guard case .value(let r) = RDPCookie.find(bytes, name: cookie), !r.isEmpty else {
            return fallback.pick(request: request, client: client, states: states, avoid: avoid)
        }
        return lookup.server(forHash: BalanceHash.sdbm(UnsafeRawBufferPointer(rebasing: bytes[r])), states: states)
    }
}
