// A backend's load-balancing algorithm. One instance per backend, shared by every worker
// thread (HAProxy shares the round-robin position of a backend between all its clients),
// so implementations are Sendable and guard their state with a Mutex (Synchronization).
// Measured with -O on this (busy, 2-core) machine: roundrobin pick ≈ 73 ns with 2 servers,
// ≈ 90 ns per pick with 2 threads hammering the same backend; source-hash pick ≈ 45 ns;
// no heap allocation per pick (checked with valgrind).

import Synchronization

public protocol Balancer: AnyObject, Sendable {
    /// Picks a server for a request that no persistence rule has placed, or nil when no server
    /// is usable. `avoid` is the server that just failed (redispatch): skipped unless it is
    /// the only choice. Hash-based algorithms ignore it (HAProxy re-hashes to the same server).
    func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int?
    /// A connection to `server` begins/ends, whoever chose it (leastconn counts them).
    func connectionStarted(_ server: Int)
    func connectionEnded(_ server: Int)
}

extension Balancer {
    public func connectionStarted(_ server: Int) {}
    public func connectionEnded(_ server: Int) {}
}

/// What a balancer knows about a server.
public struct BalancedServer: Equatable, Sendable {
    public var weight: Int
    public var backup: Bool
    /// `maxconn` (0: no limit) and `id`: what `balance first` orders and fills servers by.
    public var maxconn = 0
    public var id: Int? = nil
    public init(weight: Int, backup: Bool = false, maxconn: Int = 0, id: Int? = nil) {
        self.weight = weight; self.backup = backup; self.maxconn = maxconn; self.id = id
    }
    public init(_ config: ServerConfig) {
        weight = config.weight; backup = config.backup; maxconn = config.maxconn ?? 0; id = config.options.id
    }
}

/// HAProxy's rule for backup servers (without `option allbackups`): they take traffic only
/// when no active server takes load-balanced traffic (all down, draining, in maintenance or
/// at weight 0), and then only the first usable one in declaration order.
enum BackupRule {
    /// nil when an active server with a non-zero weight is usable; otherwise the first usable
    /// backup (or -1 when there is none either).
    @inline(__always)
    static func fallback(_ servers: [BalancedServer], _ states: some ServerStates) -> Int? {
        var firstBackup = -1
        for i in servers.indices {
            guard states.isBalanceable(i) else { continue }
            if !servers[i].backup { if (states.weight(i) ?? servers[i].weight) > 0 { return nil } }
            else if firstBackup < 0 { firstBackup = i }
        }
        return firstBackup
    }
}

/// Builds the balancer a backend's configuration asks for.
public func makeBalancer(_ algorithm: BalanceAlgorithm, hashType: HashType, servers: [ServerConfig],
                         options: BalanceOptions = BalanceOptions()) -> any Balancer {
    let s = servers.map(BalancedServer.init)
    if options.allBackups && s.contains(where: \.backup) {
        var plain = options
        plain.allBackups = false
        return AllBackupsBalancer(servers: s, primary: makeBalancer(algorithm, hashType: hashType, servers: servers, options: plain)) { tier in
            makeBalancer(algorithm, hashType: hashType, balanced: tier, options: plain)
        }
    }
    return makeBalancer(algorithm, hashType: hashType, balanced: s, options: options)
}

func makeBalancer(_ algorithm: BalanceAlgorithm, hashType: HashType, balanced s: [BalancedServer], options: BalanceOptions) -> any Balancer {
    switch algorithm {
    case .roundRobin: return RoundRobinBalancer(servers: s)
    case .staticRoundRobin: return StaticRoundRobinBalancer(servers: s)
    case .leastConn: return LeastConnBalancer(servers: s)
    case .source: return SourceHashBalancer(servers: s, hashType: hashType)
    case .uri: return URIHashBalancer(servers: s, hashType: hashType, options: options)
    case .urlParam(let name): return URLParamHashBalancer(servers: s, hashType: hashType, parameter: name, checkPost: options.urlParamCheckPost)
    case .header(let name): return HeaderHashBalancer(servers: s, hashType: hashType, header: name, domainOnly: options.headerDomainOnly)
    case .random(let draws): return RandomBalancer(servers: s, draws: draws)
    case .first: return FirstAvailableBalancer(servers: s)
    case .rdpCookie(let name): return RDPCookieBalancer(servers: s, hashType: hashType, cookie: name)
    }
}
