/// Everything a stats rendering needs, captured at one moment: the renderers (CSV, HTML,
/// Prometheus) are pure functions of it.
public struct StatsModel: Sendable {
    public var configuration: Configuration
    public var states: ServerStateTable
    public var counters: CountersSnapshot
    /// Monotonic ms (state ages) and wall-clock seconds (lastsess).
    public var nowMs: Int64
    public var nowSecond: UInt64
    /// Process number for the `pid` column (1 with one process, as HAProxy).
    public var processNumber: Int = 1
    public var pid: Int32 = 0
    /// Frontend `maxconn` when the configuration sets none (the runtime's effective global limit).
    public var defaultMaxconn: Int = 2000
    public var uptimeSeconds: Int = 0
    public var version: String = "2.6.12"
    /// Peer sessions (nil without peers sections).
    public var peers: PeersSnapshot? = nil
    /// The `show info` values by field name, computed only when asked (the exporter's process
    /// metrics); nil without a runtime (tests).
    public var info: (@Sendable () -> [String: String])? = nil
    /// The stick tables (name, type, size, entries used), for the exporter; computed when asked.
    public var stickTables: (@Sendable () -> [(name: String, type: String, size: Int, used: Int)])? = nil

    public init(configuration: Configuration, states: ServerStateTable, counters: CountersSnapshot,
                nowMs: Int64, nowSecond: UInt64) {
        self.configuration = configuration; self.states = states; self.counters = counters
        self.nowMs = nowMs; self.nowSecond = nowSecond
    }

    // MARK: derived values shared by the renderers

    public func frontendMaxconn(_ p: ProxyConfig) -> Int { frontendMaxconnOverride[p.name] ?? configuredFrontendMaxconn(p) }
    func configuredFrontendMaxconn(_ p: ProxyConfig) -> Int { p.maxconn ?? configuration.global.maxconn ?? defaultMaxconn }

    /// Changes made at run time (`set maxconn frontend|server`, `disable frontend`).
    public var frontendMaxconnOverride: [String: Int] = [:]
    public var serverMaxconnOverride: [Int: Int] = [:]
    public var pausedFrontends: Set<String> = []

    /// HAProxy's default `fullconn`: a tenth (rounded up) of the sum of the maxconn of the
    /// frontends that can route to the backend; at least 1.
    public func backendFullconn(_ b: ProxyConfig) -> Int {
        var sum = 0
        for f in configuration.proxies where f.isFrontend {
            let routes = f.name == b.name || f.defaultBackend == b.name || f.useBackends.contains { $0.backend == b.name }
            if routes { sum += configuredFrontendMaxconn(f) }    // computed once at start, as HAProxy
        }
        return max(1, (sum + 9) / 10)
    }

    /// HAProxy's proxy id (`iid`): 1-based in file order, after the internal CLI proxy that a
    /// `stats socket` line creates (it takes id 1).
    public func proxyID(_ name: String) -> Int {
        guard let i = configuration.proxies.firstIndex(where: { $0.name == name }) else { return 1 }
        return ObjectIDs.proxies(configuration)[i]        // `id N`, else HAProxy's numbering
    }

    /// The addresses inherited listening sockets (`fd@N`) are bound to, by engine listener
    /// index, for the listener rows' `addr` column.
    public var listenerAddresses: [Int: String] = [:]

    /// A server's address when changed at run time (`set server addr`), else nil.
    public var serverAddresses: [Int: String] = [:]
    public func serverAddress(_ slot: Int) -> String? { serverAddresses[slot] }

    /// Backend `status`: UP while it has usable weight, or when it has no servers at all.
    public func backendStatus(_ b: ProxyConfig, index: Int) -> String {
        states.listedServers(backend: index).isEmpty || states.backendHasServer(index) ? "UP" : "DOWN"
    }

    /// Sum of the current weights of the servers taking load-balanced traffic (active ones,
    /// or backups when no active server does), and the active/backup counts (srv_act/srv_bck).
    public func backendWeight(_ index: Int) -> (weight: Int, active: Int, backup: Int) {
        let be = states.backends[index]
        var wa = 0, wb = 0, a = 0, k = 0
        for s in be.servers where states.isBalanceable(s) {
            let info = states.servers[s]
            let w = states.currentWeight(s)
            if info.backup { wb += w; k += 1 } else { wa += w; a += 1 }
        }
        return (a > 0 ? wa : wb, a, k)
    }
}
