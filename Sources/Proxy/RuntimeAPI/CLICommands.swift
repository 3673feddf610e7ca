// The runtime API's commands: HAProxy 2.6's syntax, help lines, permission levels, outputs
// and error texts. Each entry only parses its words and calls RuntimeControl; the work is in
// the topic files (CLIShowInfo, CLIShowStat, CLIServerCommands, CLITableCommands ...).

public enum CLICommands {
    /// Fails with HAProxy's "Permission denied" unless the session has `level`.
    static func allowed(_ s: CLISession, _ level: CLILevel) -> Bool { s.level >= level }

    public static let all: [CLICommand] = [
        // Session
        CLICommand("operator", "operator", "lower the level of the current CLI session to operator", master: true) { r, s, _ in
            if r[1] == "-" { s.suppressLF = true }
            guard allowed(s, .operator) else { return .permissionDenied }
            s.level = .operator
            return .none
        },
        CLICommand("user", "user", "lower the level of the current CLI session to user", master: true) { r, s, _ in
            if r[1] == "-" { s.suppressLF = true }
            s.level = .user
            return .none
        },
        CLICommand("show cli level", "show cli level", "display the level of the current CLI session", master: true) { _, s, _ in
            .message(s.level.name + "\n")
        },
        CLICommand("show cli sockets", "show cli sockets", "dump list of cli sockets", master: true) { _, s, c in
            c.showCLISockets(s)
        },
        CLICommand("show version", "show version", "show version of the current process", master: true) { _, _, _ in
            .message(ProductIdentity.version + "\n")
        },
        CLICommand("set severity-output", "set severity-output [none|number|string]", "set presence of severity level in feedback information") { r, s, _ in
            guard ["none", "number", "string"].contains(r[2]) else { return .error("one of 'none', 'number', 'string' is a required argument\n") }
            s.severityOutput = r[2]
            return .none
        },
        CLICommand("set timeout", "set timeout [cli] <delay>", "change a timeout setting") { r, s, _ in
            guard r[2] == "cli" else { return .error("'set timeout' only supports 'cli'.\n") }
            guard !r[3].isEmpty else { return .error("Expects an integer value.\n") }
            // HAProxy parses seconds by default and wants at least one.
            guard let ms = CLITime.milliseconds(r[3], defaultUnitMs: 1000), ms / 1000 >= 1 else { return .error("Invalid timeout value.\n") }
            s.idleTimeoutMs = ms / 1000 * 1000
            return .none
        },
        CLICommand("show env", "show env [var]", "dump environment variables known to the process") { r, s, c in
            guard allowed(s, .operator) else { return .permissionDenied }
            return c.showEnv(r[2])
        },

        // Statistics
        CLICommand("show info", "show info [desc|json|typed|float]*", "report information about the running process", master: true) { r, _, c in
            c.showInfo(r)
        },
        CLICommand("show stat", "show stat [desc|json|no-maint|typed|up]*", "report counters for each proxy and server") { r, s, c in
            c.showStat(r, s)
        },
        CLICommand("clear counters", "clear counters [all]", "clear max statistics counters (or all counters)") { r, s, c in
            let all = r[2] == "all"
            guard allowed(s, .operator), !all || allowed(s, .admin) else { return .permissionDenied }
            return c.clearCounters(all: all)
        },

        // Servers and backends
        CLICommand("show servers state", "show servers state [<backend>]", "dump volatile server information (all or for a single backend)") { r, _, c in
            c.showServersState(r[3])
        },
        CLICommand("show servers conn", "show servers conn [<backend>]", "dump server connections status (all or for a single backend)") { r, _, c in
            c.showServersConn(r[3])
        },
        CLICommand("show backend", "show backend", "list backends in the current running config") { _, _, c in
            c.showBackend()
        },
        CLICommand("get weight", "get weight <bk>/<srv>", "report a server's current weight") { r, _, c in
            c.getWeight(r[2])
        },
        CLICommand("set weight", "set weight <bk>/<srv>  (DEPRECATED)", "change a server's weight (use 'set server' instead)") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.setWeight(r[2], r[3])
        },
        CLICommand("set server", "set server <bk>/<srv> [opts]", "change a server's state, weight, address or ssl") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.setServer(r)
        },
        CLICommand("add server", "add server <bk>/<srv>", "create a new server") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            let reply = c.addServer(r)
            if case .error(let m) = reply, RuntimeControl.singleLineFeedErrors.contains(m) { s.rawOutput = true }
            return reply
        },
        CLICommand("del server", "del server <bk>/<srv>", "remove a dynamically added server") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            s.rawOutput = true                                  // HAProxy ends every answer with one line feed
            return c.deleteServer(r)
        },
        CLICommand("disable server", "disable server (DEPRECATED)", "disable a server for maintenance (use 'set server' instead)") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.adminServer(r[2], .maint)
        },
        CLICommand("enable server", "enable server  (DEPRECATED)", "enable a disabled server (use 'set server' instead)") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.adminServer(r[2], .ready)
        },
        CLICommand("disable health", "disable health", "disable health checks") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.setHealthChecks(r[2], enabled: false)
        },
        CLICommand("enable health", "enable health", "enable health checks") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.setHealthChecks(r[2], enabled: true)
        },
        CLICommand("disable agent", "disable agent", "disable agent checks") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.setAgentChecks(r[2], enabled: false)
        },
        CLICommand("enable agent", "enable agent", "enable agent checks") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.setAgentChecks(r[2], enabled: true)
        },

        // Sessions
        CLICommand("show sess", "show sess [id]", "report the list of current sessions or dump this exact session") { r, s, c in
            guard allowed(s, .operator) else { return .permissionDenied }
            return c.showSessions(r[2])
        },
        CLICommand("shutdown session", "shutdown session [id]", "kill a specific session") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.shutdownSession(r[2])
        },
        CLICommand("shutdown sessions server", "shutdown sessions server <bk>/<srv>", "kill sessions on a server") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.shutdownServerSessions(r[3])
        },

        // Frontends and limits
        CLICommand("disable frontend", "disable frontend <frontend>", "temporarily disable specific frontend") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.pauseFrontend(r[2], pause: true)
        },
        CLICommand("enable frontend", "enable frontend <frontend>", "re-enable specific frontend") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.pauseFrontend(r[2], pause: false)
        },
        CLICommand("set maxconn frontend", "set maxconn frontend <frontend> <value>", "change a frontend's maxconn setting") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.setMaxconnFrontend(r[3], r[4])
        },
        CLICommand("set maxconn global", "set maxconn global <value>", "change the per-process maxconn setting") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.setMaxconnGlobal(r[3])
        },
        CLICommand("set maxconn server", "set maxconn server <bk>/<srv>", "change a server's maxconn setting") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.setMaxconnServer(r[3], r[4])
        },
        CLICommand("set rate-limit", "set rate-limit <setting> <value>", "change a rate limiting value") { r, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return c.setRateLimit(r)
        },

        // Diagnostics
        CLICommand("show errors", "show errors [<px>] [request|response]", "report last request and/or response errors for each proxy") { r, s, c in
            guard allowed(s, .operator) else { return .permissionDenied }
            return c.showErrors(r)
        },
        CLICommand("show activity", "show activity", "show per-thread activity stats (for support/developers)") { _, _, c in
            c.showActivity()
        },
        CLICommand("show cache", "show cache", "show cache status") { _, s, c in
            guard allowed(s, .admin) else { return .permissionDenied }
            return .dump(CacheListing.text(c.handler.caches, now: WallClock.nowMs() / 1000))
        },
        CLICommand("show pools", "show pools", "report information about the memory pools usage") { _, _, _ in
            .dump("Dumping pools usage. Use SIGQUIT to flush them.\nTotal: 0 pools, 0 bytes allocated, 0 used (~0 by thread caches).\n")
        },

        // ACLs and maps
        CLICommand("show acl", "show acl [@<ver>] <acl>]", "report available acls or dump an acl's contents") { r, _, c in c.showAcl(r) },
        CLICommand("add acl", "add acl [@<ver>] <acl> <pattern>", "add an acl entry") { r, _, c in
            return c.addAcl(r)
        },
        CLICommand("del acl", "del acl <acl> [<key>|#<ref>]", "delete acl entries matching <key>") { r, _, c in
            return c.delAcl(r)
        },
        CLICommand("clear acl", "clear acl [@<ver>] <acl>", "clear the contents of this acl") { r, _, c in
            return c.clearAcl(r)
        },
        CLICommand("show map", "show map [@ver] [map]", "report available maps or dump a map's contents") { r, _, c in c.mapCommand(r) },
        CLICommand("add map", "add map [@<ver>] <map> <key> <val>", "add a map entry (payload supported instead of key/val)") { r, _, c in
            return c.mapCommand(r)
        },
        CLICommand("set map", "set map <map> [<key>|#<ref>] <value>", "modify a map entry") { r, _, c in
            return c.mapCommand(r)
        },
        CLICommand("del map", "del map <map> [<key>|#<ref>]", "delete map entries matching <key>") { r, _, c in
            return c.mapCommand(r)
        },
        CLICommand("clear map", "clear map [@<ver>] <map>", "clear the contents of this map") { r, _, c in
            return c.mapCommand(r)
        },

        // Stick tables
        CLICommand("show table", "show table <table> [<filter>]*", "report table usage stats or dump this table's contents (filter: data/key)") { r, s, c in
            c.tableCommand(r, s, action: .show)
        },
        CLICommand("clear table", "clear table <table> [<filter>]*", "remove an entry from a table (filter: data/key)") { r, s, c in
            c.tableCommand(r, s, action: .clear)
        },
        CLICommand("set table", "set table <table> key <k> [data.* <v>]*", "update or create a table entry's data") { r, s, c in
            c.tableCommand(r, s, action: .set)
        },
    ] + handover + variables

    /// Runs one request for a session (what CLISession's executor calls).
    public static func execute(_ r: CLIRequest, _ s: CLISession, _ c: RuntimeControl, commands: [CLICommand] = CLICommands.all) -> CLIReply {
        if r[0] == "help" { return .message(CLIHelp.usage(for: r, commands: commands)) }
        guard let cmd = commands.first(where: { $0.matches(r) }) else {
            return .message(CLIHelp.usage(for: r, commands: commands))
        }
        return cmd.handler(r, s, c)
    }
}

/// HAProxy's parse_time_err for CLI arguments: a number with an optional unit.
enum CLITime {
    static func milliseconds(_ text: String, defaultUnitMs: Int) -> Int? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let n = Int(digits) else { return nil }
        switch text.dropFirst(digits.count) {
        case "": return n * defaultUnitMs
        case "us": return max(n / 1000, n > 0 ? 1 : 0)
        case "ms": return n
        case "s": return n * 1000
        case "m": return n * 60_000
        case "h": return n * 3_600_000
        case "d": return n * 86_400_000
        default: return nil
        }
    }
}
