// `balance hdr(NAME)`: sdbm hash of the (trimmed) value of the first NAME header; without
// the header, round robin (as HAProxy's get_server_hh).

public final class HeaderHashBalancer: Balancer {
    let lookup: HashedServerLookup
    let fallback: RoundRobinBalancer
    let name: HeaderName

    public init(servers: [BalancedServer], hashType: HashType, header: String) {
        lookup = HashedServerLookup(servers: servers, hashType: hashType)
        fallback = RoundRobinBalancer(servers: servers)
        name = HeaderName(header)
    }

    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? {
        guard let i = name.find(in: request, from: 0) else {
            return fallback.pick(request: request, client: client, states: states, avoid: avoid)
        }
        return lookup.server(forHash: BalanceHash.sdbm(request.slice(request.fields[i].value)), states: states)
    }
}
