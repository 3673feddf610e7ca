// Everything the stream layer needs about frontends and backends, resolved once from the
// configuration into flat, immutable tables (names pre-built for the log, loggers looked up,
// modes combined), so the per-request path only indexes arrays.

import CUring

public final class FrontendPlan: @unchecked Sendable {
    // @unchecked: immutable after construction (the two vars are set while the tables are
    // built); ForwardedFor and the byte arrays are values.
    public let name: String
    public let config: ProxyConfig
    public let ownBackend: Int?
    public let mode: ConnectionMode
    public let forwardFor: ForwardedFor?
    public let monitorURI: [UInt8]?
    public let statsURI: [UInt8]?
    public let prometheusURI: [UInt8]?
    /// Loggers, header fields and log options (httplog/tcplog, dontlog-normal, …).
    public let log: ProxyLog
    public let dontLogNull: Bool
    public let counterRow: Int
    /// `timeout client-fin` (0: the client timeout goes on) and the `option splice-*` bits.
    public var clientFinMs: UInt32 = 0
    public var splice: Int32 = 0
    /// `option originalto` (ForwardingHeaders.swift).
    public var originalTo: ForwardedFor? = nil
    /// `option accept-invalid-http-request`: a `#` in the target is accepted.
    public var acceptsFragment = false
    /// Index in Configuration.proxies (the rule programs are indexed by it).
    public var proxy = 0
    /// `mode tcp`: its connections are relayed as raw bytes (StreamHandler+TCP.swift).
    public var tcp = false
    /// `option http-buffer-request` applies to its requests (RequestBodyWait).
    public var waitsForBody = false
    /// `option http-buffer-request` applies (in it or a backend it can reach).
    public var buffersRequest = false
    /// The proxies (configuration indexes: the frontend, then the backends it can reach) with
    /// `http-request wait-for-body` rules (BodyWaitRules.swift).
    public var bodyWaitProxies: [Int] = []
    /// The frontend has `http-response wait-for-body` rules.
    public var responseBodyWait = false
    /// A `mode tcp` frontend whose backend is HTTP (HAProxy upgrades the stream): its client
    /// timeout keeps running while the response is awaited.
    public var upgradedFromTCP = false
    /// The client side's mode: `httpclose` closes it, `http-server-close` keeps it (only the
    /// server connection closes), as HAProxy.
    public var clientMode: ConnectionMode = .keepAlive

    init(name: String, config: ProxyConfig, ownBackend: Int?, mode: ConnectionMode, forwardFor: ForwardedFor?,
         monitorURI: [UInt8]?, statsURI: [UInt8]?, prometheusURI: [UInt8]?, log: ProxyLog,
         dontLogNull: Bool, counterRow: Int) {
        self.name = name; self.config = config; self.ownBackend = ownBackend; self.mode = mode
        self.forwardFor = forwardFor; self.monitorURI = monitorURI; self.statsURI = statsURI
        self.prometheusURI = prometheusURI; self.log = log
        self.dontLogNull = dontLogNull; self.counterRow = counterRow
    }
}

public final class BackendPlanInfo: @unchecked Sendable {
    // @unchecked: `dispatch` is set once while the tables are built, then only read.
    //             `proxy` is set once while the plan is built, before it is shared.
    public let name: String
    /// `timeout server-fin` (0: timeout server goes on once the server side is shut for writes).
    public var serverFinMs: UInt32 = 0
    /// Index in Configuration.proxies (the rule programs are indexed by it).
    public var proxy = 0
    /// `stats uri` of a backend section (served once the request is routed to it).
    public var statsURI: [UInt8]? = nil
    /// The backend has `http-response wait-for-body` rules.
    public var responseBodyWait = false
    public let plan: BackendPlan
    public let servers: Range<Int>          // global server indexes (= ServerStateTable slots)
    public let serverNames: [String]
    public let mode: ConnectionMode
    public let forwardFor: ForwardedFor?
    public let connectTimeout: Int
    public let serverTimeout: Int
    public let queueTimeout: Int
    public let retries: Int
    /// 0: no redispatch; 1: on the last retry; 2: at the first failure (load-balanced
    /// requests of a round-robin-like backend, as HAProxy 2.6 does).
    public let redispatchLoadBalanced: Int32
    public let redispatchPersistent: Int32
    public let abortOnClose: Bool
    public let counterRow: Int
    /// The engine server of `dispatch ADDR:PORT` (Topology.dispatchAddresses), used when no
    /// server is chosen.
    public var dispatch: Int? = nil
    /// `option transparent` (the dispatch server stands for the client's destination).
    public var transparent = false
    /// `option checkcache` (CheckCacheStage.swift), and the backend's loggers for its alert.
    public var checkCache = false
    var checkCacheLog: ProxyLog? = nil
    /// The client side's mode (`httpclose` closes it; `http-server-close` does not).
    public var clientMode: ConnectionMode = .keepAlive
    /// `option splice-request/response` bits (RP_SPLICE_*).
    public var splice: Int32 = 0
    /// `option originalto` (ForwardingHeaders.swift).
    public var originalTo: ForwardedFor? = nil
    /// `redir PREFIX` of each server (nil: no server of the backend has one).
    var redirects: [[UInt8]?]? = nil
    /// `option prefer-last-server` with a non-deterministic algorithm.
    public var prefersLastServer = false
    /// `option http-pretend-keepalive`: the server is not told the connection will close.
    public var pretendKeepAlive = false
    /// `balance url_param … check_post`: the balancer reads the buffered body.
    public var hashesPostBody = false
    /// `http-reuse`: which idle server connections a request may take.
    public var reuse = HTTPReuse.safe

    init(name: String, plan: BackendPlan, servers: Range<Int>, serverNames: [String], mode: ConnectionMode,
         forwardFor: ForwardedFor?, connectTimeout: Int, serverTimeout: Int, queueTimeout: Int, retries: Int,
         redispatchLoadBalanced: Int32, redispatchPersistent: Int32, abortOnClose: Bool, counterRow: Int) {
        self.name = name; self.plan = plan; self.servers = servers; self.serverNames = serverNames
        self.mode = mode; self.forwardFor = forwardFor; self.connectTimeout = connectTimeout
        self.serverTimeout = serverTimeout; self.queueTimeout = queueTimeout; self.retries = retries
        self.redispatchLoadBalanced = redispatchLoadBalanced; self.redispatchPersistent = redispatchPersistent
        self.abortOnClose = abortOnClose; self.counterRow = counterRow
    }
}

/// A backend's view of server health for the decision layer (indexes local to the backend).
public struct BackendServerStates: ServerStates {
    public let table: ServerStateTable
    public let base: Int
    @inline(__always) public func isUsable(_ index: Int) -> Bool { table.isUsable(base &+ index) }
    @inline(__always) public func isBalanceable(_ index: Int) -> Bool { table.isBalanceable(base &+ index) }
    @inline(__always) public func weight(_ index: Int) -> Int? { table.currentWeight(base &+ index) }
}

enum PlanBuilder {
    static func connectionMode(_ m: HttpConnectionMode) -> ConnectionMode { m == .keepAlive ? .keepAlive : .close }

    /// `option splice-request` / `splice-response`: those bodies are spliced whatever their size
    /// (`splice-auto` is the engine's own rule: bodies above its threshold).
    static func spliceBits(_ c: ConnectionOptions) -> Int32 {
        (c.spliceRequest ? Int32(RP_SPLICE_REQUEST) : 0) | (c.spliceResponse ? Int32(RP_SPLICE_RESPONSE) : 0)
    }

    /// The URI of `http-request use-service prometheus-exporter if { path /metrics }`.
    static func prometheusURI(_ p: ProxyConfig) -> [UInt8]? {
        if let u = p.prometheusURI { return Array(u.utf8) }
        guard let c = p.prometheus, c.alternatives.count == 1, c.alternatives[0].count == 1,
              !c.alternatives[0][0].negated,
              let acl = p.acls.first(where: { $0.name == c.alternatives[0][0].acl }),
              acl.fetch == .path, acl.match == .exact, acl.patterns.count == 1 else { return nil }
        return Array(acl.patterns[0].utf8)
    }

    static func originalTo(_ p: ProxyConfig) throws -> ForwardedFor? {
        guard let c = p.originalTo else { return nil }
        guard let x = ForwardedFor(c) else {
            throw EngineError(description: "\(p.location): option originalto: invalid 'except' network '\(c.exceptNetwork ?? "")'")
        }
        return x
    }

    static func frontends(_ config: Configuration, _ topo: Topology, _ layout: CounterLayout, _ logs: LogTargets) throws -> [FrontendPlan] {
        try topo.frontends.map { f in
            let p = config.proxies[f.proxy]
            var xff: ForwardedFor? = nil
            if let ff = p.forwardFor {
                guard let x = ForwardedFor(ff) else {
                    throw EngineError(description: "\(p.location): option forwardfor: invalid 'except' network '\(ff.exceptNetwork ?? "")'")
                }
                xff = x
            }
            let plan = FrontendPlan(
                name: p.name, config: p, ownBackend: f.ownBackend,
                mode: connectionMode(p.connectionMode), forwardFor: xff,
                monitorURI: p.monitorURI.map { Array($0.utf8) },
                statsURI: p.stats.enabled ? Array(p.stats.uri.utf8) : nil,
                prometheusURI: prometheusURI(p),
                log: logs.log(of: p.name), dontLogNull: p.dontLogNull,
                counterRow: layout.frontendRows[p.name] ?? 0)
            plan.clientMode = p.connectionMode == .close ? .close : .keepAlive
            plan.clientFinMs = UInt32(clamping: p.timeouts.clientFin ?? 0)
            plan.splice = spliceBits(p.connection)
            plan.originalTo = try originalTo(p)
            plan.acceptsFragment = p.acceptInvalidHTTPRequest
            plan.proxy = f.proxy
            plan.tcp = config.relaysTCP(frontend: p)
            plan.waitsForBody = RequestBodyWait.frontendWaits(config, topo, frontend: p, ownBackend: f.ownBackend)
            plan.buffersRequest = RequestBodyWait.reaches(config, topo, frontend: p, ownBackend: f.ownBackend) { $0.connection.bufferRequest }
            plan.bodyWaitProxies = RequestBodyWait.waitForBodyProxies(config, topo, frontend: f.proxy, ownBackend: f.ownBackend)
            plan.responseBodyWait = BodyWaitRules.any(p.rules.httpResponse)
            plan.upgradedFromTCP = p.mode == .tcp && !plan.tcp
            return plan
        }
    }

    static func backends(_ config: Configuration, _ topo: Topology, _ layout: CounterLayout,
                         _ tables: StickTableSet? = nil, _ logs: LogTargets? = nil) throws -> [BackendPlanInfo] {
        try topo.backends.map { b in
            let p = config.proxies[b.proxy]
            var xff: ForwardedFor? = nil
            if let ff = p.forwardFor {
                guard let x = ForwardedFor(ff) else {
                    throw EngineError(description: "\(p.location): option forwardfor: invalid 'except' network '\(ff.exceptNetwork ?? "")'")
                }
                xff = x
            }
            let rrLike: Bool
            switch p.balance {
            case .roundRobin, .staticRoundRobin, .leastConn, .first: rrLike = true
            default: rrLike = false
            }
            let connect = p.timeouts.connect ?? 0
            let info = BackendPlanInfo(
                name: p.name, plan: BackendPlan(backend: p, tables: tables?.binding(proxy: b.proxy)), servers: b.servers,
                serverNames: p.servers.map(\.name),
                mode: connectionMode(p.connectionMode), forwardFor: xff,
                connectTimeout: connect, serverTimeout: p.timeouts.server ?? 0,
                queueTimeout: p.timeouts.queue ?? connect,
                retries: p.retries,
                redispatchLoadBalanced: p.redispatch ? (rrLike && p.servers.filter({ !$0.options.reservedSlot }).count > 1 ? 2 : 1) : 0,
                redispatchPersistent: p.redispatch ? 1 : 0,
                abortOnClose: p.abortOnClose,
                counterRow: layout.backendRows[p.name] ?? 0)
            info.dispatch = b.dispatch
            info.transparent = b.transparent
            info.checkCache = p.connection.checkCache
            if p.connection.checkCache { info.checkCacheLog = logs?.log(of: p.name) }
            info.serverFinMs = UInt32(clamping: p.timeouts.serverFin ?? 0)
            info.clientMode = p.connectionMode == .close ? .close : .keepAlive
            info.splice = spliceBits(p.connection)
            info.originalTo = try originalTo(p)
            if p.servers.contains(where: { $0.options.redirectPrefix != nil }) {
                info.redirects = p.servers.map { $0.options.redirectPrefix.map { Array($0.utf8) } }
            }
            switch p.balance {
            // HAProxy 2.6 prefers the server of a connection the client session still owns:
            // with HTTP/1 servers that is only with `http-reuse never` (checked on the wire).
            case .roundRobin, .staticRoundRobin, .leastConn, .random, .first:
                info.prefersLastServer = p.balancing.preferLastServer && p.httpReuse == "never"
            default: info.prefersLastServer = false        // hash-based: the hash decides (HAProxy)
            }
            info.pretendKeepAlive = p.connection.pretendKeepAlive
            info.hashesPostBody = p.balancing.urlParamCheckPost
            info.reuse = HTTPReuse(keyword: p.httpReuse)
            info.proxy = b.proxy
            info.statsURI = p.stats.enabled && p.kind == .backend ? Array(p.stats.uri.utf8) : nil
            info.responseBodyWait = BodyWaitRules.any(p.rules.httpResponse)
            return info
        }
    }
}
