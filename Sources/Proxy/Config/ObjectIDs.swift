// HAProxy's numbering of proxies (iid) and servers (sid): an explicit `id` is kept, the others
// take the first free number from a counter that moves on by one after every object, in
// declaration order (cfgparse.c check_config_validity).

public enum ObjectIDs {
    /// The id of every proxy of the configuration, in `configuration.proxies` order. A
    /// `stats socket` line creates HAProxy's internal CLI proxy first: it takes the first id.
    public static func proxies(_ configuration: Configuration) -> [Int] {
        let cli: [Int?] = configuration.global.statsSockets.isEmpty ? [] : [nil]
        return Array(assign(cli + configuration.proxies.map(\.identity.id)).dropFirst(cli.count))
    }

    /// The id of every server of a backend, in declaration order.
    public static func servers(_ proxy: ProxyConfig) -> [Int] {
        assign(proxy.servers.map(\.options.id))
    }

    static func assign(_ explicit: [Int?]) -> [Int] {
        var used = Set(explicit.compactMap { $0 })
        var next = 1
        return explicit.map { id in
            defer { next += 1 }
            if let id { return id }
            while used.contains(next) { next += 1 }
            used.insert(next)
            return next
        }
    }
}
