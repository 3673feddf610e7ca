// The writers of server state: HAProxy 2.6's transitions (server.c srv_update_status,
// srv_set_admin_flag, srv_set_running/stopping/stopped) and their log messages, byte for byte,
// applied under the state table's lock. Trackers (`track`) inherit maintenance and drain
// here; their UP/DOWN changes follow in ServerTracking.swift. Slow start is not implemented
// in ringproxy, so its branches are absent.

public enum ServerStateControl {
    /// What the writers hold under the lock.
    struct State {
        var statuses: [ServerStatus]
        /// The checker must reload its rise/fall counter from `statuses` (health forced).
        var healthOverride: [Bool]
        var touched: Set<Int> = []
        var events: [HealthEvent] = []

        init(statuses: [ServerStatus]) {
            self.statuses = statuses
            healthOverride = statuses.map { _ in false }
        }

        mutating func setOp(_ i: Int, _ op: ServerOpState) { statuses[i].op = op; touched.insert(i) }
        mutating func touch(_ i: Int) { touched.insert(i) }
    }

    /// `set server B/S state ...`, `enable|disable server`, the stats page's actions.
    public enum AdminAction: Sendable { case ready, drain, maint }
    /// `set server B/S health ...`.
    public enum HealthAction: Sendable { case up, stopping, down }

    static let alert = 1, notice = 5, emerg = 0
}

extension ServerStateTable {
    /// Sessions being served by a server now (for "N sessions active"); set by the runtime.
    public typealias SessionCounter = @Sendable (Int) -> Int

    /// Applies an administrative action; returns the events to log (HAProxy's messages).
    @discardableResult
    public func apply(_ action: ServerStateControl.AdminAction, server: Int, nowMs: Int64 = MonotonicClock.nowMs(),
                      sessions: SessionCounter = { _ in 0 }) -> [HealthEvent] {
        withControl(nowMs: nowMs) { st in
            st.events = []
            switch action {
            case .maint:
                setAdminFlag(&st, server, .forcedMaint, sessions)
                clearAdminFlag(&st, server, .forcedDrain, sessions)
            case .drain:
                setAdminFlag(&st, server, .forcedDrain, sessions)
                clearAdminFlag(&st, server, .forcedMaint, sessions)
            case .ready:
                clearAdminFlag(&st, server, .forcedDrain, sessions)
                clearAdminFlag(&st, server, .forcedMaint, sessions)
            }
            return st.events
        }
    }

    /// Sets or clears one forced flag alone (the stats page's older `disable`/`enable`/`stop`/
    /// `start` actions, which leave the other flag as it is).
    @discardableResult
    public func setForcedFlag(_ flag: ServerAdminFlags, _ on: Bool, server: Int, nowMs: Int64 = MonotonicClock.nowMs(),
                              sessions: SessionCounter = { _ in 0 }) -> [HealthEvent] {
        withControl(nowMs: nowMs) { st in
            st.events = []
            if on { setAdminFlag(&st, server, flag, sessions) } else { clearAdminFlag(&st, server, flag, sessions) }
            return st.events
        }
    }

    /// `set server B/S health up|stopping|down` (reason "changed from CLI").
    @discardableResult
    public func apply(_ action: ServerStateControl.HealthAction, server: Int, reason: String = "changed from CLI",
                      nowMs: Int64 = MonotonicClock.nowMs(), sessions: SessionCounter = { _ in 0 }) -> [HealthEvent] {
        withControl(nowMs: nowMs) { st in
            st.events = []
            let max = st.statuses[server].maxHealth
            switch action {
            case .up:
                st.statuses[server].checkHealth = max
                setOp(&st, server, .running, reason: reason, sessions)
            case .stopping:
                st.statuses[server].checkHealth = max
                setOp(&st, server, .stopping, reason: reason, sessions)
            case .down:
                st.statuses[server].checkHealth = 0
                setOp(&st, server, .stopped, reason: reason, sessions)
            }
            st.healthOverride[server] = true
            st.touch(server)
            return st.events
        }
    }

    /// `set server B/S agent up|down`: the server comes UP or goes DOWN "changed from CLI" as
    /// HAProxy's srv_set_running/stopped; the check's counter is left alone (the checker sets
    /// the agent's, HealthChecker.setAgentHealth).
    @discardableResult
    public func applyAgent(up: Bool, server: Int, nowMs: Int64 = MonotonicClock.nowMs(),
                           sessions: SessionCounter = { _ in 0 }) -> [HealthEvent] {
        withControl(nowMs: nowMs) { st in
            st.events = []
            setOp(&st, server, up ? .running : .stopped, reason: "changed from CLI", sessions)
            st.touch(server)
            return st.events
        }
    }

    /// `set server B/S weight W[%]` / `set weight`: nil, or HAProxy's error text.
    public func setWeight(server: Int, _ text: String, nowMs: Int64 = MonotonicClock.nowMs()) -> (error: String?, events: [HealthEvent]) {
        guard !text.isEmpty else { return ("Require <weight> or <weight%>.\n", []) }
        let info = servers[server]
        // strtol: optional sign and digits, then the rest.
        var digits = Substring(text)
        var negative = false
        if digits.first == "-" || digits.first == "+" { negative = digits.first == "-"; digits = digits.dropFirst() }
        let number = digits.prefix { $0.isASCII && $0.isNumber }
        guard !number.isEmpty else { return ("Empty weight string empty or preceded by garbage", []) }
        let rest = digits.dropFirst(number.count)
        var w = (Int(number.prefix(18)) ?? Int.max) * (negative ? -1 : 1)
        if rest == "%" {
            if w < 0 { return ("Relative weight must be positive.\n", []) }
            w = min(w, 25600)
            w = min(info.weight * w / 100, 256)
        } else if w < 0 || w > 256 {
            return ("Absolute weight can only be between 0 and 256 inclusive.\n", [])
        } else if !rest.isEmpty {
            return ("Trailing garbage in weight string", [])
        }
        if w != 0 && w != info.weight && !backends[info.backendIndex].dynamicWeights {
            return ("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n", [])
        }
        let events = withControl(nowMs: nowMs) { st -> [HealthEvent] in
            st.events = []
            let b = info.backendIndex
            let before = Self.counts(st, backends[b], servers)
            st.statuses[server].userWeight = w
            st.touch(server)
            let after = Self.counts(st, backends[b], servers)
            if before.active + before.backup > 0 && after.active + after.backup == 0 { backendDown(&st, b) }
            return st.events
        }
        return (nil, events)
    }

    /// `enable|disable health B/S`: checks run or not (a disabled check counts as UP).
    public func setCheckEnabled(server: Int, _ on: Bool, nowMs: Int64 = MonotonicClock.nowMs()) {
        withControl(nowMs: nowMs) { st in
            guard st.statuses[server].checkConfigured else { return }
            st.statuses[server].checkEnabled = on
            st.touch(server)
        }
    }

    /// The writers' view of one server (for `show servers state` and tests).
    public func status(_ server: Int) -> ServerStatus { control.withLock { $0.statuses[server] } }

    // MARK: transitions (called with the lock held)

    static func counts(_ st: ServerStateControl.State, _ be: BackendInfo, _ servers: [ServerInfo]) -> (active: Int, backup: Int) {
        var a = 0, b = 0
        for s in be.servers where st.statuses[s].isBalanceable { if servers[s].backup { b += 1 } else { a += 1 } }
        return (a, b)
    }

    func prefix(_ i: Int) -> String {
        let info = servers[i]
        return "\(info.backup ? "Backup " : "")Server \(info.proxyName)/\(name(i))"
    }

    /// `. A active and B backup servers left|online.[ Running on backup.] ...`
    func countsText(_ st: ServerStateControl.State, _ i: Int, stopped: Bool, sessions: Int) -> String {
        let c = Self.counts(st, backends[servers[i].backendIndex], servers)
        let onBackup = c.backup > 0 && c.active == 0 ? " Running on backup." : ""
        if stopped {
            return ". \(c.active) active and \(c.backup) backup servers left.\(onBackup) \(sessions) sessions active, 0 requeued, 0 remaining in queue"
        }
        return ". \(c.active) active and \(c.backup) backup servers online.\(onBackup) 0 sessions requeued, 0 total in queue"
    }

    func event(_ st: inout ServerStateControl.State, _ i: Int, _ level: Int, _ text: String) {
        let info = servers[i]
        st.events.append(HealthEvent(backend: info.proxyName, server: name(i), level: level, message: text + "."))
    }

    func backendDown(_ st: inout ServerStateControl.State, _ b: Int) {
        let name = backends[b].name
        st.events.append(HealthEvent(backend: name, server: nil, level: ServerStateControl.emerg,
                                     message: HealthMessages.noServer(backend: name)))
    }

    /// srv_set_running/stopping/stopped followed by the operational half of srv_update_status.
    func setOp(_ st: inout ServerStateControl.State, _ i: Int, _ next: ServerOpState, reason: String,
               _ sessions: SessionCounter) {
        let s = st.statuses[i]
        guard !s.admin.inMaintenance else { return }
        if next == s.op || (next == .running && s.op == .starting) { return }
        let b = servers[i].backendIndex
        let prev = Self.counts(st, backends[b], servers)
        let wasStopping = s.op == .stopping || s.admin.draining
        st.setOp(i, next)
        let now = Self.counts(st, backends[b], servers)
        switch next {
        case .stopped:
            event(&st, i, wasStopping ? ServerStateControl.notice : ServerStateControl.alert,
                  prefix(i) + " is DOWN, " + reason + countsText(st, i, stopped: true, sessions: sessions(i)))
        case .stopping:
            event(&st, i, ServerStateControl.notice, prefix(i) + " is stopping, " + reason + countsText(st, i, stopped: false, sessions: 0))
        case .running, .starting:
            event(&st, i, ServerStateControl.notice, prefix(i) + " is UP, " + reason + countsText(st, i, stopped: false, sessions: 0))
        }
        if prev.active + prev.backup > 0 && now.active + now.backup == 0 { backendDown(&st, b) }
    }

    /// HAProxy's srv_set_admin_flag: the trackers inherit a maintenance or a drain that is new
    /// to the server (not when it already had the other flag of the kind).
    func setAdminFlag(_ st: inout ServerStateControl.State, _ i: Int, _ flag: ServerAdminFlags, _ sessions: SessionCounter) {
        guard !st.statuses[i].admin.contains(flag) else { return }
        let before = st.statuses[i].admin
        update(&st, i, nextAdmin: before.union(flag), sessions)
        guard let (kind, inherited) = Self.inheritance(flag), before.intersection(kind).isEmpty else { return }
        for t in trackersOf(i) { setAdminFlag(&st, t, inherited, sessions) }
    }

    /// HAProxy's srv_clr_admin_flag: the trackers lose the inherited flag once the server is
    /// out of that maintenance or drain altogether.
    func clearAdminFlag(_ st: inout ServerStateControl.State, _ i: Int, _ flag: ServerAdminFlags, _ sessions: SessionCounter) {
        guard st.statuses[i].admin.contains(flag) else { return }
        update(&st, i, nextAdmin: st.statuses[i].admin.subtracting(flag), sessions)
        guard let (kind, inherited) = Self.inheritance(flag), st.statuses[i].admin.intersection(kind).isEmpty else { return }
        for t in trackersOf(i) { clearAdminFlag(&st, t, inherited, sessions) }
    }

    /// The kind of a flag (maintenance or drain) and what trackers inherit of it.
    static func inheritance(_ flag: ServerAdminFlags) -> (ServerAdminFlags, ServerAdminFlags)? {
        if !flag.intersection(.maintenance).isEmpty { return (.maintenance, .inheritedMaint) }
        if !flag.intersection(.drain).isEmpty { return (.drain, .inheritedDrain) }
        return nil
    }

    /// ` via b/s` of a tracker's messages.
    func via(_ i: Int) -> String {
        guard let t = tracked(i) else { return "" }
        return " via \(servers[t].proxyName)/\(name(t))"
    }

    /// The administrative half of srv_update_status.
    func update(_ st: inout ServerStateControl.State, _ i: Int, nextAdmin next: ServerAdminFlags, _ sessions: SessionCounter) {
        let cur = st.statuses[i].admin
        let b = servers[i].backendIndex
        let prev = Self.counts(st, backends[b], servers)
        let wasStopping = st.statuses[i].op == .stopping || cur.draining
        st.touch(i)
        func serverCountDropped() -> Bool {
            let c = Self.counts(st, backends[b], servers)
            return prev.active + prev.backup > 0 && c.active + c.backup == 0
        }
        if !cur.inMaintenance && next.inMaintenance {
            if st.statuses[i].checkEnabled {
                st.statuses[i].checkPaused = true
                st.statuses[i].checkHealth = 0
                st.healthOverride[i] = true
            }
            if st.statuses[i].op == .stopped {
                st.statuses[i].admin = next
                event(&st, i, ServerStateControl.notice, prefix(i) + " was DOWN and now enters maintenance")
            } else {
                st.statuses[i].checkHealth = 0
                st.statuses[i].admin = next
                st.setOp(i, .stopped)
                // A maintenance inherited from the tracked server names it.
                let cause = next.contains(.forcedMaint) ? "" : via(i)
                event(&st, i, wasStopping ? ServerStateControl.notice : ServerStateControl.alert,
                      prefix(i) + " is going DOWN for maintenance" + cause + countsText(st, i, stopped: true, sessions: sessions(i)))
                if serverCountDropped() { backendDown(&st, b) }
            }
            return
        }
        if cur.inMaintenance && !next.inMaintenance {
            if st.statuses[i].checkEnabled {
                st.statuses[i].checkPaused = false
                st.statuses[i].checkHealth = st.statuses[i].rise     // start OK, check at once
                st.healthOverride[i] = true
            }
            if let t = tracked(i) {
                // A tracker takes the state of the server it tracks.
                let theirs = st.statuses[t].op
                if theirs != .stopped { st.statuses[i].op = theirs == .stopping ? .stopping : .running }
            } else if !st.statuses[i].checkEnabled || st.statuses[i].checkHealth >= st.statuses[i].rise {
                st.statuses[i].op = .running
            }
            st.statuses[i].admin = next
            let now = "\(st.statuses[i].op == .stopped ? "DOWN" : "UP")/\(next.draining ? "DRAIN" : "READY")"
            if cur.contains(.forcedMaint) && !next.contains(.forcedMaint) {
                event(&st, i, ServerStateControl.notice, prefix(i) + " is \(now) (leaving forced maintenance)")
            } else if cur.contains(.inheritedMaint) && !next.contains(.inheritedMaint) {
                event(&st, i, ServerStateControl.notice, prefix(i) + " is \(now) (leaving maintenance)")
            }
            if serverCountDropped() { backendDown(&st, b) }
            // The drain half below compares with the admin state before the change.
            drainHalf(&st, i, cur: cur, next: next, prev: prev)
            return
        }
        if next.inMaintenance {
            // Remaining in maintenance: one of its causes went (nothing to report for a drain change).
            st.statuses[i].admin = next
            if cur.contains(.forcedMaint) && !next.contains(.forcedMaint) {
                event(&st, i, ServerStateControl.notice, prefix(i) + " is leaving forced maintenance but remains in maintenance" + via(i))
            } else if cur.contains(.inheritedMaint) && !next.contains(.inheritedMaint) {
                event(&st, i, ServerStateControl.notice, prefix(i) + " remains in forced maintenance")
            }
            return
        }
        drainHalf(&st, i, cur: cur, next: next, prev: prev)
        st.statuses[i].admin = next
    }

    func drainHalf(_ st: inout ServerStateControl.State, _ i: Int, cur: ServerAdminFlags, next: ServerAdminFlags,
                   prev: (active: Int, backup: Int)) {
        let b = servers[i].backendIndex
        if !cur.draining && next.draining {
            st.statuses[i].admin = next
            event(&st, i, ServerStateControl.notice, prefix(i) + " enters drain state" + countsText(st, i, stopped: false, sessions: 0))
            let c = Self.counts(st, backends[b], servers)
            if prev.active + prev.backup > 0 && c.active + c.backup == 0 { backendDown(&st, b) }
        } else if cur.draining && !next.draining {
            st.statuses[i].admin = next
            let state = st.statuses[i].op == .stopped ? "DOWN" : "UP"
            if !next.contains(.forcedDrain) {
                event(&st, i, ServerStateControl.notice, prefix(i) + " is \(state) (leaving forced drain)")
            } else {
                event(&st, i, ServerStateControl.notice, prefix(i) + " is \(state) (leaving drain)")
            }
        } else if next.draining {
            st.statuses[i].admin = next
            if !next.contains(.forcedDrain) {
                event(&st, i, ServerStateControl.notice, prefix(i) + " is leaving forced drain but remains in drain mode")
            } else {
                event(&st, i, ServerStateControl.notice, prefix(i) + " remains in forced drain mode")
            }
        }
    }
}
