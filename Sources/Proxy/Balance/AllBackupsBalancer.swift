// `option allbackups`: when no active server is usable, every usable backup server takes
// traffic, balanced by the backend's own algorithm, instead of only the first backup (the
// default, BackupRule). The backups are a second balancer of the same algorithm in which
// they are the active servers.

public final class AllBackupsBalancer: Balancer {
    let servers: [BalancedServer]
    let primary: any Balancer
    let backups: any Balancer
    /// Backup tier index → backend index, and back (-1: an active server).
    let backupIndexes: [Int]
    let tierOf: [Int]

    init(servers: [BalancedServer], primary: any Balancer, makeTier: ([BalancedServer]) -> any Balancer) {
        self.servers = servers
        self.primary = primary
        backupIndexes = servers.indices.filter { servers[$0].backup }
        var tier = Array(repeating: -1, count: servers.count)
        for (t, i) in backupIndexes.enumerated() { tier[i] = t }
        tierOf = tier
        backups = makeTier(backupIndexes.map { var s = servers[$0]; s.backup = false; return s })
    }

    /// The backup tier's view of the states: its servers are usable when the backend's are.
    struct TierStates<Base: ServerStates>: ServerStates {
        let base: Base
        let indexes: [Int]
        func isUsable(_ index: Int) -> Bool { base.isUsable(indexes[index]) }
        func isBalanceable(_ index: Int) -> Bool { base.isBalanceable(indexes[index]) }
        func weight(_ index: Int) -> Int? { base.weight(indexes[index]) }
    }

    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? {
        for i in servers.indices where !servers[i].backup && (states.weight(i) ?? servers[i].weight) > 0 && states.isBalanceable(i) {
            return primary.pick(request: request, client: client, states: states, avoid: avoid)
        }
        let avoidInTier = avoid.map { tierOf[$0] }.flatMap { $0 >= 0 ? $0 : nil }
        guard let t = backups.pick(request: request, client: client, states: TierStates(base: states, indexes: backupIndexes),
                                   avoid: avoidInTier) else { return nil }
        return backupIndexes[t]
    }

    public func connectionStarted(_ server: Int) {
        if tierOf[server] >= 0 { backups.connectionStarted(tierOf[server]) } else { primary.connectionStarted(server) }
    }

    public func connectionEnded(_ server: Int) {
        if tierOf[server] >= 0 { backups.connectionEnded(tierOf[server]) } else { primary.connectionEnded(server) }
    }
}
