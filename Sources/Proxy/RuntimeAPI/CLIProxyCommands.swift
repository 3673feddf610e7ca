// Frontend and limit commands: `disable|enable frontend`, `set maxconn frontend|global|server`,
// `set rate-limit`, and `set server B/S addr`. Values shared by every worker are stored in the
// engine's tables (read by workers at their next accept or connect); what belongs to a worker
// (its listening socket, its copy of a server address, its connection limit) is changed by a
// job on that worker.
#if canImport(Glibc)
import Glibc
#endif

extension RuntimeControl {
    /// A frontend by name or `#id`: its index among the frontends, or HAProxy's error.
    func findFrontend(_ arg: String) -> Result<Int, CLIError> {
        guard !arg.isEmpty else { return .failure(.message("A frontend name is expected.\n")) }
        guard let pi = proxyIndex(arg), configuration.proxies[pi].isFrontend,
              let fi = handler.frontendPlans.firstIndex(where: { $0.name == configuration.proxies[pi].name }) else {
            return .failure(.message("No such frontend.\n"))
        }
        return .success(fi)
    }

    /// The engine listeners of a frontend.
    func listeners(ofFrontend fi: Int) -> [Int] { listenerFrontends.indices.filter { listenerFrontends[$0] == fi } }

    func pauseFrontend(_ arg: String, pause: Bool) -> CLIReply {
        let fi: Int
        switch findFrontend(arg) {
        case .failure(let e): return e.reply
        case .success(let f): fi = f
        }
        let already = frontendsPaused.withLock { $0.contains(fi) }
        if pause && already { return .message("All sockets are already disabled.\n") }
        if !pause && !already { return .message("All sockets are already enabled.\n") }
        guard let engine, let mailbox else { return .none }
        let ls = listeners(ofFrontend: fi)
        let results = mailbox.gather { w in ls.map { engine.pauseListener(worker: w, listener: $0, pause: pause) } } ?? []
        if !pause && results.joined().contains(where: { $0 < 0 }) {
            return .error("Failed to resume frontend, check logs for precise cause (port conflict?).\n")
        }
        frontendsPaused.withLock { if pause { $0.insert(fi) } else { $0.remove(fi) } }
        return .none
    }

    func setMaxconnFrontend(_ arg: String, _ value: String) -> CLIReply {
        let fi: Int
        switch findFrontend(arg) {
        case .failure(let e): return e.reply
        case .success(let f): fi = f
        }
        guard !value.isEmpty else { return .error("Integer value expected.\n") }
        let v = CLINumber.atoi(value)
        guard v >= 0 else { return .error("Value out of range.\n") }
        frontendMaxconn.withLock { $0[fi] = v }
        engine?.setFrontendMaxconn(fi, v)
        kickWorkers()
        return .none
    }

    func setMaxconnGlobal(_ value: String) -> CLIReply {
        guard !value.isEmpty else { return .error("Expects an integer value.\n") }
        let hard = configuration.global.maxconn ?? 4096
        var v = CLINumber.atoi(value)
        guard v <= hard else { return .error("Value out of range.\n") }
        if v <= 0 { v = hard }
        settings.withLock { $0.maxconn = v }
        if let engine, let mailbox {
            let share = (v + workers - 1) / workers
            _ = mailbox.gather { w in engine.setConnectionLimit(worker: w, share); engine.kick(worker: w) }
        }
        return .none
    }

    func setMaxconnServer(_ arg: String, _ value: String) -> CLIReply {
        let slot: Int
        switch findServer(arg) {
        case .failure(let e): return e.reply
        case .success(let (_, s)): slot = s
        }
        guard !value.isEmpty else { return .error("Require <maxconn>.\n") }
        let digits = value.prefix { $0.isNumber || $0 == "-" || $0 == "+" }
        guard !digits.isEmpty, let v = Int(digits) else { return .error("maxconn string empty or preceded by garbage") }
        guard digits.count == value.count else { return .error("Trailing garbage in maxconn string") }
        applyServerMaxconn(slot, v)
        return .none
    }

    /// A server's maxconn changed at run time (`set maxconn server`, an agent's `maxconn:N`):
    /// the engine's limit and what the statistics show (slim).
    public func applyServerMaxconn(_ slot: Int, _ v: Int) {
        serverMaxconn.withLock { $0[slot] = v }
        engine?.setServerMaxconn(slot, max(0, v))
        kickWorkers()
    }

    func setRateLimit(_ r: CLIRequest) -> CLIReply {
        let what = r[2]
        guard ["connections", "sessions", "ssl-sessions", "http-compression"].contains(what), r[3] == "global" else {
            return .error("""
                'set rate-limit' only supports :
                   - 'connections global' to set the per-process maximum connection rate
                   - 'sessions global' to set the per-process maximum session rate
                   - 'ssl-sessions global' to set the per-process maximum SSL session rate
                   - 'http-compression global' to set the per-process maximum compression speed in kB/s

                """)
        }
        guard !r[4].isEmpty else { return .error("Expects an integer value.\n") }
        let v = CLINumber.atoi(r[4])
        guard v >= 0 else { return .error("Value out of range.\n") }
        settings.withLock { s in
            switch what {
            case "connections": s.connectionRateLimit = v
            case "sessions": s.sessionRateLimit = v
            case "ssl-sessions": s.sslRateLimit = v
            default: s.compressionRateLimit = v * 1024
            }
        }
        // ringproxy accepts a connection and starts its session at once: one limit for both.
        let s = settings.withLock { $0 }
        let limits = [s.connectionRateLimit, s.sessionRateLimit].filter { $0 > 0 }
        engine?.setSessionRate(limits.min() ?? 0)
        kickWorkers()
        return .none
    }

    func kickWorkers() {
        guard let engine, let mailbox else { return }
        for w in 0..<workers { mailbox.post(to: w) { engine.kick(worker: $0) } }
    }

    /// `set server B/S addr IP [port P]` with HAProxy's report line.
    func setServerAddress(_ slot: Int, _ addr: String, port: String?) -> CLIReply {
        guard AddressParser.isIP(addr) else { return .message("Invalid addr '\(addr)' by 'stats socket command'\n") }
        let current = serverAddress(slot)
        var msg = ""
        var host = current.host, p = current.port
        var changed = false
        if addr == current.host || (AddressParser.isIP(current.host) && Self.sameIP(addr, current.host)) {
            msg += "no need to change the addr"
        } else {
            msg = "IP changed from '\(current.host)' to '\(addr)'"
            host = addr
            changed = true
        }
        if let port {
            msg += ", "
            guard let np = Int(port.hasPrefix("+") ? String(port.dropFirst()) : port), (-65535...65535).contains(np) else {
                return .message(msg + "problem converting port '\(port)' to an int by 'stats socket command'\n")
            }
            if port.hasPrefix("+") || port.hasPrefix("-") {
                return .message(msg + "can't change <port> to port map because it is incompatible with current health check port configuration (use 'port' statement from the 'server' directive. by 'stats socket command'\n")
            }
            if np != current.port { msg += "port changed from '\(current.port)' to '\(np)'"; p = np; changed = true }
            else { msg += "no need to change the port" }
        }
        if changed {
            guard let (ss, len) = makeSockaddr(host: host, port: p) else { return .message("Invalid addr '\(addr)' by 'stats socket command'\n") }
            serverAddresses.withLock { $0[slot] = host.contains(":") ? "[\(host)]:\(p)" : "\(host):\(p)" }
            if let engine, let mailbox { _ = mailbox.gather { w in engine.setServerAddress(worker: w, server: slot, ss, len) } }
        }
        return .message(msg + " by 'stats socket command'\n")
    }

    static func sameIP(_ a: String, _ b: String) -> Bool {
        guard let x = makeSockaddr(host: a, port: 0), let y = makeSockaddr(host: b, port: 0) else { return false }
        return withUnsafeBytes(of: x.0) { xa in withUnsafeBytes(of: y.0) { ya in xa.elementsEqual(ya) } }
    }
}

enum CLINumber {
    /// C's atoi: leading blanks, a sign, digits; 0 when none.
    static func atoi(_ s: String) -> Int {
        var t = Substring(s).drop { $0 == " " || $0 == "\t" }
        var sign = 1
        if t.first == "-" { sign = -1; t = t.dropFirst() } else if t.first == "+" { t = t.dropFirst() }
        let d = t.prefix { $0.isASCII && $0.isNumber }
        return (Int(d.prefix(18)) ?? 0) * sign
    }
}
