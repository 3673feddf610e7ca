/// A listener that has its own statistics row (`option socket-stats`), as HAProxy 2.6 numbers
/// and names it: `id` is the listener's number inside its proxy (a `bind … id N`, else the
/// next free number from 1, in file order) and `name` its `bind … name`, else `sock-<id>`.
public struct StatsListener: Sendable, Equatable {
    /// The engine's listener index (binds of every frontend, in file order).
    public let listener: Int
    /// The proxy's index in `Configuration.proxies`.
    public let proxy: Int
    public let id: Int
    public let name: String
    public let bind: BindConfig
    /// Its counter row.
    public let row: Int

    /// Every listener of the proxies with `option socket-stats`, rows numbered from `firstRow`.
    static func all(_ config: Configuration, firstRow: Int) -> [StatsListener] {
        var out: [StatsListener] = []
        var engineIndex = 0
        for (pi, p) in config.proxies.enumerated() where p.isFrontend {
            defer { engineIndex += p.binds.count }
            guard p.connection.socketStats else { continue }
            let ids = listenerIDs(p.binds)
            for (i, b) in p.binds.enumerated() {
                out.append(StatsListener(listener: engineIndex + i, proxy: pi, id: ids[i],
                                         name: b.options.name ?? "sock-\(ids[i])", bind: b, row: firstRow + out.count))
            }
        }
        return out
    }

    /// HAProxy's listener ids (check_config_validity): explicit ones kept; the others take the
    /// first free number from a counter that moves on after every listener, explicit or not
    /// (ids 1, 7, 3, 2, 5 for `bind`, `bind id 7`, `bind`, `bind id 2`, `bind`).
    static func listenerIDs(_ binds: [BindConfig]) -> [Int] {
        var used = Set(binds.compactMap(\.options.id))
        var next = 1
        return binds.map { b in
            defer { next += 1 }
            if let id = b.options.id { return id }
            while used.contains(next) { next += 1 }
            used.insert(next)
            return next
        }
    }

    /// The `addr` column: `A.B.C.D:P`, `[v6]:P`, `unix` for UNIX and abstract sockets.
    /// An inherited socket's address is the one it is bound to (`bound`, from getsockname).
    public func addressText(bound: String?) -> String {
        switch bind.address {
        case .tcp(let host, let port):
            let h = host.isEmpty || host == "*" ? "0.0.0.0" : host
            return h.contains(":") ? "[\(h)]:\(port)" : "\(h):\(port)"
        case .unixPath, .abstractNamespace:
            return "unix"
        case .inheritedFD:
            return bound ?? ""
        }
    }
}
