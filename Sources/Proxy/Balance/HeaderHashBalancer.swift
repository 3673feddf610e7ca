// `balance hdr(NAME) [use_domain_only]`: sdbm hash of the (trimmed) value of the first NAME
// header — with `use_domain_only`, of its second-level domain only ("www.example.com" hashes
// "example") —; without the header or with an empty one, round robin (HAProxy's get_server_hh).

public final class HeaderHashBalancer: Balancer {
    let lookup: HashedServerLookup
    let fallback: RoundRobinBalancer
    let name: HeaderName
    let domainOnly: Bool

    public init(servers: [BalancedServer], hashType: HashType, header: String, domainOnly: Bool = false) {
        lookup = HashedServerLookup(servers: servers, hashType: hashType)
        fallback = RoundRobinBalancer(servers: servers)
        name = HeaderName(header)
        self.domainOnly = domainOnly
    }

    /// The part of a Host-like value `use_domain_only` hashes: between the dot before the
    /// last dot and the last dot (all of it without a dot), walked back as HAProxy does.
    static func domain(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var p = value.count, end = value.count, remaining = value.count
        var inDomain = false
        while remaining > 0 {
            if inDomain {
                if value[p - 1] == UInt8(ascii: ".") { break }
            } else if p < value.count, value[p] == UInt8(ascii: ".") {
                end = p
                inDomain = true
            }
            p -= 1
            remaining -= 1
        }
        return UnsafeRawBufferPointer(rebasing: value[p..<end])
    }

    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? {
        guard let i = name.find(in: request, from: 0), !request.fields[i].value.isEmpty else {
            return fallback.pick(request: request, client: client, states: states, avoid: avoid)
        }
        let value = request.slice(request.fields[i].value)
        return lookup.server(forHash: BalanceHash.sdbm(domainOnly ? Self.domain(value) : value), states: states)
    }
}
