// Keywords of the `global` section.

enum GlobalKeywords {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("maxconn", [.global, .defaults, .frontend, .listen], "maxconn N",
                      "Global: process-wide connection cap. Proxy: per-frontend cap (default: the global one).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "maxconn N")
            let n = try line.integer(0, "maxconn", in: 0...10_000_000)
            if state.section == .global { state.config.global.maxconn = n } else { state.proxy.maxconn = n }
        },
        ConfigKeyword("user", [.global, .userlist, .program], "user NAME (global, program); user NAME [password HASH|insecure-password PASS] [groups G,...] (userlist)",
                      "global: switch to this user after binding. userlist: a user of the list. program: run the command as this user.") { state, line throws(ConfigError) in
            if state.section == .userlist { try UserlistKeywords.user(&state, line); return }
            if state.section == .program { try ProgramKeywords.user(&state, line); return }
            try line.expectArguments(1...1, "user NAME")
            state.config.global.user = line.argument(0)
        },
        ConfigKeyword("group", [.global, .userlist, .program], "group NAME (global, program); group NAME [users U,...] (userlist)",
                      "global: switch to this group after binding. userlist: a group of the list. program: run the command in this group.") { state, line throws(ConfigError) in
            if state.section == .userlist { try UserlistKeywords.group(&state, line); return }
            if state.section == .program { try ProgramKeywords.group(&state, line); return }
            try line.expectArguments(1...1, "group NAME")
            state.config.global.group = line.argument(0)
        },
        ConfigKeyword("daemon", .global, "daemon", "Run in the background (`-db` overrides).") { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "daemon")
            state.config.global.daemon = true
        },
        ConfigKeyword("nbproc", .global, "nbproc N", "Legacy process count; ringproxy uses threads instead.",
                      modern: "nbthread N") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "nbproc N")
            let n = try line.integer(0, "nbproc", in: 1...64)
            state.config.global.nbproc = n
            state.note(line.location, "'nbproc \(n)' is legacy (fatal since HAProxy 2.5); HAProxy 2.x spells it 'nbthread \(n)' (ringproxy runs one process with threads)")
        },
        ConfigKeyword("nbthread", .global, "nbthread N", "Worker threads (default: one per CPU the process may use, as HAProxy).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "nbthread N")
            state.config.global.nbthread = try line.integer(0, "nbthread", in: 1...4096)
        },
        ConfigKeyword("pidfile", .global, "pidfile PATH", "Write the pid here (`-p` overrides).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "pidfile PATH")
            state.config.global.pidfile = line.argument(0)
        },
    ]
}
