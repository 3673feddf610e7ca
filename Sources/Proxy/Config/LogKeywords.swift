// `log` and `log-tag`: syslog targets, facilities and levels.

enum LogKeywords {
    static let facilities = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
                             "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
                             "local5", "local6", "local7"]
    static let levels = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

    static let all: [ConfigKeyword] = [
        ConfigKeyword("log", [.global, .defaults, .frontend, .backend, .listen], "log global | log ADDR[:PORT] FACILITY [LEVEL [MINLEVEL]]",
                      "Syslog target (UDP, default port 514, or a UNIX socket path); `log global` uses the global ones.") { state, line throws(ConfigError) in
            let logger = try parse(line, inGlobal: state.section == .global)
            if state.section == .global { state.config.global.loggers.append(logger) } else { state.proxy.loggers.append(logger) }
        },
        // The model keeps one tag, the global one (HAProxy 2.x also allows it per proxy).
        ConfigKeyword("log-tag", .global, "log-tag TAG", "Program name in syslog lines (default `haproxy`).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "log-tag TAG")
            state.config.global.logTag = line.argument(0)
        },
    ]

    static func parse(_ line: KeywordLine, inGlobal: Bool) throws(ConfigError) -> LoggerConfig {
        let syntax = "log global | log ADDR[:PORT] FACILITY [LEVEL [MINLEVEL]]"
        var logger = LoggerConfig()
        if line.argument(0) == "global" {
            if inGlobal { throw line.error("'log global' is only meaningful in a proxy section") }
            try line.expectArguments(1...1, "log global")
            logger.isGlobal = true
            return logger
        }
        try line.expectArguments(2...4, syntax)
        let target = line.argument(0)!
        if target.hasPrefix("/") {
            logger.socketPath = target
            logger.host = ""
            logger.port = 0
        } else {
            let (host, port) = AddressParser.split(target)
            guard AddressParser.isIP(host) || AddressParser.isHostname(host) else {
                throw line.error("invalid address '\(host)'; expected an IPv4/IPv6 address, a host name or a UNIX socket path")
            }
            logger.host = host
            if let port {
                switch AddressParser.port(port) {
                case .success(let p): logger.port = p
                case .failure(let e): throw line.error(e.message)
                }
            }
        }
        logger.facility = facilities.firstIndex(of: try line.oneOf(1, "facility", facilities))!
        if line.argumentCount > 2 { logger.maxLevel = levels.firstIndex(of: try line.oneOf(2, "level", levels))! }
        if line.argumentCount > 3 { logger.minLevel = levels.firstIndex(of: try line.oneOf(3, "minimum level", levels))! }
        return logger
    }
}
