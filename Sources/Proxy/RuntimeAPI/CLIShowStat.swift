// `show stat [domain proxy] [<iid|proxy> <type> <sid>] [typed|json] [desc] [up] [no-maint]`
// and `clear counters [all]`.

extension RuntimeControl {
    func showStat(_ r: CLIRequest, _ s: CLISession) -> CLIReply {
        var o = StatsCSV.Options()
        o.legends = s.level >= .operator
        var words = Array(r.words.dropFirst(2))
        if words.first == "domain" {
            words.removeFirst()
            if words.first == "proxy" { words.removeFirst() }
            else if words.first == "resolvers" { return .dump("") }
            else { return .error("Invalid statistics domain.\n") }
        }
        if words.count >= 3 && !words[0].isEmpty && !words[1].isEmpty && !words[2].isEmpty {
            let id: Int
            if let p = configuration.proxies.first(where: { $0.name == words[0] }) { id = proxyID(p.name) }
            else { id = Int(words[0]) ?? 0 }
            guard id != 0 else { return .error("No such proxy.\n") }
            o.proxyID = id
            o.typeMask = Int(words[1]) ?? 0
            o.serverID = Int(words[2]) ?? 0
            words.removeFirst(3)
        }
        var typed = false, json = false, desc = false
        for w in words {
            switch w {
            case "typed": typed = true; json = false
            case "json": json = true; typed = false
            case "desc": desc = true
            case "no-maint": o.hideMaintenance = true
            case "up": o.hideDown = true
            default: break
            }
        }
        let m = statsModel()
        if typed { return .dump(StatsTypedDump.typed(StatsCSV.rows(m, options: o), desc: desc)) }
        if json { return .dump(StatsTypedDump.json(StatsCSV.rows(m, options: o))) }
        return .dump(StatsCSV.render(m, options: o))
    }

    /// The stats model with the runtime's view of the process (ids shifted by the CLI proxy,
    /// server addresses changed at run time).
    func statsModel() -> StatsModel {
        var m = handler.statsModel()
        if handler.statsAdjust == nil { decorate(&m) }
        return m
    }

    /// What the runtime changed, for every stats rendering (the CLI's and the stats page's).
    public func decorate(_ m: inout StatsModel) {
        m.serverAddresses = serverAddresses.withLock { $0 }
        if states.roster.changed { states.withDynamicServers(&m.configuration) }
        m.serverMaxconnOverride = serverMaxconn.withLock { $0 }
        let plans = handler.frontendPlans
        for (fi, v) in frontendMaxconn.withLock({ $0 }) { m.frontendMaxconnOverride[plans[fi].name] = v }
        for fi in frontendsPaused.withLock({ $0 }) { m.pausedFrontends.insert(plans[fi].name) }
        m.info = { [self] in infoValues().mapValues(\.text) }
        m.stickTables = { [self] in
            // Every declared table (HAProxy lists a table no rule uses), and appsession's.
            let now = MonotonicClock.nowMs()
            let live = Dictionary(sessionTables.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            var out: [(name: String, type: String, size: Int, used: Int)] = []
            for p in configuration.proxies {
                if let t = live[p.name] { out.append((t.name, t.type, t.size, t.table.snapshot(now: now).count)) }
                else if let c = p.stickTable { out.append((p.name, c.type, c.size, 0)) }
            }
            return out
        }
    }

    /// `clear counters`: max values and rates; `all`: every counter.
    func clearCounters(all: Bool) -> CLIReply {
        guard let mailbox else { return .none }
        _ = mailbox.gather { w in self.handler.clearCounters(worker: w, all: all) }
        return .none
    }
}
