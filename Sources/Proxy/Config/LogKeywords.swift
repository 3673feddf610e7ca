// `log`, `log-tag`, `log-send-hostname`, `log-format-sd` and the logging `option`s, as
// HAProxy 2.6 reads them.

#if canImport(Glibc)
import Glibc
#endif

enum LogKeywords {
    static let facilities = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
                             "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
                             "local5", "local6", "local7"]
    static let levels = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
    static let syntax = "log global | log TARGET [len N] [format FMT] [sample RANGES:SIZE] FACILITY [LEVEL [MINLEVEL]]"

    static let all: [ConfigKeyword] = [
        ConfigKeyword("log", [.global, .defaults, .frontend, .backend, .listen], syntax,
                      "Log target: `ADDR[:PORT]` (UDP, default port 514), `udp@`/`udp4@`/`udp6@`, a UNIX datagram path or `unix@PATH`, `stdout`, `stderr`, `fd@N`, `ring@NAME`; `log global` uses the global ones, `no log` drops the inherited ones.",
                      negatable: true) { state, line throws(ConfigError) in
            if line.negated {
                guard line.argumentCount == 0 else { throw line.error("'no log' does not expect arguments") }
                if state.section == .global { state.config.global.loggers = [] } else { state.proxy.loggers = [] }
                return
            }
            let logger = try parse(line, inGlobal: state.section == .global, environment: state.environment)
            if state.section == .global { state.config.global.loggers.append(logger) } else { state.proxy.loggers.append(logger) }
        },
        ConfigKeyword("log-tag", [.global, .defaults, .frontend, .backend, .listen], "log-tag TAG",
                      "Program name in syslog headers (default `ringproxy`); per proxy, overrides the global one.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "log-tag TAG")
            guard let tag = line.argument(0), !tag.isEmpty else { throw line.error("empty tag; expected 'log-tag TAG'") }
            if state.section == .global { state.config.global.logTag = tag } else { state.proxy.logging.tag = tag }
        },
        ConfigKeyword("log-send-hostname", .global, "log-send-hostname [NAME]",
                      "Put a hostname in syslog headers (default: the machine's); the default format becomes rfc3164.") { state, line throws(ConfigError) in
            try line.expectArguments(0...1, "log-send-hostname [NAME]")
            state.config.global.logging.sendHostname = line.argument(0) ?? machineHostname()
        },
        ConfigKeyword("log-format-sd", .frontendSide, "log-format-sd STRING",
                      "Structured data of rfc5424 lines; a plain string (`%` variables are not supported yet).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "log-format-sd STRING")
            let sd = line.argument(0)!
            if sd.contains("%") {
                throw line.error("'%' variables are not supported in log-format-sd yet (they need the log-format engine); use a plain string such as '[id@32473 key=\"value\"]'")
            }
            state.proxy.logging.structuredData = sd.isEmpty ? nil : sd
        },
        option("option tcplog", .frontendSide, "The tcplog line for each connection (instead of httplog).") { state, line throws(ConfigError) in
            if line.argumentCount == 1, line.argument(0) == "clf" {
                throw line.error("'option tcplog clf' is not supported; expected 'option tcplog'")
            }
            try line.expectArguments(0...0, "option tcplog")
            state.proxy.logging.tcpLog = !line.negated
            if !line.negated { state.proxy.httpLog = false; state.proxy.rules.logFormatText = nil }
        },
        option("option dontlog-normal", .frontendSide, "Log only the transactions that ended in an error.") { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "option dontlog-normal")
            state.proxy.logging.dontLogNormal = !line.negated
        },
        option("option log-separate-errors", .frontendSide, "Log the transactions that ended in an error at level err instead of info.") { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "option log-separate-errors")
            state.proxy.logging.separateErrors = !line.negated
        },
        option("option log-health-checks", .backendSide, "Log every change of a health check's result, not only UP/DOWN.") { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "option log-health-checks")
            state.proxy.logging.healthChecks = !line.negated
        },
        option("option logasap", .frontendSide, "Log a transaction as soon as the server's response headers arrive, before the body is transferred. Read, not applied yet: ringproxy logs when the transaction ends (final sizes and timers).") { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "option logasap")
            state.proxy.logging.asSoonAsPossible = !line.negated
            if !line.negated {
                state.warn(line.location, "'option logasap' is read but not applied yet: ringproxy logs each transaction when it ends, with its final sizes and timers")
            }
        },
    ]

    static func option(_ name: String, _ sections: SectionSet, _ summary: String, _ handler: @escaping KeywordHandler) -> ConfigKeyword {
        ConfigKeyword(name, sections, name, summary, negatable: true, handler)
    }

    static func machineHostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "localhost" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func parse(_ line: KeywordLine, inGlobal: Bool, environment: ConfigEnvironment) throws(ConfigError) -> LoggerConfig {
        var logger = LoggerConfig()
        logger.location = line.location
        if line.argument(0) == "global" && line.argumentCount == 1 {
            if inGlobal { throw line.error("'log global' is only meaningful in a proxy section") }
            logger.isGlobal = true
            return logger
        }
        guard line.argumentCount >= 2 else {
            throw line.error(line.argumentCount == 0 ? "missing target and facility; expected '\(syntax)'" : "missing facility; expected '\(syntax)'")
        }
        logger.address = try LogAddressParser.parse(environment.expandInAddress(line.argument(0)!), line)
        var i = 1
        if line.argument(i) == "len" {
            guard let text = line.argument(i + 1), let n = Int(text), (80...65535).contains(n) else {
                throw line.error("invalid log length '\(line.argument(i + 1) ?? "")', must be between 80 and 65535")
            }
            logger.maxLength = n
            i += 2
        }
        if line.argument(i) == "format" {
            guard let text = line.argument(i + 1), let f = LogFormat(rawValue: text), f != .unspecified else {
                throw line.error(EditDistance.unknownMessage("log format", line.argument(i + 1) ?? "", LogFormat.names))
            }
            logger.format = f
            i += 2
        }
        if line.argument(i) == "sample" {
            guard let text = line.argument(i + 1) else { throw line.error("missing value after 'sample'; expected RANGES:SIZE such as 1,3-5:6") }
            switch LogSampleParser.parse(text) {
            case .success(let s): logger.sample = s
            case .failure(let e): throw line.error(e.message)
            }
            i += 2
        }
        for word in ["len", "format", "sample"] where line.arguments.dropFirst(i).contains(word) {
            throw line.error("'\(word)' out of order; expected '\(syntax)' (len, then format, then sample, then the facility)")
        }
        guard let facility = line.argument(i) else { throw line.error("missing facility; expected '\(syntax)'") }
        guard let f = facilities.firstIndex(of: facility) else {
            throw line.error(EditDistance.unknownMessage("log facility", facility, facilities))
        }
        logger.facility = f
        i += 1
        if let level = line.argument(i) {
            guard let l = levels.firstIndex(of: level) else { throw line.error(EditDistance.unknownMessage("log level", level, levels)) }
            logger.maxLevel = l
            i += 1
        }
        if let level = line.argument(i) {
            guard let l = levels.firstIndex(of: level) else { throw line.error(EditDistance.unknownMessage("minimum log level", level, levels)) }
            logger.minLevel = l
            i += 1
        }
        if let extra = line.argument(i) { throw line.error("unexpected argument '\(extra)'; expected '\(syntax)'") }
        return logger
    }
}

/// `sample RANGES:SIZE` as HAProxy reads it: comma-separated 1-based indexes or `LOW-HIGH`
/// ranges, not overlapping, all within SIZE.
enum LogSampleParser {
    static func parse(_ text: String) -> Result<LogSample, AddressError> {
        guard let colon = text.lastIndex(of: ":") else { return .failure(AddressError("missing sample size in '\(text)'; expected RANGES:SIZE such as 1,3-5:6")) }
        let rangesText = text[..<colon], sizeText = String(text[text.index(after: colon)...])
        var ranges: [ClosedRange<Int>] = []
        for item in rangesText.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { ConfigUnits.integer(String($0)) }
            guard let low = bounds[0], low > 0, bounds.count == 1 || (bounds[1] ?? 0) > low else {
                return .failure(AddressError("wrong sample range '\(item)'; expected N or LOW-HIGH with 0 < LOW < HIGH"))
            }
            let r = low...(bounds.count == 2 ? bounds[1]! : low)
            if ranges.contains(where: { $0.overlaps(r) }) { return .failure(AddressError("sample ranges are overlapping in '\(rangesText)'")) }
            ranges.append(r)
        }
        guard let size = ConfigUnits.integer(sizeText), size > 0 else {
            return .failure(AddressError("wrong sample size '\(sizeText)' for sample range '\(rangesText)'"))
        }
        let highest = ranges.map(\.upperBound).max() ?? 0
        guard size >= highest else {
            return .failure(AddressError("sample size \(size) should be greater or equal to \(highest) the maximum of the high ranges limits"))
        }
        return .success(LogSample(ranges: ranges.sorted { $0.lowerBound < $1.lowerBound }, size: size))
    }
}
