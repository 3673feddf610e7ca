// Server commands: `show servers state|conn`, `show backend`, `get|set weight`, `set server`,
// `enable|disable server|health|agent`. State changes go through ServerStateTable's writers
// (HAProxy's transitions and log messages); workers see them at their next pick.

extension RuntimeControl {
    /// HAProxy's SRV_STATE_FILE_VERSION and field names line.
    static let serverStateVersion = "1"
    static let serverStateFields = "be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port"

    /// The backends a `show servers` dumps: all, or the one named (error text otherwise).
    func backendsFor(_ name: String) -> Result<[Int], CLIError> {
        if name.isEmpty { return .success(Array(states.backends.indices)) }
        guard let pi = proxyIndex(name), let b = states.backendIndex(named: configuration.proxies[pi].name) else {
            return .failure(.message("Can't find backend.\n"))
        }
        return .success([b])
    }

    /// The address a server connects to now: (ip, port).
    func serverAddress(_ slot: Int) -> (host: String, port: Int) {
        if let a = serverAddresses.withLock({ $0[slot] }) {
            let (h, p) = AddressParser.split(a)
            return (h, Int(p ?? "") ?? 0)
        }
        let s = serverConfig(slot)
        return (s.host, s.port)
    }

    /// One `show servers state` line (also what the server-state file stores).
    func serverStateLine(_ slot: Int, nowMs: Int64) -> String {
        let info = states.servers[slot]
        let b = states.backends[info.backendIndex]
        let st = states.status(slot)
        let v = states.view(slot, nowMs: nowMs)
        let s = serverConfig(slot)
        let addr = serverAddress(slot)
        let sid = (b.servers.firstIndex(of: slot) ?? 0) + 1
        let checkPort = s.checkPort ?? 0
        let checkAddr = s.checkAddr ?? "-"
        let names = resolutionNames(slot)
        // HAProxy's `addr` and `port` set the agent's address and port too.
        let agent = s.checkSettings.agent
        let changed = agentOverrides.withLock { $0[slot] }
        let agentAddr = changed?.host ?? agent.host ?? s.checkAddr ?? "-"
        let agentPort = changed?.port ?? agent.port ?? s.checkPort ?? 0
        return "\(proxyID(b.name)) \(b.name) \(sid) \(states.name(slot)) \(AddressParser.isIP(addr.host) || s.options.socket != nil ? addr.host : "-") "
            + "\(st.op.rawValue) \(st.admin.rawValue) \(st.userWeight) \(st.initialWeight) \(v.lastChangeSeconds) "
            + "\(st.lastStatus.haproxyCode) \(st.lastStatus.haproxyResult) \(st.checkHealth) \(st.checkStateFlags) \(st.agentStateFlags) "
            + "0 0 \(names.fqdn) \(addr.port) \(names.srvRecord) 0 \(checkPort) \(checkAddr) \(agentAddr) \(agentPort)"
    }

    func showServersState(_ backend: String) -> CLIReply {
        let list: [Int]
        switch backendsFor(backend) {
        case .success(let l): list = l
        case .failure(let e): return e.reply
        }
        let now = MonotonicClock.nowMs()
        var out = "\(Self.serverStateVersion)\n# \(Self.serverStateFields)\n"
        for b in list { for slot in states.listedServers(backend: b) { out += serverStateLine(slot, nowMs: now) + "\n" } }
        return .dump(out)
    }

    func showServersConn(_ backend: String) -> CLIReply {
        let list: [Int]
        switch backendsFor(backend) {
        case .success(let l): list = l
        case .failure(let e): return e.reply
        }
        var out = "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[\(workers)]\n"
        for b in list {
            let be = states.backends[b]
            for (i, slot) in states.listedPositions(backend: b) {
                let addr = serverAddress(slot)
                let used = engine?.serverActive(slot) ?? 0
                let perThread = (0..<workers).map { _ in "0" }.joined(separator: " ")
                out += "\(be.name)/\(states.name(slot)) \(proxyID(be.name))/\(i + 1) \(addr.host) \(addr.port) - 5000 \(used) \(used) \(used) 0 0 -1 0 \(perThread)\n"
            }
        }
        return .dump(out)
    }

    func showBackend() -> CLIReply {
        var out = "# name\n"
        for p in configuration.proxies where p.isBackend { out += p.name + "\n" }
        return .dump(out)
    }

    func getWeight(_ arg: String) -> CLIReply {
        guard let slash = arg.firstIndex(of: "/"), arg.index(after: slash) < arg.endIndex else {
            return .error("Require 'backend/server'.\n")
        }
        switch findServer(arg) {
        case .failure(.message(let m)) where m.hasPrefix("Require"):
            return .error("No such backend.\n")
        case .failure(let e): return e.reply
        case .success(let (_, slot)):
            return .dump("\(states.currentWeight(slot)) (initial \(states.initialWeight(slot)))\n")
        }
    }

    func setWeight(_ arg: String, _ value: String) -> CLIReply {
        switch findServer(arg) {
        case .failure(let e): return e.reply
        case .success(let (_, slot)):
            let r = states.setWeight(server: slot, value)
            report(r.events)
            return r.error.map { .error($0) } ?? .none
        }
    }

    func adminServer(_ arg: String, _ action: ServerStateControl.AdminAction) -> CLIReply {
        switch findServer(arg) {
        case .failure(let e): return e.reply
        case .success(let (_, slot)):
            if action == .ready, let refused = refusesService(slot) { return refused }
            report(states.apply(action, server: slot, sessions: { [self] in sessions(ofServer: $0) }))
            return .none
        }
    }

    func setHealthChecks(_ arg: String, enabled: Bool) -> CLIReply {
        switch findServer(arg) {
        case .failure(let e): return e.reply
        case .success(let (_, slot)):
            if enabled && !states.status(slot).checkConfigured {
                return .error("Health check was not configured on this server, cannot enable.\n")
            }
            states.setCheckEnabled(server: slot, enabled)
            return .none
        }
    }

    func setAgentChecks(_ arg: String, enabled: Bool) -> CLIReply {
        switch findServer(arg) {
        case .failure(let e): return e.reply
        case .success(let (_, slot)):
            // HAProxy's `disable agent` says nothing on a server without an agent.
            if !states.setAgentEnabled(server: slot, enabled) && enabled {
                return .error("Agent was not configured on this server, cannot enable.\n")
            }
            return .none
        }
    }

    /// `set server <b>/<s> weight|state|health|agent|addr|check-addr|check-port|...`.
    func setServer(_ r: CLIRequest) -> CLIReply {
        let slot: Int
        switch findServer(r[2]) {
        case .failure(let e): return e.reply
        case .success(let (_, s)): slot = s
        }
        let sessions: ServerStateTable.SessionCounter = { [self] in self.sessions(ofServer: $0) }
        switch r[3] {
        case "weight":
            let w = states.setWeight(server: slot, r[4])
            report(w.events)
            return w.error.map { .error($0) } ?? .none
        case "state":
            switch r[4] {
            case "ready":
                if let refused = refusesService(slot) { return refused }
                report(states.apply(.ready, server: slot, sessions: sessions))
            case "drain": report(states.apply(.drain, server: slot, sessions: sessions))
            case "maint": report(states.apply(.maint, server: slot, sessions: sessions))
            default: return .error("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n")
            }
            return .none
        case "health":
            switch r[4] {
            case "up": report(states.apply(.up, server: slot, sessions: sessions))
            case "stopping": report(states.apply(.stopping, server: slot, sessions: sessions))
            case "down": report(states.apply(.down, server: slot, sessions: sessions))
            default: return .error("'set server <srv> health' expects 'up', 'stopping', or 'down'.\n")
            }
            return .none
        case "agent", "agent-send", "agent-addr", "agent-port":
            return setServerAgent(slot, r)
        case "addr":
            if r[4].isEmpty { return .error("set server <b>/<s> addr requires an address and optionally a port.\n") }
            return setServerAddress(slot, r[4], port: r[5] == "port" ? r[6] : nil)
        case "check-addr":
            if r[4].isEmpty { return .error("set server <b>/<s> check-addr requires an address and optionally a port.\n") }
            return .error("ringproxy cannot change a check address at run time yet.\n")
        case "check-port":
            if r[4].isEmpty { return .error("set server <b>/<s> check-port requires a port.\n") }
            return .error("ringproxy cannot change a check port at run time yet.\n")
        case "fqdn":
            if r[4].isEmpty { return .error("set server <b>/<s> fqdn requires a FQDN.\n") }
            return .error("set server <b>/<s> fqdn failed because no resolution is configured.\n")
        case "ssl":
            return .message("server ssl setting not supported.\n")
        default:
            return .error("usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n")
        }
    }
}
