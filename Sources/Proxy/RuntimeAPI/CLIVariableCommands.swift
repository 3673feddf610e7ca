// The runtime API's process variables (management.txt): `get var proc.NAME` prints a proc
// variable as HAProxy does, `set var proc.NAME [expr|fmt] VALUE` (experimental mode only, as in
// HAProxy 2.6) evaluates internal data into it, and `experimental-mode [on|off]` opens that mode
// for the session.

extension CLICommands {
    static let variables: [CLICommand] = [
        CLICommand("experimental-mode", nil) { r, s, _ in
            guard allowed(s, .admin) else { return .permissionDenied }
            switch r[1] {
            case "": return .message("experimental-mode is \(s.experimentalMode ? "ON" : "OFF")\n")
            case "on": s.experimentalMode = true
            case "off": s.experimentalMode = false
            default: return .none   // HAProxy 2.6 ignores any other word
            }
            return .none
        },
        CLICommand("get var", "get var <name>", "retrieve contents of a process-wide variable") { r, s, c in
            guard allowed(s, .operator) else { return .permissionDenied }
            let (ok, text) = c.handler.processVariables.get(r[2])
            return ok ? .message(text) : .error(text)
        },
        CLICommand("set var", nil) { r, s, c in
            guard allowed(s, .operator) else { return .permissionDenied }
            guard s.experimentalMode else { return .error("This command is restricted to experimental mode only.\n") }
            return c.handler.processVariables.set(r.words).map { .error($0) } ?? .none
        },
    ]
}
