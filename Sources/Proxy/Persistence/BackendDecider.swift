// The façade the stream layer calls: once per request head (which server, which header
// edits, which persistence log character) and once per response head (cookie edits,
// session learning, the response log character). It applies HAProxy's order: cookie
// persistence, then the session table (appsession / stick rules), then the balancer.
//
// BackendPlan is built once per backend and shared by all workers (balancer position and
// session table are shared, as in HAProxy); BackendDecider is one per backend per worker
// (it owns the scratch the cookie rewriting uses). Neither allocates per request, except
// the session table storing a new id.

public final class BackendPlan: Sendable {
    public let name: String
    public let servers: [ServerConfig]
    public let balancer: any Balancer
    public let session: SessionPersistence?
    public let cookie: CookieConfig?
    /// `option persist`.
    public let persist: Bool
    /// `persist rdp-cookie` (mode tcp; the stream layer asks it before deciding).
    public let rdpPersistence: RDPCookiePersistence?
    /// Servers with `non-stick`: never stored in the session (stick) table.
    public let nonStick: [Bool]
    /// HAProxy prints the two cookie characters only when some cookie option is set
    /// (passive `cookie NAME` alone logs `--`).
    public let logsCookieChars: Bool
    /// The session table is shared with peers: its changes go to the peers thread.
    public let sharesTable: Bool

    /// `tables`: the configuration's stick tables, where the backend's session table is (nil:
    /// the backend gets a table of its own, as in unit tests).
    public init(backend: ProxyConfig, tables: StickTableBinding? = nil) {
        name = backend.name
        servers = backend.servers
        if backend.identity.dispatch != nil && !backend.balancing.explicit {
            balancer = DispatchOnlyBalancer()      // HAProxy's dispatch mode: no load balancing
        } else {
            balancer = makeBalancer(backend.balance, hashType: backend.hashType, servers: backend.servers, options: backend.balancing)
        }
        if let a = backend.appSession {
            session = tables.map { SessionPersistence(appSession: a, binding: $0) } ?? SessionPersistence(appSession: a)
        } else if !backend.stickRules.isEmpty {
            session = tables.map { SessionPersistence(rules: backend.stickRules, binding: $0) }
                ?? SessionPersistence(stickTable: backend.stickTable ?? StickTableConfig(), rules: backend.stickRules)
        } else {
            session = nil
        }
        sharesTable = session != nil && tables?.info.peersSection != nil
        cookie = backend.cookie
        persist = backend.connection.persist
        rdpPersistence = backend.rdpPersistCookie.map {
            RDPCookiePersistence(cookie: $0, servers: backend.servers, persist: backend.connection.persist)
        }
        nonStick = backend.servers.map(\.options.nonStick)
        if let c = backend.cookie {
            logsCookieChars = c.mode != .passive || c.indirect || c.nocache || c.postonly || c.preserve || c.httponly || c.secure
        } else {
            logsCookieChars = false
        }
    }
}

/// What the request side decided.
public struct RequestDecision: Equatable, Sendable {
    /// The server to connect to; nil → 503 (`SC--`).
    public var server: Int?
    /// Placed by persistence (cookie or session), not by the balancer.
    public var direct: Bool
    /// Placed by the persistence cookie (no cookie is inserted in the response).
    public var cookieDirect: Bool
    /// Third character of the termination state: N I D V, or `-`.
    public var cookieLogChar: UInt8
    public var requestIsPost: Bool
    /// Set by `redispatch` (the log prints the retries with a `+`).
    public var redispatched: Bool
    /// The session id found in the request (valid while the request head is).
    public var sessionKey: SessionPersistence.RequestKey
    /// The persistence cookie's dates (maxidle/maxlife), UNIX seconds, 0: none.
    public var cookieLastDate: Int64 = 0
    public var cookieFirstDate: Int64 = 0
}

public final class BackendDecider {
    public let plan: BackendPlan
    let cookie: CookiePersistence?
    /// This worker's outbox to the peers thread, when the backend's table is shared.
    let updates: StickUpdateQueue?

    public init(plan: BackendPlan, updates: StickUpdateQueue? = nil) {
        self.plan = plan
        cookie = plan.cookie.map { CookiePersistence(config: $0, servers: plan.servers, persist: plan.persist) }
        self.updates = updates
    }

    /// Decides the server for a request head and records the request header edits.
    /// `now` is a monotonic clock in milliseconds (session expiry); `wallSeconds` the UNIX
    /// date in seconds for the cookie dates (nil: the clock is read when needed).
    /// `preferred`: the server of the connection's previous request (`option prefer-last-server`),
    /// taken when no persistence applies and it is usable. `useServer`: the server a `use-server`
    /// rule named (already checked usable), taken unless the persistence cookie named one.
    public func decideRequest(head: RequestHead, client: ClientAddress, states: some ServerStates,
                              rewrite: HeadRewrite, now: Int64, wallSeconds: Int64? = nil, preferred: Int? = nil,
                              useServer: Int? = nil) -> RequestDecision {
        var d = RequestDecision(server: nil, direct: false, cookieDirect: false,
                                cookieLogChar: CookieLogChar.unused, requestIsPost: head.isPost,
                                redispatched: false, sessionKey: .none)
        if let cookie {
            let r = cookie.processRequest(head, states: states, rewrite: rewrite, wallSeconds: wallSeconds)
            if plan.logsCookieChars { d.cookieLogChar = r.logChar }
            d.cookieLastDate = r.lastDate
            d.cookieFirstDate = r.firstDate
            if let s = r.server { d.server = s; d.direct = true; d.cookieDirect = true }
        }
        // `use-server` (ServerSwitch): after the cookie, before the session table and the balancer.
        if d.server == nil, let s = useServer { d.server = s; d.direct = true }
        if let session = plan.session {
            let r = session.processRequest(head, client: client, states: states, now: now, updates: updates)
            d.sessionKey = r.key
            if d.server == nil, let s = r.server { d.server = s; d.direct = true }
        }
        if d.server == nil, let p = preferred, states.isBalanceable(p) { d.server = p; plan.balancer.connectionStarted(p) }
        else if let s = d.server {
            plan.balancer.connectionStarted(s)
        } else {
            d.server = plan.balancer.pick(request: head, client: client, states: states, avoid: nil)
        }
        if let s = d.server, let session = plan.session, !d.sessionKey.isNone, !plan.nonStick[s] {
            session.learn(d.sessionKey, request: head, client: client, server: s, states: states, now: now, updates: updates)
        }
        return d
    }

    /// After the last connection retry failed (`option redispatch`): forget persistence and
    /// load-balance again avoiding the failed server; the session id follows the new server
    /// and the response will carry a new cookie. `head` must be the same request head.
    public func redispatch(_ d: inout RequestDecision, head: RequestHead, client: ClientAddress,
                           states: some ServerStates, now: Int64) {
        let failed = d.server
        if let f = failed { plan.balancer.connectionEnded(f) }
        d.server = plan.balancer.pick(request: head, client: client, states: states, avoid: failed)
        d.direct = false
        d.cookieDirect = false
        d.redispatched = true
        if d.cookieLogChar == CookieLogChar.valid { d.cookieLogChar = CookieLogChar.down }
        if let s = d.server, let session = plan.session, !plan.nonStick[s] {
            session.repoint(d.sessionKey, request: head, client: client, server: s, now: now, updates: updates)
        }
    }

    /// Processes the response head of the server chosen by `d`; returns the fourth
    /// character of the termination state (N P D I R U, or `-`).
    public func decideResponse(_ d: RequestDecision, response: ResponseHead, rewrite: HeadRewrite,
                               states: some ServerStates, now: Int64, wallSeconds: Int64? = nil) -> UInt8 {
        guard let server = d.server else { return CookieLogChar.unused }
        var ch = CookieLogChar.unused
        if let cookie {
            let ctx = CookieResponseContext(server: server, direct: d.cookieDirect, requestIsPost: d.requestIsPost,
                                            lastDate: d.cookieLastDate, firstDate: d.cookieFirstDate,
                                            wallSeconds: wallSeconds)
            let c = cookie.processResponse(response, ctx, rewrite: rewrite)
            if plan.logsCookieChars { ch = c }
        }
        if let session = plan.session, !plan.nonStick[server] {
            session.processResponse(response, server: server, states: states, now: now, updates: updates)
        }
        return ch
    }

    /// The connection to the server of `d` is over (leastconn bookkeeping).
    public func connectionEnded(_ d: RequestDecision) {
        if let s = d.server { plan.balancer.connectionEnded(s) }
    }
}
