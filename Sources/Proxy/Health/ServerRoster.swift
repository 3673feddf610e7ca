import Synchronization

/// Which server slots exist as far as the runtime API and the statistics are concerned, and
/// what the servers `add server` created are called. The data plane never asks: a vacant or
/// deleted slot is in forced maintenance, which the balancers already read in the state word.
/// Read by the CLI thread and the stats pages (one uncontended lock per look-up), written by
/// `add server` / `del server`.
public final class ServerRoster: Sendable {
    /// A server created by `add server`.
    public struct Member: Sendable {
        public var name: String
        public var config: ServerConfig
        /// `proto h2`: accepted as HAProxy does, but ringproxy speaks HTTP/1.x to servers, so
        /// such a server is never put in service (`enable server` refuses).
        public var http2 = false
        /// Order of creation: HAProxy lists dynamic servers after the configured ones, in the
        /// order they were added (a reused slot does not move a server up).
        var sequence = 0
        /// Not yet out of maintenance: HAProxy's stats show an effective weight of 1 until its
        /// first state change computes it.
        var weightComputed = false
    }

    /// Slots reserved at start for `add server` (DynamicServerSlots), by slot.
    public let reserved: [Bool]
    struct State {
        var nextSequence = 0
        var members: [Int: Member] = [:]
        /// Configured servers removed by `del server`.
        var deleted: Set<Int> = []
    }
    let state = Mutex(State())

    init(reserved: [Bool]) { self.reserved = reserved }

    /// Shown in listings and found by name: a configured server not deleted, or a reserved
    /// slot that `add server` filled.
    public func isListed(_ slot: Int) -> Bool {
        if reserved[slot] { return state.withLock { $0.members[slot] != nil } }
        return state.withLock { !$0.deleted.contains(slot) }
    }

    public func member(_ slot: Int) -> Member? {
        guard reserved[slot] else { return nil }
        return state.withLock { $0.members[slot] }
    }

    /// True once any slot changed (lets listings skip the per-slot look-ups otherwise).
    public var changed: Bool { state.withLock { !$0.members.isEmpty || !$0.deleted.isEmpty } }

    func fill(_ slot: Int, _ m: Member) {
        state.withLock { s in
            var m = m
            m.sequence = s.nextSequence
            s.nextSequence += 1
            s.members[slot] = m
        }
    }

    /// A dynamic server left maintenance: its effective weight is computed from now on.
    func leftMaintenance(_ slot: Int) {
        guard reserved[slot] else { return }
        state.withLock { $0.members[slot]?.weightComputed = true }
    }

    /// The `weight` column of a dynamic server never out of maintenance (HAProxy's 1); nil otherwise.
    public func initialEffectiveWeight(_ slot: Int) -> Int? {
        guard reserved[slot] else { return nil }
        return state.withLock { s in s.members[slot].map { $0.weightComputed ? nil : 1 } ?? nil }
    }

    /// Removes a server: a reserved slot becomes vacant again, a configured one is gone.
    func remove(_ slot: Int) {
        state.withLock { s in
            if reserved[slot] { s.members[slot] = nil } else { s.deleted.insert(slot) }
        }
    }
}

extension ServerStateTable {
    /// A server's name now (a dynamic server's is only known at run time).
    public func name(_ slot: Int) -> String { roster.member(slot)?.name ?? servers[slot].name }

    /// The listed servers of a backend, as HAProxy lists them: the configured ones not deleted,
    /// then the dynamic ones in the order they were added.
    public func listedServers(backend b: Int) -> [Int] { listedPositions(backend: b).map(\.1) }

    /// The same with each server's position in its backend's slots (its index in the
    /// configuration's server list).
    public func listedPositions(backend b: Int) -> [(Int, Int)] {
        let all = backends[b].servers
        let (members, deleted) = roster.state.withLock { ($0.members, $0.deleted) }
        var out: [(Int, Int)] = []
        var dynamic: [(Int, Int, Int)] = []
        for (i, slot) in all.enumerated() {
            if roster.reserved[slot] {
                if let m = members[slot] { dynamic.append((m.sequence, i, slot)) }
            } else if !deleted.contains(slot) {
                out.append((i, slot))
            }
        }
        return out + dynamic.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
    }

    /// The initial weight (`iweight`): a dynamic server's `weight`, else the configured one.
    public func initialWeight(_ slot: Int) -> Int { roster.member(slot)?.config.weight ?? servers[slot].weight }

    /// Puts a new server in a vacant slot: in forced maintenance, stopped, checks not
    /// configured, its weight, and a fresh last-change date (HAProxy's state for a server
    /// `add server` created).
    /// With `check`, the check is configured but disabled, its health 0 (HAProxy's dynamic
    /// servers: `enable health` starts it); the checker loads that health before its first result.
    func occupy(_ slot: Int, _ member: ServerRoster.Member, nowMs: Int64 = MonotonicClock.nowMs()) {
        roster.fill(slot, member)
        let c = member.config
        reset(slot, weight: c.weight, rise: c.rise, fall: c.fall, checked: c.check,
              agent: c.checkSettings.agent.enabled && c.checkSettings.agent.port != nil, nowMs: nowMs)
    }

    /// Takes a server out: its slot is back in maintenance and unlisted.
    func vacate(_ slot: Int, nowMs: Int64 = MonotonicClock.nowMs()) {
        roster.remove(slot)
        unlink(tracker: slot)
        reset(slot, weight: servers[slot].weight, rise: servers[slot].rise, fall: servers[slot].fall, checked: false, nowMs: nowMs)
    }

    /// A server's rise and fall: a dynamic server's own, else the configured ones.
    public func riseFall(_ slot: Int) -> (rise: Int, fall: Int) {
        if let c = roster.member(slot)?.config { return (max(1, c.rise), max(1, c.fall)) }
        return (servers[slot].rise, servers[slot].fall)
    }

    /// Whether the stats show a server's check columns (check_status, check_rise, ...): while
    /// its check is enabled and not paused (HAProxy's CHK_ST_ENABLED without CHK_ST_PAUSED;
    /// entering maintenance pauses it, `disable health` disables it).
    public func showsCheckColumns(_ slot: Int) -> Bool {
        let st = status(slot)
        return st.checkConfigured && st.checkEnabled && !st.checkPaused
    }

    private func reset(_ slot: Int, weight: Int, rise: Int, fall: Int, checked: Bool, agent: Bool = false, nowMs: Int64) {
        let s = slots[slot]
        s.checkFailures.store(0, ordering: .relaxed)
        s.downTransitions.store(0, ordering: .relaxed)
        s.downtimeMs.store(0, ordering: .relaxed)
        s.checkCode.store(0, ordering: .relaxed)
        s.checkDurationMs.store(-1, ordering: .relaxed)
        s.agentMaxconn.store(-1, ordering: .relaxed)
        checkInfos.withLock { $0[slot] = "" }
        withControl(nowMs: nowMs) { st in
            var status = ServerStatus(rise: rise, fall: fall, weight: weight, checked: checked)
            status.admin = [.forcedMaint]
            status.op = .stopped
            status.checkHealth = 0
            status.checkEnabled = false
            status.agentConfigured = agent
            status.agentEnabled = false
            st.statuses[slot] = status
            st.healthOverride[slot] = checked
            st.touch(slot)
        }
        s.lastChangeMs.store(nowMs, ordering: .relaxed)
    }
}

extension ServerStateTable {
    /// The configuration as the statistics show it: each server `add server` created in
    /// place of its reserved slot (same index, so slot and configuration stay aligned).
    public func withDynamicServers(_ configuration: inout Configuration) {
        let members = roster.state.withLock { $0.members }
        for (slot, m) in members {
            let info = servers[slot]
            guard let pi = configuration.proxies.firstIndex(where: { $0.isBackend && $0.name == info.proxyName }),
                  let i = backends[info.backendIndex].servers.firstIndex(of: slot),
                  i < configuration.proxies[pi].servers.count else { continue }
            var c = m.config
            c.options.reservedSlot = true
            configuration.proxies[pi].servers[i] = c
        }
    }

    /// `disabled` on `add server`: the configuration's maintenance flag too (HAProxy's admin 5).
    func markConfigDisabled(_ slot: Int, nowMs: Int64 = MonotonicClock.nowMs()) {
        withControl(nowMs: nowMs) { st in
            st.statuses[slot].admin.insert(.configMaint)
            st.statuses[slot].checkPaused = true
            st.touch(slot)
        }
    }
}

extension StatsModel {
    /// A backend with at least one listed server (a backend with none is UP and has no downtime).
    public func hasListedServers(_ p: ProxyConfig) -> Bool {
        guard let b = states.backendIndex(named: p.name) else { return !p.servers.isEmpty }
        return !states.listedServers(backend: b).isEmpty
    }
}
