// The stats page's admin form applied to the running proxy: each action on each named server,
// with HAProxy 2.6's rules for what counts as a change (stats.c, stats_process_http_post) and
// the same state writers and log messages as the runtime API. Runs on the worker thread that
// answers the POST: nothing here waits for a worker (the sessions of `shutdown` are closed by
// jobs posted to every worker, this one included, which run at their next loop turn).

extension RuntimeControl {
    /// Applies a POSTed form; returns the outcome for the redirect.
    public func applyStatsForm(_ body: [UInt8]) -> StatsActionStatus {
        StatsAdminForm.process(body, backend: { [self] name in
            guard let pi = proxyIndex(name), configuration.proxies[pi].isBackend else { return nil }
            return states.backendIndex(named: configuration.proxies[pi].name)
        }, apply: { [self] b, name, action in
            // findserver(): by name only; a duplicated name is unknown.
            let matches = states.backends[b].servers.filter { states.roster.isListed($0) && states.name($0) == name }
            guard matches.count == 1 else { return .unknown }
            return apply(action, server: matches[0])
        })
    }

    func apply(_ action: StatsAdminForm.Action, server slot: Int) -> StatsAdminForm.Outcome {
        let sessions: ServerStateTable.SessionCounter = { [self] in self.sessions(ofServer: $0) }
        let status = states.status(slot)
        let reason = "changed from Web interface"
        switch action {
        case .ready: report(states.apply(.ready, server: slot, sessions: sessions))
        case .drain: report(states.apply(.drain, server: slot, sessions: sessions))
        case .maint: report(states.apply(.maint, server: slot, sessions: sessions))
        case .disable, .enable:
            guard status.admin.contains(.forcedMaint) == (action == .enable) else { return .unchanged }
            report(states.setForcedFlag(.forcedMaint, action == .disable, server: slot, sessions: sessions))
        case .stop, .start:
            guard status.admin.contains(.forcedDrain) == (action == .start) else { return .unchanged }
            report(states.setForcedFlag(.forcedDrain, action == .stop, server: slot, sessions: sessions))
        case .dhlth, .ehlth:
            guard status.checkConfigured else { return .unchanged }
            states.setCheckEnabled(server: slot, action == .ehlth)
        case .hrunn: report(states.apply(.up, server: slot, reason: reason, sessions: sessions))
        case .hnolb: report(states.apply(.stopping, server: slot, reason: reason, sessions: sessions))
        case .hdown: report(states.apply(.down, server: slot, reason: reason, sessions: sessions))
        case .dagent, .eagent, .arunn, .adown:
            // No agent check is ever configured in ringproxy yet: nothing to act on.
            return .unchanged
        case .shutdown:
            if let engine, let mailbox {
                for w in 0..<mailbox.workers { mailbox.post(to: w) { w in _ = engine.killServerSessions(worker: w, server: slot) } }
            }
        }
        return .changed
    }
}
