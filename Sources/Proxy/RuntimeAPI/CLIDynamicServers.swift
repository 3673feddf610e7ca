// `add server` and `del server` (management.txt §9.3): HAProxy 2.6's checks, order and texts.
// A new server takes one of the vacant slots reserved at start (DynamicServerSlots); the
// workers learn its address and name through their mailboxes, so no lock is taken on the
// request path. It starts in forced maintenance, as HAProxy's dynamic servers do.
#if canImport(Glibc)
import Glibc
#endif

extension RuntimeControl {
    /// Options HAProxy refuses on a dynamic server ("'X' option is not accepted for dynamic server").
    static let notDynamicOptions: Set<String> = [
        "cookie", "init-addr", "redir", "resolvers", "resolve-opts", "resolve-prefer", "resolve-net",
    ]
    /// Options HAProxy accepts on a dynamic server that ringproxy applies at run time.
    static let dynamicOptionsApplied: Set<String> = ["weight", "maxconn", "disabled", "enabled", "proto"]
    /// Check and tracking options, read as on a `server` line (ServerOptionParser).
    static let dynamicCheckOptions: Set<String> = [
        "check", "no-check", "inter", "fastinter", "downinter", "rise", "fall", "port", "addr",
        "check-send-proxy", "no-check-send-proxy", "track",
        "agent-check", "no-agent-check", "agent-port", "agent-inter", "agent-addr", "agent-send",
    ]

    /// `b/s` → (backend name, server name), or nil when either part is missing.
    static func splitServerPath(_ text: String) -> (String, String)? {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let b = String(text[..<slash]), s = String(text[text.index(after: slash)...])
        return b.isEmpty || s.isEmpty ? nil : (b, s)
    }

    /// HAProxy ends these (the path and backend checks of `add server`) with one line feed;
    /// the server line's own errors end with an empty line, as other errors.
    static let requirePath = "Require 'backend/server'.\n"
    static let noBackend = "No such backend.\n"
    static let notDynamicBalance = "Backend must use a dynamic load balancing to support dynamic servers.\n"
    static let singleLineFeedErrors: Set<String> = [requirePath, noBackend, notDynamicBalance]

    func addServer(_ r: CLIRequest) -> CLIReply {
        guard let (bname, sname) = Self.splitServerPath(r[2]) else { return .error(Self.requirePath) }
        guard let pi = proxyIndex(bname), configuration.proxies[pi].isBackend,
              let b = states.backendIndex(named: configuration.proxies[pi].name) else {
            return .error(Self.noBackend)
        }
        let proxy = configuration.proxies[pi]
        guard DynamicServerSlots.acceptsDynamicServers(proxy) else {
            return .error(Self.notDynamicBalance)
        }
        let address = r[3]
        guard !address.isEmpty else { return .error("'server' expects <name> and <addr>[:<port>] as arguments.\n") }
        var server: ServerConfig
        switch Self.dynamicServerAddress(sname, address) {
        case .success(let s): server = s
        case .failure(let e): return e.reply
        }
        server.options.poolMaxConn = 0      // no idle connections kept, as HAProxy 2.6 (src_ilim 0)
        var http2 = false
        var i = 4
        while i < r.words.count {
            let option = r[i]
            if Self.notDynamicOptions.contains(option) { return .error("'\(option)' option is not accepted for dynamic server\n") }
            guard ServerOptionParser.withValue.contains(option) || ServerOptionParser.flags.contains(option) else {
                return .error("unknown keyword '\(option)'.\n")
            }
            let takesValue = ServerOptionParser.withValue.contains(option)
            let value = r[i + 1]
            if takesValue && value.isEmpty { return .error("'\(option)' expects \(ServerOptionParser.expected(option)) as an argument.\n") }
            if Self.dynamicCheckOptions.contains(option) {
                let line = KeywordLine(words: r.words, argumentStart: 0, keyword: "server", location: SourceLocation(file: "<cli>", line: 0))
                var warnings: [String] = []
                do { try ServerOptionParser.applyOne(option, takesValue ? value : nil, at: i + 1, line, &server, hasTLS: false, &warnings) }
                catch { return .error(error.message + "\n") }
                i += takesValue ? 2 : 1
                continue
            }
            guard Self.dynamicOptionsApplied.contains(option) else {
                return .error("'\(option)' option is not supported yet on a dynamic server by ringproxy.\n")
            }
            switch option {
            case "weight":
                guard let w = Int(value), (0...256).contains(w) else {
                    return .error("weight of server \(sname) is not within 0 and 256 (\(value)).\n")
                }
                server.weight = w
            case "maxconn":
                guard let n = Int(value), n >= 0 else { return .error("'maxconn' expects an integer argument.\n") }
                server.maxconn = n
            case "disabled": server.disabled = true
            case "enabled": server.disabled = false
            case "proto":
                guard value == "h1" || value == "h2" else { return .error("'proto' :  unknown MUX protocol '\(value)'.\n") }
                http2 = value == "h2"
            default: break
            }
            i += takesValue ? 2 : 1
        }
        // HAProxy: h2 needs an HTTP backend.
        if http2 && proxy.mode != .http { return .error("MUX protocol is not usable for server.\n") }
        // HAProxy's _srv_parse_finalize, then srv_apply_track.
        if server.check && server.options.track != nil { return .error("unable to enable checks and tracking at the same time!\n") }
        if server.checkSettings.agent.enabled && server.checkSettings.agent.port == nil {
            return .error("server \(sname) does not have agent port. Agent check has been disabled.\n")
        }
        var tracked: Int? = nil
        if let track = server.options.track {
            switch trackTarget(track, of: proxy) {
            case .success(let t): tracked = t
            case .failure(let e): return e.reply
            }
        }
        let checks: [CheckTarget]
        do { checks = try CheckTarget.targets(dynamic: server, proxy: proxy, slot: 0) }
        catch { return .error("\(error)\n") }
        if server.checkSettings.agent.enabled && !checks.contains(where: \.isAgent) {
            return .error("ringproxy does not resolve host names at run time yet: give the agent address as an IP address.\n")
        }
        if states.listedServers(backend: b).contains(where: { states.name($0) == sname }) {
            return .error("Already exists a server with the same name in backend.\n")
        }
        guard let slot = states.backends[b].servers.first(where: { states.roster.reserved[$0] && !states.roster.isListed($0) }) else {
            return .error("ringproxy has no room left for a dynamic server in backend '\(bname)': \(DynamicServerSlots.count(configuration)) are reserved at start per backend when a stats socket exists (global 'tune.dynamic-servers N' sets how many).\n")
        }
        guard let (ss, len) = makeSockaddr(host: server.options.socket?.description ?? server.host, port: server.port == 0 ? 80 : server.port) else {
            return .error("Invalid address '\(address)'.\n")
        }
        // The workers first: counters of an earlier occupant cleared, the address (this also
        // closes idle connections to an earlier occupant), the name for their logs.
        if let engine, let mailbox {
            _ = mailbox.gather { [handler] w in
                handler.resetServerCounters(worker: w, slot: slot)
                engine.setServerAddress(worker: w, server: slot, ss, len)
                handler.setDynamicServerName(worker: w, slot: slot, sname)
            }
        }
        serverAddresses.withLock { $0[slot] = server.options.socket?.description ?? (server.host.contains(":") ? "[\(server.host)]:\(server.port)" : "\(server.host):\(server.port)") }
        if let m = server.maxconn, m > 0 { applyServerMaxconn(slot, m) }
        states.occupy(slot, ServerRoster.Member(name: sname, config: server, http2: http2))
        if server.disabled { states.markConfigDisabled(slot) }
        if let tracked { states.link(tracker: slot, to: tracked) }
        // Registered with the checker, disabled until `enable health` (HAProxy's dynamic servers).
        if !checks.isEmpty {
            guard let checker else {
                states.vacate(slot)
                return .error("ringproxy has no health checker running: checks cannot be added.\n")
            }
            checker.register(checks.map { var t = $0; t.server = slot; return t })
        }
        return .message("New server registered.\n")
    }

    /// The address argument of `add server`: an IP address with an optional port, or a UNIX
    /// socket (`unix@`, `/path`, `abns@`). Host names are not resolved at run time by ringproxy.
    static func dynamicServerAddress(_ name: String, _ written: String) -> Result<ServerConfig, CLIError> {
        let location = SourceLocation(file: "<cli>", line: 0)
        if let path = written.dropPrefix("unix@") ?? (written.hasPrefix("/") ? written : nil) {
            guard !path.isEmpty, path.utf8.count < 108 else { return .failure(.message("invalid UNIX socket path '\(path)'.\n")) }
            var s = ServerConfig(name: name, host: "", port: 0, location: location)
            s.options.socket = .unixPath(path)
            return .success(s)
        }
        if let abstract = written.dropPrefix("abns@"), !abstract.isEmpty {
            var s = ServerConfig(name: name, host: "", port: 0, location: location)
            s.options.socket = .abstractNamespace(abstract)
            return .success(s)
        }
        var text = written
        if let rest = text.dropPrefix("ipv4@") ?? text.dropPrefix("ipv6@") { text = rest }
        let (host, portText) = AddressParser.split(text)
        guard AddressParser.isIP(host) else {
            if AddressParser.isHostname(host) {
                return .failure(.message("ringproxy does not resolve host names at run time yet: give '\(host)' as an IP address.\n"))
            }
            return .failure(.message("Invalid address '\(written)'.\n"))
        }
        var port = 0
        if let portText, !portText.isEmpty {
            if portText.hasPrefix("+") || portText.hasPrefix("-") {
                return .failure(.message("port offsets ('\(portText)') are not implemented yet in ringproxy.\n"))
            }
            guard let p = Int(portText), (0...65535).contains(p) else { return .failure(.message("invalid port '\(portText)'.\n")) }
            port = p
        }
        return .success(ServerConfig(name: name, host: host, port: port, location: location))
    }

    func deleteServer(_ r: CLIRequest) -> CLIReply {
        guard let (bname, sname) = Self.splitServerPath(r[2]) else { return .error("Require 'backend/server'.\n") }
        guard let pi = proxyIndex(bname), configuration.proxies[pi].isBackend,
              let b = states.backendIndex(named: configuration.proxies[pi].name) else {
            return .error("No such backend.\n")
        }
        guard let slot = states.listedServers(backend: b).first(where: { states.name($0) == sname }) else {
            return .error("No such server.\n")
        }
        if isReferenced(slot, backend: configuration.proxies[pi].name, server: sname) {
            return .error("This server cannot be removed at runtime due to other configuration elements pointing to it.\n")
        }
        guard states.view(slot, nowMs: MonotonicClock.nowMs()).admin.inMaintenance else {
            return .error("Only servers in maintenance mode can be deleted.\n")
        }
        let queued = engine?.queue(server: slot).current ?? 0
        if sessions(ofServer: slot) > 0 || (engine?.serverActive(slot) ?? 0) > 0 || queued > 0 {
            return .error("Server still has connections attached to it, cannot remove it.\n")
        }
        // HAProxy's check_purge: the checks stop before the slot can be reused.
        checker?.unregister(server: slot)
        states.vacate(slot)
        serverAddresses.withLock { $0[slot] = nil }
        agentOverrides.withLock { $0[slot] = nil }
        if serverMaxconn.withLock({ $0.removeValue(forKey: slot) }) != nil { engine?.setServerMaxconn(slot, 0) }
        // Idle connections to it are closed (setting the address drops the slot's idle pool)
        // and the workers forget its name.
        if let engine, let mailbox, let (ss, len) = makeSockaddr(host: "0.0.0.0", port: 80) {
            _ = mailbox.gather { [handler] w in
                engine.setServerAddress(worker: w, server: slot, ss, len)
                handler.setDynamicServerName(worker: w, slot: slot, nil)
            }
        }
        return .message("Server deleted.\n")
    }

    /// HAProxy's SRV_F_NON_PURGEABLE: a server that tracks or is tracked, or that a rule, an
    /// ACL or a sample fetch names (`srv_sess_rate(b/s)`, `use-server s`).
    func isReferenced(_ slot: Int, backend: String, server: String) -> Bool {
        if states.roster.reserved[slot] { return false }       // dynamic: nothing names it (it cannot be tracked)
        if states.servers[slot].tracked != nil || !states.trackers[slot].isEmpty || states.wasTrackedAtRunTime(slot) { return true }
        return ServerReferences.names(configuration, backend: backend, server: server)
    }

    /// HAProxy's srv_apply_track for a server of `proxy`: the slot of the server to track.
    func trackTarget(_ track: TrackedServer, of proxy: ProxyConfig) -> Result<Int, CLIError> {
        let bname = track.backend ?? proxy.name
        guard let tp = configuration.proxies.first(where: { $0.isBackend && $0.name == bname }),
              let b = states.backendIndex(named: bname) else {
            return .failure(.message("unable to find required proxy '\(bname)' for tracking.\n"))
        }
        guard let t = states.listedServers(backend: b).first(where: { states.name($0) == track.server }) else {
            return .failure(.message("unable to find required server '\(track.server)' for tracking.\n"))
        }
        let path = "\(bname)/\(track.server)"
        // A dynamic server may be deleted: HAProxy keeps the chains to configured servers.
        if states.roster.reserved[t] { return .failure(.message("unable to use \(path) for tracking as it is a dynamic server.\n")) }
        let c = serverConfig(t)
        if !c.check && !c.checkSettings.agent.enabled && c.options.track == nil {
            return .failure(.message("unable to use \(path) for tracking as it does not have any check nor agent enabled.\n"))
        }
        if tp.name != proxy.name && tp.checks.disableOn404 != proxy.checks.disableOn404 {
            return .failure(.message("unable to use \(path) for tracking: disable-on-404 option inconsistency.\n"))
        }
        return .success(t)
    }

    /// `enable server` / `set server state ready` on a server ringproxy cannot serve.
    func refusesService(_ slot: Int) -> CLIReply? {
        guard states.roster.member(slot)?.http2 == true else { return nil }
        return .error("ringproxy speaks HTTP/1.x to servers: a 'proto h2' server stays in maintenance.\n")
    }
}

/// Whether a configuration names a server outside its own `server` line.
enum ServerReferences {
    /// Looks for the server's `backend/server` path, or its bare name in its backend's rules, as
    /// a whole word of the parsed configuration (sample fetch arguments, `use-server` targets).
    static func names(_ configuration: Configuration, backend: String, server: String) -> Bool {
        let quotedPath = "\"\(backend)/\(server)\""
        var text = ""
        for p in configuration.proxies {
            var q = p
            q.servers = []
            text = String(reflecting: q)
            if text.contains(quotedPath) { return true }
            if p.name == backend && text.contains("\"\(server)\"") { return true }
        }
        return String(reflecting: configuration.global).contains(quotedPath)
    }
}
