// Keywords of the runtime API (`stats timeout`, `stats maxconn`; `stats socket` is in
// BindKeywords) and of reloads (`master-worker`, `hard-stop-after`, `grace`, the server-state file).

enum RuntimeAPIKeywords {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("stats timeout", .global, "stats timeout TIME",
                      "Idle timeout of a runtime API connection (default 10s).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "stats timeout TIME")
            let t = try line.time(0, "timeout")
            guard t > 0 else { throw line.error("timeout must be greater than 0") }
            state.config.global.runtimeAPI.timeoutMs = t
        },
        ConfigKeyword("stats maxconn", .global, "stats maxconn N",
                      "Concurrent connections per runtime API socket (default 10).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "stats maxconn N")
            state.config.global.runtimeAPI.maxconn = try line.integer(0, "maxconn", in: 1...1_000_000)
        },
        ConfigKeyword("master-worker", .global, "master-worker [no-exit-on-failure]",
                      "A master process starts the worker and reloads it on SIGUSR2 (same as `-W`).") { state, line throws(ConfigError) in
            try line.expectArguments(0...1, "master-worker [no-exit-on-failure]")
            if line.argument(0) != nil { _ = try line.oneOf(0, "option", ["no-exit-on-failure"]); state.config.global.reload.noExitOnFailure = true }
            state.config.global.reload.masterWorker = true
        },
        ConfigKeyword("hard-stop-after", .global, "hard-stop-after TIME",
                      "A soft-stopping (old) process closes what is left and exits after TIME.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "hard-stop-after TIME")
            state.config.global.reload.hardStopAfterMs = try line.time(0, "hard-stop-after")
        },
        ConfigKeyword("grace", .global, "grace TIME",
                      "Delay between SIGUSR1 and the soft stop (listeners stay open meanwhile).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "grace TIME")
            state.config.global.reload.graceMs = try line.time(0, "grace")
        },
        ConfigKeyword("server-state-file", .global, "server-state-file PATH",
                      "The file `load-server-state-from-file global` reads at start (`show servers state` output).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "server-state-file PATH")
            state.config.global.reload.serverStateFile = line.argument(0)
        },
        ConfigKeyword("server-state-base", .global, "server-state-base DIR",
                      "Directory of relative server-state file names.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "server-state-base DIR")
            state.config.global.reload.serverStateBase = line.argument(0)
        },
        ConfigKeyword("load-server-state-from-file", .backendSide, "load-server-state-from-file global|local|none",
                      "At start, restore servers' state, weight and address from a `show servers state` dump.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "load-server-state-from-file global|local|none")
            let v = try line.oneOf(0, "source", ["global", "local", "none"])
            state.proxy.serverState.load = ProxyServerStateConfig.Load(rawValue: v)!
        },
        ConfigKeyword("server-state-file-name", .backendSide, "server-state-file-name [NAME|use-backend-name]",
                      "The file of `load-server-state-from-file local` (default: the backend's name).") { state, line throws(ConfigError) in
            try line.expectArguments(0...1, "server-state-file-name [NAME|use-backend-name]")
            let v = line.argument(0)
            state.proxy.serverState.fileName = (v == nil || v == "use-backend-name") ? nil : v
        },
    ]
}
