// Checks of the servers `add server … check|agent-check` creates and `del server` removes. The
// probes belong to the checker thread, so the runtime API hands it changes through a mailbox it
// empties at the top of each turn (at most maxSleepMs later); a removal waits until the thread
// has dropped the probes, so that no result of a deleted server lands on a reused slot.
import Glibc
import Synchronization

extension HealthChecker {
    enum ProbeChange: Sendable {
        case add(CheckTarget)
        case remove(server: Int)
        /// `set server B/S agent up|down`: the agent's counter is full or 0.
        case agentHealth(server: Int, up: Bool)
        /// `set server B/S agent-addr|agent-port|agent-send`: what the agent's next checks use.
        case agentTarget(server: Int, address: SocketAddress, port: Int, send: String)
    }

    /// Changes waiting for the checker thread, and how many it has applied in all.
    struct ProbeMailbox: Sendable {
        var pending: [ProbeChange] = []
        var posted = 0
    }

    /// Starts checking `targets` (their servers' check state decides whether they run).
    public func register(_ targets: [CheckTarget]) {
        guard !targets.isEmpty else { return }
        _ = post(targets.map { .add($0) })
    }

    /// Stops every check of `server`; returns once the checker thread no longer runs them.
    public func unregister(server: Int) {
        let ticket = post([.remove(server: server)])
        // The thread applies changes at least every maxSleepMs; give up after a few seconds
        // (a stopped thread applied them in post()).
        for _ in 0..<4000 where appliedChanges.load(ordering: .acquiring) < ticket { usleep(1000) }
    }

    /// Sets the agent's counter of `server` as `set server agent up|down` does (from its next turn).
    public func setAgentHealth(server: Int, up: Bool) {
        _ = post([.agentHealth(server: server, up: up)])
    }

    /// The agent of `server` connects to `address` (agent port `port`) and sends `send` from its
    /// next check on; a check in flight finishes with what it had.
    public func retargetAgent(server: Int, address: SocketAddress, port: Int, send: String) {
        _ = post([.agentTarget(server: server, address: address, port: port, send: send)])
    }

    /// Queues changes; returns the count the thread must have applied to have seen them.
    private func post(_ changes: [ProbeChange]) -> Int {
        let ticket = probeMailbox.withLock { m in
            m.pending += changes
            m.posted += changes.count
            return m.posted
        }
        if !running.load(ordering: .acquiring) { applyProbeChanges(now: MonotonicClock.nowMs()) }
        return ticket
    }

    /// On the checker thread (or before it starts): adds and removes probes.
    func applyProbeChanges(now: Int64) {
        let changes = probeMailbox.withLock { m -> [ProbeChange] in
            let c = m.pending
            m.pending = []
            return c
        }
        guard !changes.isEmpty else { return }
        for change in changes {
            switch change {
            case .add(let t):
                var p = Self.probe(t, table)
                // The first check once the check is enabled: one interval from now.
                p.nextDueMs = now + Int64(t.intervals.inter)
                let i: Int
                if let free = probes.firstIndex(where: \.removed) {
                    p.generation = probes[free].generation &+ 1      // older completions stay stale
                    probes[free] = p
                    i = free
                } else {
                    probes.append(p)
                    i = probes.count - 1
                }
                if t.isAgent { agentProbe[t.server] = i } else { healthProbe[t.server] = i }
            case .remove(let server):
                for i in probes.indices where !probes[i].removed && probes[i].target.server == server {
                    disarm(i)
                    probes[i].run = nil
                    probes[i].removed = true
                }
                healthProbe[server] = nil
                agentProbe[server] = nil
            case .agentHealth(let server, let up):
                if let i = agentProbe[server] { probes[i].machine.setAgentHealth(up: up) }
            case .agentTarget(let server, let address, let port, let send):
                if let i = agentProbe[server] {
                    probes[i].target.address = address
                    probes[i].target.serverPort = port
                    probes[i].target.program = CheckTarget.agentProgram(send: send)
                }
            }
        }
        appliedChanges.add(changes.count, ordering: .releasing)
    }
}
