// A saved server state applied at start (`load-server-state-from-file`), as HAProxy 2.6 does
// it (server_state.c, srv_state_srv_update): the operational state and check health first,
// then maintenance (a changed `disabled` in the configuration wins over the file), drain
// (kept unless it only came from a zero weight that the configuration has raised), the age
// of the last change, the last check's status, a `disable health`, and the user weight when
// the configured weight is unchanged. HAProxy is starting, so only some messages are
// printed: a server restored DOWN or stopping, and one remaining in forced drain.

extension ServerStateTable {
    /// Applies `line` to server `slot`; returns the messages HAProxy prints for it.
    @discardableResult
    public func restore(_ line: ServerStateLine, server slot: Int, nowMs: Int64 = MonotonicClock.nowMs()) -> [HealthEvent] {
        let reason = "changed from server-state after a reload"
        var events: [HealthEvent] = []
        events += withControl(nowMs: nowMs) { st -> [HealthEvent] in
            st.events = []
            let s = st.statuses[slot]
            let max = s.maxHealth
            st.statuses[slot].checkHealth = line.checkHealth
            switch line.op {
            case .stopped:
                st.statuses[slot].checkHealth = 0
                setOp(&st, slot, .stopped, reason: reason, { _ in 0 })
            case .starting:
                if s.rise == 1 {
                    st.statuses[slot].checkHealth = max
                    setOp(&st, slot, .running, reason: "", { _ in 0 })
                } else {
                    if line.checkHealth < 1 || line.checkHealth >= s.rise { st.statuses[slot].checkHealth = s.rise - 1 }
                    if !s.admin.inMaintenance { st.setOp(slot, .starting) }
                }
            case .stopping:
                if s.fall == 1 {
                    st.statuses[slot].checkHealth = 0
                    setOp(&st, slot, .stopped, reason: reason, { _ in 0 })
                } else {
                    if line.checkHealth < s.rise || line.checkHealth > s.rise + s.fall - 2 { st.statuses[slot].checkHealth = s.rise }
                    setOp(&st, slot, .stopping, reason: reason, { _ in 0 })
                }
            case .running:
                st.statuses[slot].checkHealth = max
                setOp(&st, slot, .running, reason: "", { _ in 0 })
            }
            st.healthOverride[slot] = true
            st.touch(slot)
            return st.events
        }
        // Maintenance and drain: HAProxy is starting, so these changes are not reported.
        let configured = status(slot).admin.contains(.configMaint)
        let fileConfigured = line.admin.contains(.configMaint), fileForced = line.admin.contains(.forcedMaint)
        if fileConfigured != configured {
            apply(configured ? .maint : .ready, server: slot, nowMs: nowMs)
        } else if fileForced && !configured {
            apply(.maint, server: slot, nowMs: nowMs)
        } else if !fileForced && configured {
            apply(.ready, server: slot, nowMs: nowMs)
        }
        if !status(slot).admin.contains(.forcedMaint) && line.admin.contains(.forcedDrain)
            && (line.initialWeight > 0 || servers[slot].weight == 0) {
            apply(.drain, server: slot, nowMs: nowMs)
        }
        withControl(nowMs: nowMs) { st in
            if st.statuses[slot].checkConfigured && line.checkState & 0x2 != 0 && line.checkState & 0x4 == 0 {
                st.statuses[slot].checkEnabled = false
            }
            if let c = CheckStatus(haproxyCode: line.checkStatus) { st.statuses[slot].lastStatus = c }
            if line.initialWeight == servers[slot].weight { st.statuses[slot].userWeight = line.userWeight }
            st.touch(slot)
        }
        let st = status(slot)
        if st.admin.contains(.forcedDrain) && !st.admin.inMaintenance {
            // HAProxy's weight recalculation reports it even while starting.
            events.append(HealthEvent(backend: servers[slot].proxyName, server: servers[slot].name, level: ServerStateControl.notice,
                                      message: prefix(slot) + " remains in forced drain mode."))
        }
        slots[slot].lastChangeMs.store(nowMs - Int64(line.secondsSinceChange) * 1000, ordering: .relaxed)
        return events
    }
}
