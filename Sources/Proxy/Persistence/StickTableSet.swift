// Every stick table of a configuration, built once at load: a backend's own table (named
// after the backend; `appsession` tables included), and the tables declared in peers sections
// (`SECTION/NAME`). Backends find theirs by name (`stick ... table NAME`), so one table may
// serve several backends, as in HAProxy; the peers thread shares the ones with a peers section.
//
// Servers are named in a table by key (their name, or `ip:port` with `srvkey addr`) and by id:
// each table has a roster of the server keys of every backend using it, and each backend a
// StickServerMap between its server indexes and the table's StickServers.

public struct StickTableInfo: Sendable {
    /// The table's configuration name: a proxy name or `SECTION/NAME`.
    public var name: String
    /// The name peers know it by: the proxy name, or NAME for a peers section's table.
    public var wireName: String
    public var keyType: StickKeyType
    /// Characters (string) or bytes (binary) of a key that are kept.
    public var keyLength: Int
    /// HAProxy's key_size, announced to peers (strings count their NUL).
    public var wireKeySize: Int
    /// Idle expiry in milliseconds; 0: entries do not expire.
    public var expireMs: Int
    public var capacity: Int
    /// The peers section the table is shared with; nil: kept locally.
    public var peersSection: String?
    /// `srvkey addr`: servers are keyed by `ip:port` instead of their name.
    public var serverKeyIsAddress: Bool
    /// Server keys of every backend using the table (StickServer.roster indexes it).
    public var roster: [String]
    /// The stick counters its entries carry (`store`).
    public var counters: StickCounterLayout = .none
    /// `store server_id`, or `stick` rules use it: `show table` prints server_id/server_key.
    public var storesServer = false
}

public final class StickTableSet: Sendable {
    public let infos: [StickTableInfo]
    public let tables: [AppSessionTable]
    /// Table index by configuration name.
    public let byName: [String: Int]
    /// For each proxy (Configuration.proxies index): its stick table and server map, if it
    /// has stick rules or an appsession.
    let bindings: [Int: (table: Int, map: StickServerMap)]

    public init(configuration c: Configuration) {
        var infos: [StickTableInfo] = []
        var byName: [String: Int] = [:]
        let shared = Set(c.peers.sections.filter { !$0.disabled }.map(\.name))

        func add(_ name: String, wireName: String, _ t: StickTableConfig, appSession: AppSessionConfig?, peers: String?) {
            guard byName[name] == nil else { return }
            var keyType = StickKeyType(configName: t.type)
            var length = t.length
            var expire = t.expire ?? 0
            var capacity = t.size > 0 ? t.size : SessionPersistence.defaultAppSessionCapacity
            if let a = appSession {
                keyType = .string; length = a.length; expire = a.timeout
                if t.size <= 0 { capacity = SessionPersistence.defaultAppSessionCapacity }
            }
            let wireKeySize = keyType.fixedSize ?? (keyType == .string ? length + 1 : length)
            byName[name] = infos.count
            infos.append(StickTableInfo(name: name, wireName: wireName, keyType: keyType,
                                        keyLength: keyType.fixedSize ?? length, wireKeySize: wireKeySize,
                                        expireMs: expire, capacity: capacity,
                                        peersSection: peers.flatMap { shared.contains($0) ? $0 : nil },
                                        serverKeyIsAddress: t.serverKey == "addr", roster: [],
                                        counters: StickCounterLayout(store: t.store),
                                        storesServer: t.store.contains { $0.type == StickDataType.serverID }))
        }
        // Tables of proxies first (their own names), then those of peers sections.
        for p in c.proxies {
            let uses = p.appSession != nil || !p.stickRules.isEmpty
            if p.stickTable != nil || (uses && p.stickRules.allSatisfy({ $0.table == nil || $0.table == p.name })) {
                add(p.name, wireName: p.name, p.stickTable ?? StickTableConfig(), appSession: p.appSession, peers: p.stickTable?.peers)
            }
        }
        for s in c.peers.sections {
            for t in s.tables { add(s.name + "/" + t.name, wireName: t.name, t.table, appSession: nil, peers: s.name) }
        }
        // Rosters: the server keys of each table's backends, owner first.
        var users: [Int: [Int]] = [:]     // table → proxies using it
        for (pi, p) in c.proxies.enumerated() where p.isBackend && (p.appSession != nil || !p.stickRules.isEmpty) {
            let name = p.stickRules.first?.table ?? p.name
            if let ti = byName[name] { users[ti, default: []].append(pi) }
        }
        var bindings: [Int: (table: Int, map: StickServerMap)] = [:]
        for (ti, proxies) in users {
            let ordered = proxies.sorted { a, b in (c.proxies[a].name == infos[ti].name ? 0 : 1, a) < (c.proxies[b].name == infos[ti].name ? 0 : 1, b) }
            var roster: [String] = []
            var index: [String: Int32] = [:]
            for pi in ordered {
                for s in c.proxies[pi].servers {
                    let key = Self.serverKey(s, address: infos[ti].serverKeyIsAddress)
                    if index[key] == nil { index[key] = Int32(roster.count); roster.append(key) }
                }
            }
            infos[ti].roster = roster
            infos[ti].storesServer = true
            for pi in ordered {
                let keys = c.proxies[pi].servers.map { index[Self.serverKey($0, address: infos[ti].serverKeyIsAddress)]! }
                bindings[pi] = (ti, StickServerMap(rosterOfServer: keys, rosterCount: roster.count))
            }
        }
        self.infos = infos
        self.byName = byName
        self.bindings = bindings
        tables = infos.map { i in
            AppSessionTable(keyLength: i.keyLength, timeoutMillis: i.expireMs > 0 ? Int64(i.expireMs) : Int64.max / 4,
                            capacity: i.capacity, dataWords: i.counters.words)
        }
    }

    /// The key a server is known by in a table: its name, or `ip:port` (HAProxy's addr key).
    static func serverKey(_ s: ServerConfig, address: Bool) -> String {
        guard address else { return s.name }
        let host = s.host.contains(":") ? "[\(s.host)]" : s.host
        return "\(host):\(s.port)"
    }

    /// The table and server map of proxy `proxyIndex` (Configuration.proxies), if it sticks.
    public func binding(proxy proxyIndex: Int) -> StickTableBinding? {
        guard let b = bindings[proxyIndex] else { return nil }
        return StickTableBinding(index: b.table, table: tables[b.table], info: infos[b.table], map: b.map)
    }

    /// The tables shared with peers section `section`.
    public func shared(with section: String) -> [Int] {
        infos.indices.filter { infos[$0].peersSection == section }
    }

    public var hasSharedTables: Bool { infos.contains { $0.peersSection != nil } }
}

/// What a backend's persistence needs about its table.
public struct StickTableBinding: Sendable {
    public var index: Int
    public var table: AppSessionTable
    public var info: StickTableInfo
    public var map: StickServerMap
}

/// A backend's servers ↔ a table's StickServers: by roster key first, then by id (HAProxy's
/// order: server_key, then server_id), ids being 1-based positions in the backend.
public struct StickServerMap: Sendable {
    let rosterOfServer: [Int32]
    let serverOfRoster: [Int32]

    public init(rosterOfServer: [Int32], rosterCount: Int) {
        self.rosterOfServer = rosterOfServer
        var back = [Int32](repeating: -1, count: rosterCount)
        for (i, r) in rosterOfServer.enumerated() where back[Int(r)] < 0 { back[Int(r)] = Int32(i) }
        serverOfRoster = back
    }

    /// A table used by one backend: roster index = server index.
    public static func identity(servers: Int) -> StickServerMap {
        StickServerMap(rosterOfServer: (0..<Int32(servers)).map { $0 }, rosterCount: servers)
    }

    @inline(__always) public func server(_ s: StickServer) -> Int? {
        let r = Int(s.roster)
        if r >= 0 && r < serverOfRoster.count, serverOfRoster[r] >= 0 { return Int(serverOfRoster[r]) }
        let i = Int(s.id) - 1
        return i >= 0 && i < rosterOfServer.count ? i : nil
    }

    @inline(__always) public func stickServer(_ server: Int) -> StickServer {
        StickServer(roster: server < rosterOfServer.count ? rosterOfServer[server] : -1, id: Int32(server + 1))
    }
}
