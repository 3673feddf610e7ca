import CUring
import Glibc
import Synchronization

/// The one thread that runs every health check: each probe is a CheckRun (non-blocking
/// sockets) whose readiness comes from the checker's own io_uring (one-shot polls,
/// rp_pollring), so a slow or silent server never delays the others. It is the only writer of
/// server health in the ServerStateTable; workers only read it. State changes and, with
/// `option log-health-checks`, every change of a check's result are reported through
/// `onEvent` with HAProxy's exact messages.
public final class HealthChecker: @unchecked Sendable {
    // @unchecked Sendable: `probes` and `thread` are touched only by the checker thread
    // (between start() and stop()) or by start()/stop() themselves, which happen-before /
    // happen-after the thread through pthread_create/pthread_join. `stopping` is atomic.

    public let table: ServerStateTable
    /// Addresses the resolvers gave servers at run time (slot → host, port).
    let resolvedAddresses = Mutex<[Int: (host: String, port: Int)]>([:])
    let onEvent: @Sendable (HealthEvent) -> Void
    let stopping = Atomic<Bool>(false)
    /// Between start() and stop(): only the checker thread touches `probes` then.
    let running = Atomic<Bool>(false)
    /// Probes added and removed at run time (HealthChecker+DynamicProbes.swift).
    let probeMailbox = Mutex(ProbeMailbox())
    let appliedChanges = Atomic<Int>(0)
    var probes: [Probe]
    var thread: ControlThread? = nil
    /// `node` of the X-Haproxy-Server-State header (HAProxy: the host name by default).
    let node: String
    /// Sessions of a server, for X-Haproxy-Server-State (scur, backend connections, queue)
    /// and the "N sessions active" of DOWN messages; set by the runtime before start().
    public var load: @Sendable (_ server: Int) -> (current: Int, backend: Int, queued: Int) = { _ in (0, 0, 0) }
    /// An agent's `maxconn:N`: the runtime applies it as `set maxconn server` would.
    public var agentMaxconnChanged: @Sendable (_ server: Int, _ maxconn: Int) -> Void = { _, _ in }

    /// Longest wait between two looks at `stopping`.
    static let maxSleepMs: Int64 = 50

    public init(table: ServerStateTable, targets: [CheckTarget],
                onEvent: @escaping @Sendable (HealthEvent) -> Void) {
        self.table = table
        self.onEvent = onEvent
        self.node = LogKeywords.machineHostname()
        self.probes = targets.map { Self.probe($0, table) }
        for (i, p) in probes.enumerated() {
            if p.target.isAgent { agentProbe[p.target.server] = i } else { healthProbe[p.target.server] = i }
        }
    }

    static func probe(_ t: CheckTarget, _ table: ServerStateTable) -> Probe {
        let (rise, fall) = table.riseFall(t.server)
        // HAProxy's agent counter: rise 1, fall 1 (DEF_AGENT_RISETIME/FALLTIME).
        return Probe(target: t, machine: t.isAgent ? HealthStateMachine(rise: 1, fall: 1) : HealthStateMachine(rise: rise, fall: fall))
    }

    /// Probe index of each server's health check and agent check.
    var healthProbe: [Int: Int] = [:]
    var agentProbe: [Int: Int] = [:]

    /// The server's operational state: its health check's, unless its agent said it is down
    /// (HAProxy's check_notify_*: both must agree for UP).
    func effectiveState(_ slot: Int) -> HealthStateMachine.State {
        if let a = agentProbe[slot], probes[a].machine.state == .stopped, table.agentEnabled(slot) { return .stopped }
        guard let h = healthProbe[slot] else { return .running }
        return probes[h].machine.state
    }

    public func start() throws {
        guard thread == nil else { return }
        running.store(true, ordering: .releasing)
        do { thread = try ControlThread(name: "checks") { self.run() } } catch { running.store(false, ordering: .releasing); throw error }
    }

    public func stop() {
        stopping.store(true, ordering: .relaxed)
        thread?.join(); thread = nil
        running.store(false, ordering: .releasing)
    }

    // MARK: the loop

    struct Probe {
        var target: CheckTarget
        var machine: HealthStateMachine
        var run: CheckRun? = nil
        /// When the running check's timer fires (see CheckRun.expireMs).
        var timerMs: Int64 = 0
        var nextDueMs: Int64 = 0
        /// The last result's status (HAProxy logs a check line when it changes).
        var lastStatus: CheckStatus = .none
        /// Generation of the armed poll (a completion for an older one is stale).
        var generation: UInt32 = 0
        /// Its server was deleted (`del server`): the entry waits to be reused.
        var removed = false
        var armed = false
        var armedFD: Int32 = -1
    }

    var ring: OpaquePointer? = nil

    /// Tag of probe `i`'s current poll: index and generation (never 0).
    @inline(__always) func tag(_ i: Int) -> UInt64 { UInt64(i + 1) << 32 | UInt64(probes[i].generation) }

    /// Waits for the probe's socket to become ready.
    func arm(_ i: Int, _ fd: Int32, _ events: Int32) {
        if probes[i].armed { _ = rp_pollring_remove(ring, tag(i)) }
        probes[i].generation &+= 1
        probes[i].armed = true
        probes[i].armedFD = fd
        _ = rp_pollring_add(ring, fd, UInt32(events), tag(i))
    }

    func disarm(_ i: Int) {
        if probes[i].armed { _ = rp_pollring_remove(ring, tag(i)); probes[i].armed = false }
    }

    func run() {
        ring = rp_pollring_create(256)
        guard ring != nil else {
            writeStderr("ringproxy: health checks disabled: cannot create the checker's io_uring\n")
            return
        }
        defer { rp_pollring_destroy(ring); ring = nil }
        let start = MonotonicClock.nowMs()
        let delays = staggeredFirstCheckDelays(probes.map { $0.machine.nextInterval($0.target.intervals) })
        for i in probes.indices { probes[i].nextDueMs = start + Int64(delays[i]) }
        var tags = [UInt64](repeating: 0, count: 64)
        var results = [Int32](repeating: 0, count: 64)
        while !stopping.load(ordering: .relaxed) {
            var now = MonotonicClock.nowMs()
            applyProbeChanges(now: now)
            var sleep = Self.maxSleepMs
            for i in probes.indices where !probes[i].removed {
                if probes[i].run == nil && now >= probes[i].nextDueMs { begin(i, now: now) }
                if let r = probes[i].run, now >= probes[i].timerMs {
                    if now >= r.expireMs { finish(i, r.expired(nowMs: now), now: now) } else { probes[i].timerMs = r.expireMs }
                }
                if probes[i].run != nil { sleep = min(sleep, probes[i].timerMs - now) }
                else { sleep = min(sleep, probes[i].nextDueMs - now) }
            }
            let n = Int(rp_pollring_wait(ring, Int32(max(0, sleep)), &tags, &results, Int32(tags.count)))
            guard n > 0 else { continue }
            now = MonotonicClock.nowMs()
            // Changes posted during the wait (an agent forced down) apply before the results.
            applyProbeChanges(now: now)
            for k in 0..<n {
                let i = Int(tags[k] >> 32) - 1
                guard i >= 0, i < probes.count, !probes[i].removed, probes[i].armed, tags[k] == tag(i), results[k] >= 0 else { continue }
                probes[i].armed = false
                if let r = probes[i].run { handle(i, r.advance(nowMs: now), now: now) }
            }
        }
        for i in probes.indices { probes[i].run = nil }
    }

    func begin(_ i: Int, now: Int64) {
        let t = probes[i].target
        // Maintenance or `disable health` pause the health check; an agent keeps running
        // (its `ready` ends a maintenance).
        if t.isAgent ? !table.agentEnabled(t.server) : table.checksPaused(t.server) {
            probes[i].nextDueMs = now + Int64(t.intervals.inter)
            return
        }
        var address = t.address
        if t.followsServerAddress, let a = resolvedAddresses.withLock({ $0[t.server] }),
           let moved = SocketAddress(host: a.host, port: t.checkPort ?? a.port) {
            address = moved
        }
        var ctx = CheckContext(
            address: address, serverPort: t.serverPort, checkPort: t.checkPort, sendProxy: t.sendProxy && !t.isAgent,
            backendName: t.backendName, serverName: t.serverName, interMs: t.intervals.inter,
            connectTimeoutMs: t.connectTimeoutMs, checkTimeoutMs: t.checkTimeoutMs,
            serverState: { [unowned self] in self.serverStateHeader(i) },
            serverIsDown: { [unowned self] in !self.table.isUp(t.server) })
        ctx.proxyVersion = t.proxyVersion
        if !t.isAgent { ctx.socks4 = t.socks4; ctx.viaSocks4 = t.viaSocks4 }
        let run = CheckRun(program: t.program, context: ctx, nowMs: now)
        probes[i].run = run
        let wait = run.advance(nowMs: now)
        probes[i].timerMs = run.expireMs
        handle(i, wait, now: now)
    }

    func handle(_ i: Int, _ wait: CheckWait, now: Int64) {
        switch wait {
        case .writable(let fd): arm(i, fd, Int32(POLLOUT))
        case .readable(let fd): arm(i, fd, Int32(POLLIN))
        case .done(let result): finish(i, result, now: now)
        }
    }

    func finish(_ i: Int, _ result: CheckResult, now: Int64) {
        disarm(i)
        let agentReply = probes[i].run?.agentReply
        probes[i].run = nil          // closes the socket
        let slot = probes[i].target.server
        let isAgent = probes[i].target.isAgent
        let info = table.servers[slot]
        if !isAgent, let forced = table.takeHealthOverrideState(slot) {
            // `set server health`, maintenance: the counter restarts from what was forced.
            probes[i].machine.force(health: forced.health, state: forced.op.machineState)
        }
        let beforeHealth = probes[i].machine.health
        var report = false
        if isAgent {
            // An agent's `up`/`down` sets its counter outright; connection problems and other
            // statuses below Layer7 data change nothing (HAProxy's set_server_check_status).
            // Admin words first, then weights, then health, in HAProxy's order.
            if let reply = agentReply { applyAgentReply(slot, reply, now: now) }
            if result.status == .l7ok { probes[i].machine.setAgentHealth(up: true) }
            if result.status == .l7sts { probes[i].machine.setAgentHealth(up: false) }
        } else {
            report = probes[i].machine.record(result.status).report
        }
        let countsBefore = table.upCounts(backend: info.backendIndex)
        let desired = ServerOpState(effectiveState(slot))
        let change: (from: ServerOpState, to: ServerOpState, admin: ServerAdminFlags)?
        if isAgent {
            change = table.publish(server: slot, health: nil, state: desired, result: nil, nowMs: now, counted: false)
        } else {
            let counted = !result.status.passed && beforeHealth > 0
            change = table.publish(server: slot, health: probes[i].machine.health, state: desired, result: result,
                                   nowMs: now, counted: counted)
        }
        probes[i].nextDueMs = now + Int64(probes[i].machine.nextInterval(probes[i].target.intervals))
        let statusChanged = result.status != probes[i].lastStatus
        probes[i].lastStatus = result.status
        let t = probes[i].target
        if t.logHealthChecks && (statusChanged || report) && !result.status.neutral {
            let name = table.name(slot)
            let message = HealthMessages.check(backend: info.proxyName, server: name, backup: info.backup, agent: isAgent,
                                               result: result, status: checkStatusText(probes[i].machine))
            onEvent(HealthEvent(backend: info.proxyName, server: name, level: HealthMessages.checkLevel, message: message))
        }
        if let change, let transition = Self.transition(from: change.from.machineState, to: change.to.machineState) {
            reportTransition(slot, transition, t.logHealthChecks ? nil : result,
                             wasStopping: change.from == .stopping || change.admin.draining,
                             hadServers: countsBefore.active + countsBefore.backup > 0)
        }
    }

    /// An agent's `maint`/`drain`/`ready`, `N%` and `maxconn:N` words: the same transitions
    /// and messages as the runtime API's (HAProxy's srv_adm_set_*, set weight).
    func applyAgentReply(_ slot: Int, _ reply: AgentReply, now: Int64) {
        let sessions: ServerStateTable.SessionCounter = { [load] in load($0).current }
        if let admin = reply.admin {
            let action: ServerStateControl.AdminAction
            switch admin {
            case .maint: action = .maint
            case .drain: action = .drain
            case .ready: action = .ready
            }
            for e in table.apply(action, server: slot, nowMs: now, sessions: sessions) { onEvent(e) }
        }
        if let w = reply.weightPercent {
            let (_, events) = table.setWeight(server: slot, "\(w)%", nowMs: now)
            // A weight change re-evaluates the server, which HAProxy reports so while drained.
            if table.status(slot).admin.contains(.forcedDrain) {
                let info = table.servers[slot]
                let name = table.name(slot)
                onEvent(HealthEvent(backend: info.proxyName, server: name, level: HealthMessages.upLevel,
                                    message: "\(info.backup ? "Backup " : "")Server \(info.proxyName)/\(name) remains in forced drain mode."))
            }
            for e in events { onEvent(e) }
        }
        if let m = reply.maxconn {
            table.setAgentMaxconn(slot, m)
            agentMaxconnChanged(slot, m)
        }
    }

    static func transition(from a: HealthStateMachine.State, to b: HealthStateMachine.State) -> HealthTransition? {
        guard a != b else { return nil }
        switch b {
        case .running: return .wentUp
        case .stopping: return .wentStopping
        case .stopped: return .wentDown
        }
    }

    /// `status: X/Y UP|DRAIN|DOWN` (DRAIN when the server's weight is 0).
    func checkStatusText(_ m: HealthStateMachine) -> String { m.checkStatusText }

    /// HAProxy's srv_update_status messages; "has no server available!" when the backend lost
    /// its last usable server.
    func reportTransition(_ slot: Int, _ transition: HealthTransition, _ result: CheckResult?, wasStopping: Bool, hadServers: Bool) {
        let info = table.servers[slot]
        let name = table.name(slot)
        let counts = table.upCounts(backend: info.backendIndex)
        switch transition {
        case .wentDown:
            // HAProxy does not alert for a server that was already stopping.
            onEvent(HealthEvent(backend: info.proxyName, server: name, level: wasStopping ? HealthMessages.upLevel : HealthMessages.downLevel,
                                message: HealthMessages.down(backend: info.proxyName, server: name, backup: info.backup, result: result,
                                                             activeLeft: counts.active, backupLeft: counts.backup,
                                                             sessionsActive: load(slot).current)))
        case .wentUp:
            onEvent(HealthEvent(backend: info.proxyName, server: name, level: HealthMessages.upLevel,
                                message: HealthMessages.up(backend: info.proxyName, server: name, backup: info.backup, result: result,
                                                           activeOnline: counts.active, backupOnline: counts.backup)))
        case .wentStopping:
            onEvent(HealthEvent(backend: info.proxyName, server: name, level: HealthMessages.upLevel,
                                message: HealthMessages.stopping(backend: info.proxyName, server: name, backup: info.backup, result: result,
                                                                 activeOnline: counts.active, backupOnline: counts.backup)))
        }
        if transition != .wentUp && hadServers && counts.active + counts.backup == 0 {
            onEvent(HealthEvent(backend: info.proxyName, server: nil, level: HealthMessages.noServerLevel,
                                message: HealthMessages.noServer(backend: info.proxyName)))
        }
    }

    /// `UP 1/3; address=127.0.0.1; port=80; name=B/S; node=host; weight=1/2; scur=0/0; qcur=0`
    /// (HAProxy's httpchk_build_status_header).
    func serverStateHeader(_ i: Int) -> String {
        let t = probes[i].target
        let m = probes[i].machine
        let status = table.status(t.server)
        let state: String
        switch status.op.machineState {
        case _ where !status.checkEnabled: state = "no check"
        case .stopped: state = m.health > 0 ? "DOWN \(m.health)/\(m.rise)" : "DOWN"
        case .running: state = m.health == m.maxHealth ? "UP" : "UP \(m.health - m.rise + 1)/\(m.fall)"
        case .stopping: state = m.health == m.maxHealth ? "NOLB" : "NOLB \(m.health - m.rise + 1)/\(m.fall)"
        }
        let w = table.weights(server: t.server)
        let l = load(t.server)
        return "\(state); address=\(t.serverAddress); port=\(t.serverPort); name=\(t.backendName)/\(t.serverName); node=\(node); weight=\(w.server)/\(w.total); scur=\(l.current)/\(l.backend); qcur=\(l.queued)"
    }
}

func errnoText(_ e: Int32) -> String { String(cString: strerror(e)) }

extension HealthChecker {
    /// The resolvers moved `server`: its next checks go to `host` (and `port` unless the
    /// server has its own check `port`).
    func followAddress(server: Int, host: String, port: Int) {
        resolvedAddresses.withLock { $0[server] = (host, port) }
    }
}
