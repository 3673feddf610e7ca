import Synchronization

/// Live state of every server of every backend. Readers (workers, the stats page) see one
/// packed atomic word per server and read it with one relaxed load, never waiting. Writers
/// (the checker's results, the runtime API's `set server`, the stats admin form, the
/// server-state file) go through `ServerStateControl` and serialize on one lock; they are
/// rare. Relaxed ordering is enough: each value is self-contained and a reader seeing a
/// state one check late is what HAProxy does too.
///
/// The word carries HAProxy's operational state (stopped/starting/running/stopping), its
/// administrative flags (forced/config maintenance, drain), the check health and status,
/// and the user weight (`set server weight`).
public final class ServerStateTable: Sendable {
    /// Static description of one server slot.
    public struct ServerInfo: Sendable {
        public let backendIndex: Int        // index into `backends`
        public let proxyName: String
        public let name: String
        public let backup: Bool
        public let checked: Bool
        public let disabled: Bool
        public let rise: Int
        public let fall: Int
        /// The configured (initial) weight: HAProxy's `iweight`.
        public let weight: Int
        /// `track`: the server whose state this one follows (ServerTracking.swift).
        public var tracked: Int? = nil
        /// Waits for its first DNS answer: starts in maintenance (resolution), HAProxy's RMAINT.
        public var resolutionPending = false
        /// `agent-check` with an `agent-port`.
        public var agent = false
    }

    public struct BackendInfo: Sendable {
        public let name: String
        /// Slots of this backend's servers, in configuration order.
        public let servers: [Int]
        /// The algorithm accepts any weight at run time (HAProxy's BE_LB_PROP_DYN): not
        /// static-rr nor a map-based hash.
        public let dynamicWeights: Bool
    }

    // Layout of the packed word.
    static let opMask: UInt64 = 0x3                  // bits 0-1: ServerOpState
    static let adminShift: UInt64 = 2                // bits 2-9: ServerAdminFlags
    static let checkEnabledBit: UInt64 = 1 << 10     // CHK_ST_ENABLED of the health check
    static let checkPausedBit: UInt64 = 1 << 11      // CHK_ST_PAUSED (maintenance)
    static let healthShift: UInt64 = 16              // bits 16-23: check health
    static let statusShift: UInt64 = 24              // bits 24-31: CheckStatus of the last check
    static let weightShift: UInt64 = 32              // bits 32-47: user weight

    final class Slot: Sendable {
        let word = Atomic<UInt64>(0)
        let checkFailures = Atomic<UInt64>(0)   // chkfail
        let downTransitions = Atomic<UInt64>(0) // chkdown
        let lastChangeMs = Atomic<Int64>(0)     // monotonic ms of the last state change
        let downtimeMs = Atomic<Int64>(0)       // accumulated, closed DOWN periods
        let checkCode = Atomic<Int64>(0)
        let checkDurationMs = Atomic<Int64>(-1)
        let agentMaxconn = Atomic<Int>(-1)
    }

    final class BackendSlot: Sendable {
        /// HAProxy's srv_act / srv_bck: servers that take load-balanced traffic.
        let activeUp = Atomic<Int>(0)
        let backupUp = Atomic<Int>(0)
        let lastChangeMs = Atomic<Int64>(0)
        let downtimeMs = Atomic<Int64>(0)
        let downTransitions = Atomic<UInt64>(0)
    }

    public let servers: [ServerInfo]
    public let backends: [BackendInfo]
    let slots: [Slot]
    /// The last check's `info` text per server (`last_chk` column): a String, so behind a
    /// Mutex; written once per check and read by the stats page, never by workers.
    let checkInfos: Mutex<[String]>
    let backendSlots: [BackendSlot]
    /// The writers' lock and their view of every server (see ServerStateControl).
    let control: Mutex<ServerStateControl.State>
    /// Process start, monotonic ms: `lastchg` starts counting here as in HAProxy.
    public let startMs: Int64
    /// Per server: the servers that track it (`track`), and who is told of state changes.
    let trackers: [[Int]]
    /// Tracking links `add server … track` made at run time (ServerTracking.swift).
    let trackLinks = Mutex(TrackLinks())
    let observer = Mutex<ServerStateObserver?>(nil)
    /// Wall clock minus monotonic clock at start: ages are counted in whole wall-clock
    /// seconds, as HAProxy's `now.tv_sec - last_change` does.
    let wallOffsetMs: Int64 = WallClock.nowMs() - MonotonicClock.nowMs()
    /// Which slots are listed, and the servers `add server` created (ServerRoster.swift).
    public let roster: ServerRoster

    /// Whole wall-clock seconds between two monotonic instants.
    func seconds(from: Int64, to: Int64) -> Int {
        func sec(_ ms: Int64) -> Int64 { let v = ms + wallOffsetMs; return v >= 0 ? v / 1000 : (v - 999) / 1000 }
        return Int(max(0, sec(to) - sec(from)))
    }

    /// Builds one slot per server of every backend/listen section, in file order.
    public init(configuration: Configuration, nowMs: Int64 = MonotonicClock.nowMs()) {
        var servers: [ServerInfo] = []
        var backends: [BackendInfo] = []
        for proxy in configuration.proxies where proxy.isBackend {
            let b = backends.count
            var list: [Int] = []
            for s in proxy.servers {
                list.append(servers.count)
                servers.append(ServerInfo(backendIndex: b, proxyName: proxy.name, name: s.name,
                                          backup: s.backup, checked: s.check, disabled: s.disabled,
                                          rise: s.rise, fall: s.fall, weight: s.weight))
                servers[servers.count - 1].resolutionPending = s.options.unresolved && !s.disabled
                servers[servers.count - 1].agent = s.checkSettings.agent.enabled && s.checkSettings.agent.port != nil
            }
            // Hashes (map-based or consistent) keep their map or ring as built: like
            // static-rr, they accept only 0% and 100% at run time in ringproxy.
            let dynamic: Bool
            switch proxy.balance {
            case .roundRobin, .leastConn: dynamic = true
            default: dynamic = false
            }
            backends.append(BackendInfo(name: proxy.name, servers: list, dynamicWeights: dynamic))
        }
        let tracked = TrackChecks.trackedSlots(configuration)
        for i in servers.indices where i < tracked.count { servers[i].tracked = tracked[i] }
        trackers = servers.indices.map { i in servers.indices.filter { servers[$0].tracked == i } }
        self.servers = servers
        self.backends = backends
        self.roster = ServerRoster(reserved: configuration.proxies.filter(\.isBackend).flatMap { $0.servers.map(\.options.reservedSlot) })
        self.slots = servers.map { _ in Slot() }
        self.checkInfos = Mutex(servers.map { _ in "" })
        self.backendSlots = backends.map { _ in BackendSlot() }
        self.startMs = nowMs
        var statuses: [ServerStatus] = []
        for (i, s) in servers.enumerated() {
            // Start UP with health = rise (spec §7.2), or in maintenance when `disabled`
            // (HAProxy sets both the config and the forced flags then).
            var st = ServerStatus(rise: s.rise, fall: s.fall, weight: s.weight, checked: s.checked)
            st.agentConfigured = s.agent
            st.agentEnabled = s.agent
            if s.disabled {
                st.admin = [.configMaint, .forcedMaint]; st.op = .stopped
                st.checkHealth = 0; st.checkPaused = true
            } else if s.resolutionPending {
                st.admin = [.resolutionMaint]; st.op = .stopped
                st.checkHealth = 0; st.checkPaused = s.checked
            }
            statuses.append(st)
            slots[i].word.store(Self.pack(st), ordering: .relaxed)
            slots[i].lastChangeMs.store(nowMs, ordering: .relaxed)
        }
        control = Mutex(ServerStateControl.State(statuses: statuses))
        for b in backends.indices {
            backendSlots[b].lastChangeMs.store(nowMs, ordering: .relaxed)
            recount(backend: b, statuses: statuses)
        }
    }

    static func pack(_ s: ServerStatus) -> UInt64 {
        var w = UInt64(s.op.rawValue) & opMask
        w |= UInt64(s.admin.rawValue) << adminShift
        if s.checkEnabled { w |= checkEnabledBit }
        if s.checkPaused { w |= checkPausedBit }
        w |= UInt64(s.checkHealth & 0xff) << healthShift
        w |= UInt64(s.lastStatus.rawValue) << statusShift
        w |= UInt64(s.userWeight & 0xffff) << weightShift
        return w
    }

    /// Recomputes a backend's counts of servers taking load-balanced traffic.
    func recount(backend b: Int, statuses: [ServerStatus]) {
        var act = 0, bck = 0
        for s in backends[b].servers where statuses[s].isBalanceable {
            if servers[s].backup { bck += 1 } else { act += 1 }
        }
        backendSlots[b].activeUp.store(act, ordering: .relaxed)
        backendSlots[b].backupUp.store(bck, ordering: .relaxed)
    }

    /// The slot of `backend/server`, for building workers' lookup tables (not per request).
    public func slot(backend: String, server: String) -> Int? {
        servers.firstIndex { $0.proxyName == backend && $0.name == server }
    }

    public func backendIndex(named name: String) -> Int? { backends.firstIndex { $0.name == name } }

    // MARK: readers (workers; relaxed loads, never wait)

    @inline(__always) func word(_ server: Int) -> UInt64 { slots[server].word.load(ordering: .relaxed) }

    @inline(__always) static func op(_ w: UInt64) -> ServerOpState { ServerOpState(rawValue: UInt8(w & opMask))! }
    @inline(__always) static func admin(_ w: UInt64) -> ServerAdminFlags { ServerAdminFlags(rawValue: UInt8((w >> adminShift) & 0xff)) }

    /// Operationally up (running, starting or stopping) and not in maintenance: persistent
    /// clients may still reach it (HAProxy: `cur_state != SRV_ST_STOPPED`).
    @inline(__always) public func isUp(_ server: Int) -> Bool {
        Self.op(word(server)) != .stopped
    }

    /// May persistence (cookie, appsession, stick table) send a client to this server? A
    /// backup server only while no active server of its backend takes traffic.
    @inline(__always) public func isUsable(_ server: Int) -> Bool {
        guard isUp(server) else { return false }
        let info = servers[server]
        if !info.backup { return true }
        return backendSlots[info.backendIndex].activeUp.load(ordering: .relaxed) == 0
    }

    /// May the load balancer pick this server for a new client? Running or starting, neither
    /// in maintenance nor draining, and a non-zero weight (HAProxy's srv_is_usable).
    @inline(__always) public func isBalanceable(_ server: Int) -> Bool {
        let w = word(server)
        return ServerStatus.balanceable(op: Self.op(w), admin: Self.admin(w), weight: Int((w >> Self.weightShift) & 0xffff))
    }

    /// The current user weight (`set server weight`; initially the configured weight).
    @inline(__always) public func currentWeight(_ server: Int) -> Int { Int((word(server) >> Self.weightShift) & 0xffff) }

    /// Number of servers of the backend taking load-balanced traffic, active and backup.
    public func upCounts(backend: Int) -> (active: Int, backup: Int) {
        (backendSlots[backend].activeUp.load(ordering: .relaxed),
         backendSlots[backend].backupUp.load(ordering: .relaxed))
    }

    /// True while the backend has at least one server taking traffic.
    public func backendHasServer(_ backend: Int) -> Bool {
        let c = upCounts(backend: backend)
        return c.active + c.backup > 0
    }

    // MARK: stats readers

    public struct ServerView: Sendable {
        public var up: Bool
        public var maintenance: Bool
        public var health: Int
        public var lastCheck: CheckStatus
        public var checkCode: Int
        public var checkDurationMs: Int
        public var checkFailures: UInt64
        public var downTransitions: UInt64
        /// Seconds since the last state change, and total seconds DOWN (incl. the current period).
        public var lastChangeSeconds: Int
        public var downtimeSeconds: Int
        public var op: ServerOpState
        public var admin: ServerAdminFlags
        public var checkEnabled: Bool
        public var userWeight: Int
    }

    public func view(_ server: Int, nowMs: Int64) -> ServerView {
        let s = slots[server]
        let w = s.word.load(ordering: .relaxed)
        let op = Self.op(w), admin = Self.admin(w)
        let up = op != .stopped
        let last = s.lastChangeMs.load(ordering: .relaxed)
        var down = s.downtimeMs.load(ordering: .relaxed)
        if !up && !admin.inMaintenance { down += nowMs - last }
        return ServerView(up: up, maintenance: admin.inMaintenance,
                          health: Int((w >> Self.healthShift) & 0xff),
                          lastCheck: CheckStatus(rawValue: UInt8((w >> Self.statusShift) & 0xff)) ?? .none,
                          checkCode: Int(s.checkCode.load(ordering: .relaxed)),
                          checkDurationMs: Int(s.checkDurationMs.load(ordering: .relaxed)),
                          checkFailures: s.checkFailures.load(ordering: .relaxed),
                          downTransitions: s.downTransitions.load(ordering: .relaxed),
                          lastChangeSeconds: seconds(from: last, to: nowMs),
                          downtimeSeconds: Int(max(0, down) / 1000),
                          op: op, admin: admin, checkEnabled: w & Self.checkEnabledBit != 0,
                          userWeight: Int((w >> Self.weightShift) & 0xffff))
    }

    /// The stats `status` word as HAProxy 2.6 prints it: `UP`, `UP 1/3`, `DOWN`, `DOWN 2/3`,
    /// `NOLB`, `DRAIN`, `MAINT`, `no check`.
    public func statusWord(_ server: Int) -> String {
        let w = word(server)
        let admin = Self.admin(w)
        // HAProxy names the server a tracker inherited its maintenance from.
        if admin.contains(.inheritedMaint) && !admin.contains(.resolutionMaint), let via = tracked(server) {
            return "MAINT (via \(servers[via].proxyName)/\(name(via)))"
        }
        if admin.inMaintenance { return "MAINT" }
        // A tracking server shows the check of the server at the end of its chain (HAProxy's `ref`).
        let ref = trackedEnd(server)
        let rw = ref == server ? w : word(ref)
        let checkEnabled = rw & Self.checkEnabledBit != 0
        let health = Int((rw >> Self.healthShift) & 0xff)
        let (rise, fall) = riseFall(ref)
        let maxHealth = rise + fall - 1
        // The counts follow the state of the server whose check it is (HAProxy's `ref`), the
        // word the server's own state: a tracker left DOWN shows `DOWN 3/3` of an UP check.
        let counts = Self.op(rw) != .stopped ? "\(health - rise + 1)/\(fall)" : "\(health)/\(rise)"
        switch Self.op(w) {
        case .running, .starting:
            let goingDown = checkEnabled && health < maxHealth
            if admin.contains(.forcedDrain) { return goingDown ? "DRAIN \(counts)" : "DRAIN" }
            if !checkEnabled { return "no check" }
            return goingDown ? "UP \(counts)" : "UP"
        case .stopping:
            if !checkEnabled || health == maxHealth { return "NOLB" }
            return "NOLB \(counts)"
        case .stopped:
            if checkEnabled && health > 0 { return "DOWN \(counts)" }
            return "DOWN"
        }
    }

    /// The last check's info text (`Connection refused`, an HTTP reason phrase, or empty).
    public func lastCheckInfo(_ server: Int) -> String { checkInfos.withLock { $0[server] } }

    public struct BackendView: Sendable {
        public var up: Bool
        public var lastChangeSeconds: Int
        public var downtimeSeconds: Int
        public var downTransitions: UInt64
    }

    public func backendView(_ backend: Int, nowMs: Int64) -> BackendView {
        let b = backendSlots[backend]
        let up = backendHasServer(backend)
        let last = b.lastChangeMs.load(ordering: .relaxed)
        var down = b.downtimeMs.load(ordering: .relaxed)
        if !up { down += nowMs - last }
        return BackendView(up: up, lastChangeSeconds: seconds(from: last, to: nowMs),
                           downtimeSeconds: Int(max(0, down) / 1000),
                           downTransitions: b.downTransitions.load(ordering: .relaxed))
    }

    // MARK: writer of check results (the checker thread)

    /// Publishes the outcome of one check of `server` (tests and simple callers): the
    /// machine's state becomes the server's operational state.
    public func publish(server: Int, machine: HealthStateMachine, result: CheckResult,
                        transition: HealthTransition?, nowMs: Int64) {
        _ = transition
        publish(server: server, health: machine.health, state: ServerOpState(machine.state), result: result,
                nowMs: nowMs)
    }

    /// Publishes the outcome of one check of `server`: its last status and health counter and,
    /// unless the server is in maintenance (HAProxy pauses its checks; a check already in
    /// flight changes nothing), the operational state the checks decided. Returns the state
    /// change made, for the checker to report with HAProxy's messages; nil when none.
    /// `health`/`result`: nil when only the state changes (an agent's `up`/`down`).
    /// `counted`: a failure that moved the health counter (HAProxy's `failed_checks`).
    @discardableResult
    public func publish(server: Int, health: Int?, state: ServerOpState, result: CheckResult?,
                        nowMs: Int64, counted: Bool = true) -> (from: ServerOpState, to: ServerOpState, admin: ServerAdminFlags)? {
        let s = slots[server]
        if let result {
            checkInfos.withLock { $0[server] = result.info }
            s.checkCode.store(Int64(result.code), ordering: .relaxed)
            s.checkDurationMs.store(Int64(result.durationMs), ordering: .relaxed)
            if !result.status.passed && !result.status.neutral && counted { s.checkFailures.add(1, ordering: .relaxed) }
        }
        return withControl(nowMs: nowMs) { st in
            st.touch(server)
            if let result { st.statuses[server].lastStatus = result.status }
            let admin = st.statuses[server].admin
            guard !admin.inMaintenance else { return nil }
            if let health { st.statuses[server].checkHealth = health }
            let from = st.statuses[server].op
            // Starting counts as running (no slow start in ringproxy).
            let same = from == state || (from == .starting && state == .running)
            guard !same else { return nil }
            st.setOp(server, state)
            return (from, state, admin)
        }
    }

    /// A health override (`set server health`, entering or leaving maintenance) for the
    /// checker to apply to its rise/fall counter before the next result; nil when none.
    public func takeHealthOverride(_ server: Int) -> (health: Int, up: Bool)? {
        takeHealthOverrideState(server).map { ($0.health, $0.op != .stopped) }
    }

    /// The same with the operational state (`stopping` kept).
    public func takeHealthOverrideState(_ server: Int) -> (health: Int, op: ServerOpState)? {
        control.withLock { st in
            guard st.healthOverride[server] else { return nil }
            st.healthOverride[server] = false
            return (st.statuses[server].checkHealth, st.statuses[server].op)
        }
    }

    /// X-Haproxy-Server-State `weight=S/T`: the server's effective weight (0 unless it takes
    /// load-balanced traffic) and the sum over its backend's active servers taking traffic
    /// (the backups' when none does).
    public func weights(server: Int) -> (server: Int, total: Int) {
        let info = servers[server]
        let members = backends[info.backendIndex].servers.filter { isBalanceable($0) }
        let active = members.filter { !servers[$0].backup }
        let pool = active.isEmpty ? members : active
        return (isBalanceable(server) ? currentWeight(server) : 0, pool.reduce(0) { $0 + currentWeight($1) })
    }

    /// `maxconn:N` an agent asked for (the runtime applies it: HealthChecker.agentMaxconnChanged).
    public func agentMaxconn(_ server: Int) -> Int? {
        let v = slots[server].agentMaxconn.load(ordering: .relaxed)
        return v < 0 ? nil : v
    }

    public func setAgentMaxconn(_ server: Int, _ value: Int) {
        slots[server].agentMaxconn.store(value, ordering: .relaxed)
    }

    /// False once `disable agent` stopped the server's agent (or it has none).
    public func agentEnabled(_ server: Int) -> Bool { control.withLock { $0.statuses[server].agentEnabled } }

    /// `enable|disable agent`; false when the server has no agent.
    @discardableResult
    public func setAgentEnabled(server: Int, _ on: Bool, nowMs: Int64 = MonotonicClock.nowMs()) -> Bool {
        withControl(nowMs: nowMs) { st in
            guard st.statuses[server].agentConfigured else { return false }
            st.statuses[server].agentEnabled = on
            st.touch(server)
            return true
        }
    }

    /// True while checks of this server are paused (maintenance) or disabled (`disable health`).
    /// A dynamic server's check follows HAProxy's flags exactly: one enabled while the server
    /// was already in maintenance is not paused, and runs.
    public func checksPaused(_ server: Int) -> Bool {
        let w = word(server)
        if w & Self.checkEnabledBit == 0 { return true }
        if roster.reserved[server] { return w & Self.checkPausedBit != 0 }
        return Self.admin(w).inMaintenance
    }

    /// Runs `change` on the writers' state under the lock, then publishes every server it
    /// touched (words, backend counts, change dates) and returns the events to report.
    @discardableResult
    func withControl<R>(nowMs: Int64, _ change: (inout ServerStateControl.State) -> R) -> R {
        var changes: [ServerStateChange] = [], trackingEvents: [HealthEvent] = []
        let result = control.withLock { st in
            st.touched.removeAll(keepingCapacity: true)
            let before = st.statuses
            let r = change(&st)
            propagateTracking(&st, before: before, events: &trackingEvents)
            changes = Self.upDownChanges(st, before: before)
            var backendsTouched = Set<Int>()
            for i in st.touched {
                let old = before[i], new = st.statuses[i]
                let s = slots[i]
                if old.admin.inMaintenance && !new.admin.inMaintenance { roster.leftMaintenance(i) }
                if old.op != new.op || old.admin != new.admin {
                    let since = s.lastChangeMs.load(ordering: .relaxed)
                    if old.op == .stopped && new.op != .stopped && !old.admin.inMaintenance {
                        s.downtimeMs.add(nowMs - since, ordering: .relaxed)
                    }
                    if old.op != .stopped && new.op == .stopped { s.downTransitions.add(1, ordering: .relaxed) }
                    s.lastChangeMs.store(nowMs, ordering: .relaxed)
                }
                s.word.store(Self.pack(new), ordering: .relaxed)
                backendsTouched.insert(servers[i].backendIndex)
            }
            for b in backendsTouched {
                let hadServer = backendHasServer(b)
                recount(backend: b, statuses: st.statuses)
                let hasServer = backendHasServer(b)
                if hadServer != hasServer {
                    let bs = backendSlots[b]
                    let bSince = bs.lastChangeMs.load(ordering: .relaxed)
                    bs.lastChangeMs.store(nowMs, ordering: .relaxed)
                    if hasServer { bs.downtimeMs.add(nowMs - bSince, ordering: .relaxed) }
                    else { bs.downTransitions.add(1, ordering: .relaxed) }
                }
            }
            return r
        }
        if !changes.isEmpty, let tell = observer.withLock({ $0 }) { tell(changes, trackingEvents) }
        return result
    }
}

extension ServerOpState {
    /// The operational state a check state machine decides.
    public init(_ state: HealthStateMachine.State) {
        switch state {
        case .running: self = .running
        case .stopping: self = .stopping
        case .stopped: self = .stopped
        }
    }

    public var machineState: HealthStateMachine.State {
        switch self {
        case .running, .starting: return .running
        case .stopping: return .stopping
        case .stopped: return .stopped
        }
    }
}
