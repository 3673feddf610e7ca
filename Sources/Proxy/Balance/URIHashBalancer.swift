// `balance uri`: sdbm hash of the request target up to the first `?` (the query string is
// ignored, as HAProxy's get_server_uh does), then the map or the consistent ring.

public final class URIHashBalancer: Balancer {
    let lookup: HashedServerLookup

    public init(servers: [BalancedServer], hashType: HashType) {
        lookup = HashedServerLookup(servers: servers, hashType: hashType)
    }

    static func hash(_ target: UnsafeRawBufferPointer) -> UInt32 {
        var end = 0
        while end < target.count && target[end] != UInt8(ascii: "?") { end += 1 }
        return BalanceHash.sdbm(UnsafeRawBufferPointer(rebasing: target[0..<end]))
    }

    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? {
        lookup.server(forHash: Self.hash(request.slice(request.target)), states: states)
    }
}
