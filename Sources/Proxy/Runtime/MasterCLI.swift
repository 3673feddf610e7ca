// The master CLI (`-S ADDR[,options]`), HAProxy 2.6's: `show proc`, `reload`, `help`, the
// level commands, and the `@` prefixes that send a command to a process: `@1` (the current
// worker), `@!PID` (any worker, leaving ones included), `@` or `@master` (the master); a
// prefix alone sends the next commands there (the prompt then shows the PID). `@@` does the
// same as `@` here (HAProxy 2.7's interactive form). A worker's answer is relayed as it is:
// the master sends the command over a new connection handed to the worker (MasterChannel).
import CUring
#if canImport(Glibc)
import Glibc
#endif

extension MasterProcess {
    /// The master-only commands (the rest of `help` is the level commands and the trailer).
    static let masterCommands: [CLICommand] = [
        CLICommand("@!<pid>", "@!<pid>", "send a command to the <pid> process") { _, _, _ in .none },
        CLICommand("@<relative pid>", "@<relative pid>", "send a command to the <relative pid> process") { _, _, _ in .none },
        CLICommand("@master", "@master", "send a command to the master process") { _, _, _ in .none },
        CLICommand("reload", "reload", "reload haproxy") { _, _, _ in .none },
        CLICommand("show proc", "show proc", "show processes status") { _, _, _ in .none },
    ]

    /// `-S` specs: `ADDR[,option,value...]` (HAProxy's bind options with commas).
    static func cliSockets(_ specs: [String]) throws -> [StatsSocketConfig] {
        try specs.map { spec in
            let parts = spec.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard case .success(let addresses) = ListenAddressParser.parse(parts[0]), addresses.count == 1 else {
                throw ProcessControl.Failure(description: "-S \(spec): invalid address '\(parts[0])'")
            }
            var s = StatsSocketConfig(address: addresses[0], location: SourceLocation(file: "-S", line: 0))
            s.level = "admin"
            var i = 1
            while i < parts.count {
                let key = parts[i], value = i + 1 < parts.count ? parts[i + 1] : ""
                switch key {
                case "level":
                    guard CLILevel(name: value) != nil else { throw ProcessControl.Failure(description: "-S \(spec): 'level' only supports 'user', 'operator', and 'admin'") }
                    s.level = value
                case "mode": s.options.mode = UInt32(value, radix: 8)
                case "uid": s.options.uid = UInt32(value)
                case "gid": s.options.gid = UInt32(value)
                case "user": s.options.user = value
                case "group": s.options.group = value
                default: throw ProcessControl.Failure(description: "-S \(spec): unknown option '\(key)'")
                }
                i += 2
            }
            return s
        }
    }

    func startCLI() throws {
        guard !options.masterCLI.isEmpty else { return }
        let sockets = try Self.cliSockets(options.masterCLI)
        let server = RuntimeAPIServer(sockets: sockets, timeoutMs: 10_000, maxconn: 10) { [unowned self] config in
            let context = MasterCLIContext()
            let session = CLISession(level: config?.cliLevel ?? .admin) { [unowned self] r, s in self.execute(r, s, context) }
            session.prompt = { [unowned self] in self.prompt(context) }
            session.bareSilentPrompt = true
            return session
        }
        try server.bind()
        cli = server
    }

    /// Where a session's commands go (`@1` alone changes it).
    final class MasterCLIContext: @unchecked Sendable {
        var target: Target = .master
        enum Target: Equatable { case master, relative(Int), pid(pid_t) }
    }

    func prompt(_ c: MasterCLIContext) -> String {
        switch c.target {
        case .master: return state.withLock { $0.lastReloadFailed } ? "master[ReloadFailed]> " : "master> "
        case .relative, .pid: return (resolve(c.target).map { "\($0.pid)" } ?? "?") + "> "
        }
    }

    /// The worker a target names now.
    func resolve(_ t: MasterCLIContext.Target) -> Child? {
        state.withLock { s in
            switch t {
            case .master: return nil
            case .relative(let n):
                let current = s.children.filter { $0.kind == .worker && !$0.leaving && $0.pid != s.pendingWorker }
                return n == 1 ? current.last : nil
            case .pid(let p): return s.children.first { $0.pid == p && $0.kind == .worker }
            }
        }
    }

    func execute(_ r: CLIRequest, _ s: CLISession, _ context: MasterCLIContext) -> CLIReply {
        var words = r.words
        var target = context.target
        if let first = words.first, first.hasPrefix("@") {
            var spec = Substring(first.dropFirst())
            if spec.hasPrefix("@") { spec = spec.dropFirst() }
            if spec.isEmpty || spec == "master" {
                target = .master
            } else if spec.hasPrefix("!"), let p = pid_t(spec.dropFirst()) {
                target = .pid(p)
            } else if let n = Int(spec) {
                target = .relative(n)
            } else {
                target = .pid(-1)
            }
            if target != .master && resolve(target) == nil {
                // HAProxy's master ends the session there.
                s.endRequested = true
                return .error("Can't find the target PID matching the prefix '\(first)'\n")
            }
            words.removeFirst()
            if words.isEmpty { context.target = target; return .none }
        }
        let request = CLIRequest(words: words, payload: r.payload)
        // The level commands act on this session whatever the target (the master forwards
        // commands at the session's level), as HAProxy's master CLI.
        let levelCommand = words.first == "operator" || words.first == "user"
        if target != .master && !levelCommand {
            guard let child = resolve(target) else { return .error("Can't find the target PID matching the prefix '@'\n") }
            s.rawOutput = true
            return .dump(forward(request, to: child, level: s.level))
        }
        switch words.first ?? "" {
        case "show" where words.count > 1 && words[1] == "proc":
            return .dump(showProc())
        case "reload":
            guard s.level >= .operator else { return .permissionDenied }
            requestReload()
            s.endRequested = true
            return .none
        case "help", "":
            return .message(CLIHelp.usage(for: request, commands: Self.helpCommands))
        case "operator":
            if request[1] == "-" { s.suppressLF = true }
            guard s.level >= .operator else { return .permissionDenied }
            s.level = .operator
            return .none
        case "user":
            if request[1] == "-" { s.suppressLF = true }
            s.level = .user
            return .none
        case "show" where words.count > 2 && words[1] == "cli" && words[2] == "level":
            return .message(s.level.name + "\n")
        case "show" where words.count > 2 && words[1] == "cli" && words[2] == "sockets":
            // HAProxy 2.6's master lists nothing here (its sockets belong to no worker).
            s.rawOutput = true
            return .dump("\n")
        case "show" where words.count > 1 && words[1] == "version":
            return .message(ProductIdentity.version + "\n")
        default:
            return .message(CLIHelp.usage(for: request, commands: Self.helpCommands))
        }
    }

    /// `help` on the master: its own commands and the level ones.
    static var helpCommands: [CLICommand] {
        masterCommands + CLICommands.all.filter { $0.master && $0.words != ["show", "info"] }
    }

    /// HAProxy's `show proc` table.
    func showProc(nowSeconds: Int64 = Int64(time(nil))) -> String {
        func pad(_ s: String) -> String { s.count >= 15 ? s : s + String(repeating: " ", count: 15 - s.count) }
        func uptime(_ since: Int64) -> String {
            let up = max(0, Int(nowSeconds - since))
            return "\(up / 86400)d" + String(format: "%02dh%02dm%02ds", (up % 86400) / 3600, (up % 3600) / 60, up % 60)
        }
        let version = ProductIdentity.version
        let s = state.withLock { $0 }
        var out = "#<PID>          " + [pad("<type>"), pad("<reloads>"), pad("<uptime>"), pad("<version>")].joined(separator: " ") + "\n"
        out += [pad("\(pid)"), pad("master"), pad("\(s.reloads) [failed: \(s.failedReloads)]"), pad(uptime(startWallSeconds)), pad(version)].joined(separator: " ") + "\n"
        func line(_ c: Child, _ name: String, _ v: String) -> String {
            [pad("\(c.pid)"), pad(name), pad("\(c.reloads)"), pad(uptime(c.startedWallSeconds)), pad(v)].joined(separator: " ") + "\n"
        }
        let workers = s.children.filter { $0.kind == .worker }
        out += "# workers\n"
        for c in workers where !c.leaving || c.pid == s.pendingWorker { out += line(c, "worker", version) }
        let old = workers.filter { $0.leaving && $0.pid != s.pendingWorker }
        if !old.isEmpty {
            out += "# old workers\n"
            for c in old { out += line(c, "worker", version) }
        }
        out += "# programs\n"
        for c in s.children { if case .program(let name) = c.kind { out += line(c, name, "-") } }
        return out
    }

    /// Sends one command line to a worker and returns its whole answer.
    func forward(_ r: CLIRequest, to child: Child, level: CLILevel, timeoutMs: Int = 5000) -> String {
        var pair: [Int32] = [0, 0]
        guard child.channel >= 0,
              socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else { return "" }
        defer { close(pair[0]) }
        guard MasterChannel.send(descriptor: pair[1], over: child.channel) else { close(pair[1]); return "" }
        close(pair[1])
        // Each word escaped again as the worker's parser reads it (`\\`, `\ `, `\;`): a pattern
        // with spaces (`add acl F Mon\ User\ Agent`) stays one word.
        var line = r.words.map {
            $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: " ", with: "\\ ")
                .replacingOccurrences(of: ";", with: "\\;")
        }.joined(separator: " ")
        // The worker's session starts at admin: lower it to this session's level first.
        if level < .admin { line = "\(level.name) -;" + line }
        if let payload = r.payload { line += "\n" + payload + "\n" }
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { send(pair[0], $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        shutdown(pair[0], Int32(SHUT_WR))
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        let deadline = MonotonicClock.nowMs() + Int64(timeoutMs)
        while MonotonicClock.nowMs() < deadline {
            var p = pollfd(fd: pair[0], events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, Int32(max(1, deadline - MonotonicClock.nowMs())))
            let n = buf.withUnsafeMutableBytes { recv(pair[0], $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n == 0 { break }
            if n < 0 { if errno == EAGAIN || errno == EINTR { continue }; break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
