// What happens when a server changes state, as its configuration says: the messages of the
// servers that track it; `on-marked-down shutdown-sessions` closes the server's exchanges in
// progress when it goes DOWN (logged `D…`); `on-marked-up shutdown-backup-sessions` closes
// those of its backend's backup servers when it comes back UP (logged `U…`). The closing is a
// job in each worker's mailbox.

enum ServerStateActions {
    static func install(configuration: Configuration, topology: Topology, states: ServerStateTable, engine: Engine,
                        mailbox: WorkerMailbox, log: @escaping @Sendable (HealthEvent) -> Void) {
        let servers = topology.servers
        let onDown = servers.map { $0.config.options.shutdownSessionsWhenDown }
        let onUp = servers.map { $0.config.options.shutdownBackupSessionsWhenUp }
        let backupsOf: [[Int]] = topology.backends.map { b in b.servers.filter { servers[$0].config.backup } }
        let backendOf = servers.map(\.backend)
        let hasTrackers = servers.contains { $0.config.options.track != nil }
        guard hasTrackers || onDown.contains(true) || onUp.contains(true) else { return }
        // `weak`: the table (held by the stream handler, which the engine holds) must not hold
        // the engine, or the whole proxy is a reference cycle never freed (LeakSanitizer).
        states.observe { [weak engine] changes, trackingEvents in
            for e in trackingEvents { log(e) }
            guard let engine else { return }
            for c in changes where c.server < onDown.count {
                var victims: [(Int, UInt8)] = []
                if !c.up && onDown[c.server] { victims.append((c.server, UInt8(ascii: "D"))) }
                if c.up && onUp[c.server] { victims += backupsOf[backendOf[c.server]].map { ($0, UInt8(ascii: "U")) } }
                for (server, why) in victims {
                    for w in 0..<mailbox.workers {
                        mailbox.post(to: w) { worker in engine.shutdownServer(worker: worker, server: server, why: why) }
                    }
                }
            }
        }
    }
}
