// `balance uri [len N] [depth N] [whole] [path-only]`: sdbm hash of the request target up to
// the first `?` (all of it with `whole`), cut at N characters (`len`) and before the slash
// that ends directory N (`depth`), from the path only with `path-only` (scheme and authority of
// an absolute URI left out); then the map or the consistent ring (HAProxy's get_server_uh).

public final class URIHashBalancer: Balancer {
    let lookup: HashedServerLookup
    let length: Int
    /// The slash that ends the hashed part (depth + 1), 0 for none.
    let endingSlash: Int
    let whole: Bool
    let pathOnly: Bool

    public init(servers: [BalancedServer], hashType: HashType, options: BalanceOptions = BalanceOptions()) {
        lookup = HashedServerLookup(servers: servers, hashType: hashType)
        length = options.uriLength ?? 0
        endingSlash = options.uriDepth.map { $0 + 1 } ?? 0
        whole = options.uriWhole
        pathOnly = options.uriPathOnly
    }

    func hash(_ uri: UnsafeRawBufferPointer) -> UInt32 {
        var target = uri
        if pathOnly { target = Self.path(of: target) }
        var count = target.count
        if length > 0 { count = min(count, length) }
        var end = 0, slashes = 0
        while end < count {
            let c = target[end]
            if c == UInt8(ascii: "/") {
                slashes += 1
                if slashes == endingSlash { break }
            } else if c == UInt8(ascii: "?") && !whole {
                break
            }
            end += 1
        }
        return BalanceHash.sdbm(UnsafeRawBufferPointer(rebasing: target[0..<end]))
    }

    /// The path (and query) of a request target: an absolute URI (`scheme://authority/path`)
    /// loses its scheme and authority; `*` and an authority alone have no path.
    static func path(of target: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let first = target.first else { return target }
        if first == UInt8(ascii: "/") { return target }
        // scheme "://" authority
        var i = 0
        while i + 2 < target.count, !(target[i] == UInt8(ascii: ":") && target[i + 1] == UInt8(ascii: "/") && target[i + 2] == UInt8(ascii: "/")) {
            i += 1
        }
        guard i + 2 < target.count else { return UnsafeRawBufferPointer(rebasing: target[0..<0]) }
        var j = i + 3
        while j < target.count, target[j] != UInt8(ascii: "/"), target[j] != UInt8(ascii: "?") { j += 1 }
        return UnsafeRawBufferPointer(rebasing: target[j...])
    }

    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? {
        lookup.server(forHash: hash(request.slice(request.target)), states: states)
    }
}
