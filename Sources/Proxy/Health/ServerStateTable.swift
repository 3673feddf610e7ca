import Synchronization

/// Live state of every server of every backend, shared by the checker (the only writer of
/// health) and the workers and stats page (readers). Each server has one packed atomic state
/// word that a worker reads with one relaxed load, never waiting; the remaining atomics are
/// the check statistics the stats page shows. Relaxed ordering is enough: each value is
/// self-contained and a reader seeing a state one check late is what HAProxy does too.
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
        public let weight: Int
    }

    public struct BackendInfo: Sendable {
        public let name: String
        /// Slots of this backend's servers, in configuration order.
        public let servers: [Int]
    }

    /// Bits of the packed state word.
    @usableFromInline static let upBit: UInt64 = 1
    @usableFromInline static let maintBit: UInt64 = 2
    static let healthShift: UInt64 = 8         // 8 bits: health
    static let statusShift: UInt64 = 16        // 8 bits: CheckStatus of the last check

    final class Slot: Sendable {
        let word = Atomic<UInt64>(0)
        let checkFailures = Atomic<UInt64>(0)   // chkfail
        let downTransitions = Atomic<UInt64>(0) // chkdown
        let lastChangeMs = Atomic<Int64>(0)     // monotonic ms of the last UP/DOWN change
        let downtimeMs = Atomic<Int64>(0)       // accumulated, closed DOWN periods
        let checkCode = Atomic<Int64>(0)
        let checkDurationMs = Atomic<Int64>(-1)
    }

    final class BackendSlot: Sendable {
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
    /// Process start, monotonic ms: `lastchg` starts counting here as in HAProxy.
    public let startMs: Int64

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
            }
            backends.append(BackendInfo(name: proxy.name, servers: list))
        }
        self.servers = servers
        self.backends = backends
        self.slots = servers.map { _ in Slot() }
        self.checkInfos = Mutex(servers.map { _ in "" })
        self.backendSlots = backends.map { _ in BackendSlot() }
        self.startMs = nowMs
        for (i, s) in servers.enumerated() {
            // Start UP with health = rise (spec §7.2), or MAINT when `disabled`.
            var w = UInt64(s.rise) << Self.healthShift
            w |= s.disabled ? Self.maintBit : Self.upBit
            slots[i].word.store(w, ordering: .relaxed)
            slots[i].lastChangeMs.store(nowMs, ordering: .relaxed)
        }
        for (b, be) in backends.enumerated() {
            let up = be.servers.filter { !servers[$0].disabled }
            backendSlots[b].activeUp.store(up.filter { !servers[$0].backup }.count, ordering: .relaxed)
            backendSlots[b].backupUp.store(up.filter { servers[$0].backup }.count, ordering: .relaxed)
            backendSlots[b].lastChangeMs.store(nowMs, ordering: .relaxed)
        }
    }

    /// The slot of `backend/server`, for building workers' lookup tables (not per request).
    public func slot(backend: String, server: String) -> Int? {
        servers.firstIndex { $0.proxyName == backend && $0.name == server }
    }

    public func backendIndex(named name: String) -> Int? { backends.firstIndex { $0.name == name } }

    // MARK: readers (workers; relaxed loads, never wait)

    /// UP (operationally) and not in maintenance.
    @inline(__always) public func isUp(_ server: Int) -> Bool {
        slots[server].word.load(ordering: .relaxed) & (Self.upBit | Self.maintBit) == Self.upBit
    }

    /// May this server take new traffic? A backup server only while every active server of
    /// its backend is DOWN (HAProxy: backups serve only when no active server is usable).
    @inline(__always) public func isUsable(_ server: Int) -> Bool {
        guard isUp(server) else { return false }
        let info = servers[server]
        if !info.backup { return true }
        return backendSlots[info.backendIndex].activeUp.load(ordering: .relaxed) == 0
    }

    /// Number of servers of the backend that are UP, active and backup.
    public func upCounts(backend: Int) -> (active: Int, backup: Int) {
        (backendSlots[backend].activeUp.load(ordering: .relaxed),
         backendSlots[backend].backupUp.load(ordering: .relaxed))
    }

    /// True while the backend has at least one usable server.
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
    }

    public func view(_ server: Int, nowMs: Int64) -> ServerView {
        let s = slots[server]
        let w = s.word.load(ordering: .relaxed)
        let up = w & Self.upBit != 0
        let last = s.lastChangeMs.load(ordering: .relaxed)
        var down = s.downtimeMs.load(ordering: .relaxed)
        if !up && w & Self.maintBit == 0 { down += nowMs - last }
        return ServerView(up: up, maintenance: w & Self.maintBit != 0,
                          health: Int((w >> Self.healthShift) & 0xff),
                          lastCheck: CheckStatus(rawValue: UInt8((w >> Self.statusShift) & 0xff)) ?? .none,
                          checkCode: Int(s.checkCode.load(ordering: .relaxed)),
                          checkDurationMs: Int(s.checkDurationMs.load(ordering: .relaxed)),
                          checkFailures: s.checkFailures.load(ordering: .relaxed),
                          downTransitions: s.downTransitions.load(ordering: .relaxed),
                          lastChangeSeconds: Int(max(0, nowMs - last) / 1000),
                          downtimeSeconds: Int(max(0, down) / 1000))
    }

    /// The stats `status` word of a server: `UP`, `UP 1/3`, `DOWN`, `DOWN 2/3`, `MAINT`, `no check`.
    public func statusWord(_ server: Int) -> String {
        let info = servers[server]
        let w = slots[server].word.load(ordering: .relaxed)
        if w & Self.maintBit != 0 { return "MAINT" }
        if !info.checked { return "no check" }
        let health = Int((w >> Self.healthShift) & 0xff)
        let up = w & Self.upBit != 0
        let maxHealth = info.rise + info.fall - 1
        if up { return health >= maxHealth ? "UP" : "UP \(health - info.rise + 1)/\(info.fall)" }
        return health == 0 ? "DOWN" : "DOWN \(health)/\(info.rise)"
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
        return BackendView(up: up, lastChangeSeconds: Int(max(0, nowMs - last) / 1000),
                           downtimeSeconds: Int(max(0, down) / 1000),
                           downTransitions: b.downTransitions.load(ordering: .relaxed))
    }

    // MARK: writer (the checker thread only)

    /// Publishes the outcome of one check of `server`. Single writer: the checker.
    public func publish(server: Int, machine: HealthStateMachine, result: CheckResult,
                        transition: HealthTransition?, nowMs: Int64) {
        let s = slots[server]
        let info = servers[server]
        let old = s.word.load(ordering: .relaxed)
        var w = old & Self.maintBit
        if machine.isUp { w |= Self.upBit }
        w |= UInt64(machine.health & 0xff) << Self.healthShift
        w |= UInt64(result.status.rawValue) << Self.statusShift
        checkInfos.withLock { $0[server] = result.info }
        s.checkCode.store(Int64(result.code), ordering: .relaxed)
        s.checkDurationMs.store(Int64(result.durationMs), ordering: .relaxed)
        if !result.status.passed { s.checkFailures.add(1, ordering: .relaxed) }
        guard let transition else {
            s.word.store(w, ordering: .relaxed)
            return
        }
        let b = backendSlots[info.backendIndex]
        let hadServer = backendHasServer(info.backendIndex)
        let since = s.lastChangeMs.load(ordering: .relaxed)
        s.lastChangeMs.store(nowMs, ordering: .relaxed)
        let inMaint = old & Self.maintBit != 0
        switch transition {
        case .wentDown:
            s.downTransitions.add(1, ordering: .relaxed)
            if !inMaint { if info.backup { b.backupUp.subtract(1, ordering: .relaxed) } else { b.activeUp.subtract(1, ordering: .relaxed) } }
        case .wentUp:
            s.downtimeMs.add(nowMs - since, ordering: .relaxed)
            if !inMaint { if info.backup { b.backupUp.add(1, ordering: .relaxed) } else { b.activeUp.add(1, ordering: .relaxed) } }
        }
        s.word.store(w, ordering: .relaxed)
        let hasServer = backendHasServer(info.backendIndex)
        if hadServer != hasServer {
            let bSince = b.lastChangeMs.load(ordering: .relaxed)
            b.lastChangeMs.store(nowMs, ordering: .relaxed)
            if hasServer { b.downtimeMs.add(nowMs - bSince, ordering: .relaxed) }
            else { b.downTransitions.add(1, ordering: .relaxed) }
        }
    }
}
