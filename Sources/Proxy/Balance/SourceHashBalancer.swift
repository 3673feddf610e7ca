// `balance source`: the client address as HAProxy hashes it (IPv4 as a big-endian integer,
// IPv6 as the XOR of its four 32-bit words), then the map (`h mod total weight`) or the
// consistent ring. `avoid` is ignored: HAProxy re-hashes a redispatched request to the same
// server. A client without an IP address falls back to round robin.

public final class SourceHashBalancer: Balancer {
    let lookup: HashedServerLookup
    let fallback: RoundRobinBalancer

    public init(servers: [BalancedServer], hashType: HashType) {
        lookup = HashedServerLookup(servers: servers, hashType: hashType)
        fallback = RoundRobinBalancer(servers: servers)
    }

    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? {
        guard let h = client.hashKey else { return fallback.pick(request: request, client: client, states: states, avoid: avoid) }
        return lookup.server(forHash: h, states: states)
    }
}
