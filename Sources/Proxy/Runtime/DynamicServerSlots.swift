// Room for the servers `add server` creates at run time. Every table the data plane indexes
// by server (topology, state words, counter rows, the engine's addresses and idle pools, the
// balancers) is sized once at start; so the runtime reserves a few vacant servers at the end
// of each backend that can take dynamic servers, and `add server` fills one. A vacant slot is
// in forced maintenance, so balancers skip it with the state-word read they already make (no
// lock, nothing more per request); listings skip it (ServerRoster).

public enum DynamicServerSlots {
    /// Vacant slots reserved per backend unless `tune.dynamic-servers` says otherwise.
    /// HAProxy has no such limit; ringproxy's tables are fixed-size, and each reserved slot
    /// costs the balancers one skipped entry per pick.
    public static let perBackend = 8
    /// The most `tune.dynamic-servers` accepts.
    public static let largest = 4096

    /// The slots a configuration reserves per backend.
    public static func count(_ configuration: Configuration) -> Int {
        configuration.global.tune.dynamicServers ?? perBackend
    }

    /// The name of reserved slot `n` of a backend: it cannot be written in a configuration
    /// nor typed on the CLI (a control character), so it never matches a lookup.
    static func placeholderName(_ n: Int) -> String { "\u{1}vacant\(n)" }

    /// Backends whose algorithm can take servers at run time (HAProxy's BE_LB_PROP_DYN):
    /// not static-rr nor a map-based hash.
    public static func acceptsDynamicServers(_ proxy: ProxyConfig) -> Bool {
        switch proxy.balance {
        case .roundRobin, .leastConn, .first, .random: return true
        case .staticRoundRobin: return false
        case .source, .uri, .urlParam, .header, .rdpCookie: return proxy.hashType == .consistent
        }
    }

    /// Appends the reserved slots to every backend that can take dynamic servers, when a
    /// runtime API socket exists to add them (a configuration without one pays nothing).
    public static func reserve(_ configuration: inout Configuration) {
        guard !configuration.global.statsSockets.isEmpty else { return }
        for i in configuration.proxies.indices where configuration.proxies[i].isBackend {
            let p = configuration.proxies[i]
            guard acceptsDynamicServers(p), p.identity.dispatch == nil || p.balancing.explicit else { continue }
            // A `listen` without servers is routed as having none (Router, relaysTCP): leave it so.
            if p.kind == .listen && p.servers.isEmpty { continue }
            for n in 0..<count(configuration) {
                var s = ServerConfig(name: placeholderName(n), host: "0.0.0.0", port: 0,
                                     location: SourceLocation(file: "<dynamic>", line: 0))
                s.disabled = true
                s.options.reservedSlot = true
                // HAProxy 2.6 keeps no idle connection to a dynamic server (its src_ilim is 0).
                s.options.poolMaxConn = 0
                configuration.proxies[i].servers.append(s)
            }
        }
    }
}
