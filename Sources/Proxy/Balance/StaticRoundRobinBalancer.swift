// `balance static-rr`: walks HAProxy's weighted map (see WeightedServerMap) slot by slot;
// 5:3:2 gives A A B A C A B A B C. The map is rebuilt when a server changes state; the
// position is kept (reset to 0 when beyond the new map), as lb_map.c does.
// Concurrency: one Mutex per backend (uncontended lock + O(servers) health check per pick).

import Synchronization

public final class StaticRoundRobinBalancer: Balancer {
    struct State {
        var map: WeightedServerMap
        var position = 0
    }
    let servers: [BalancedServer]
    let state: Mutex<State>

    public init(servers: [BalancedServer]) {
        self.servers = servers
        state = Mutex(State(map: WeightedServerMap(servers: servers)))
    }

    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? {
        if let b = BackupRule.fallback(servers, states) { return b < 0 ? nil : b }
        let servers = self.servers
        return state.withLock { s in
            s.map.follow { states.isBalanceable($0) && !servers[$0].backup }
            let total = s.map.total
            guard total > 0 else { return nil }
            if s.position < 0 || s.position >= total { s.position = 0 }
            let start = s.position
            var idx = start
            var avoided = -1, avoidedNext = -1
            repeat {
                let srv = s.map.slots[idx]
                idx += 1
                if idx == total { idx = 0 }
                if srv != avoid { s.position = idx; return srv }
                if avoided < 0 { avoided = srv; avoidedNext = idx }
            } while idx != start
            s.position = avoidedNext
            return avoided >= 0 ? avoided : nil
        }
    }
}
