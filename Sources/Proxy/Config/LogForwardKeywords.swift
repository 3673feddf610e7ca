// The `log-forward` section as HAProxy 2.6 reads it (log.c cfg_parse_log_forward): `bind`,
// `dgram-bind`, `log`, `maxconn`, `backlog`, `timeout client`.

#if canImport(Glibc)
import Glibc
#endif

enum LogForwardKeywords {
    /// `log-forward NAME` opens a section.
    static func open(_ words: [String], at location: SourceLocation, state: inout ParseState) {
        guard words.count >= 2, !words[1].isEmpty else {
            ConfigParser.abort(&state, ConfigError(location, "log-forward", "missing name; expected 'log-forward NAME'"))
            return
        }
        let name = words[1]
        if words.count > 2 { state.errors.append(ConfigError(location, "log-forward", "unexpected argument '\(words[2])'; expected 'log-forward NAME'")) }
        if let bad = name.unicodeScalars.first(where: { !ConfigParser.isProxyNameCharacter($0) }) {
            state.errors.append(ConfigError(location, "log-forward", "character '\(bad)' is not permitted in log-forward name '\(name)'"))
        }
        if let other = state.config.logForwards.first(where: { $0.name == name }) {
            state.errors.append(ConfigError(location, "log-forward", "log-forward section '\(name)' has the same name as another log-forward section declared at \(other.location)"))
        }
        if let p = state.config.proxies.first(where: { $0.name == name }) {
            state.errors.append(ConfigError(location, "log-forward", "log-forward section '\(name)' has the same name as \(p.kind.rawValue) '\(name)' declared at \(p.location)"))
        }
        state.config.logForwards.append(LogForwardConfig(name: name, location: location))
    }

    /// A proxy declared after a log-forward section of the same name clashes too.
    static func endOfConfiguration(_ state: inout ParseState) {
        for f in state.config.logForwards {
            if let p = state.config.proxies.first(where: { $0.name == f.name && $0.location.line > 0 && isAfter($0.location, f.location) }) {
                state.errors.append(ConfigError(p.location, p.kind.rawValue, "\(p.kind.rawValue) '\(p.name)' has the same name as log-forward section '\(f.name)' declared at \(f.location)"))
            }
            if f.streamBinds.isEmpty && f.datagramBinds.isEmpty {
                state.warn(f.location, "log-forward section '\(f.name)' has no 'bind' nor 'dgram-bind' line: it receives nothing")
            }
        }
    }

    static func isAfter(_ a: SourceLocation, _ b: SourceLocation) -> Bool { a.file == b.file && a.line > b.line }

    static func current(_ state: inout ParseState) -> Int { state.config.logForwards.count - 1 }

    static let all: [ConfigKeyword] = [
        ConfigKeyword("bind", .logForward, "bind [ADDR]:PORT",
                      "Log-forward: a TCP syslog listener (RFC 6587 octet counting or LF-terminated messages).") { state, line throws(ConfigError) in
            let b = try bindAddress(line, datagram: false, environment: state.environment)
            state.config.logForwards[current(&state)].streamBinds.append(b)
        },
        ConfigKeyword("dgram-bind", .logForward, "dgram-bind [ADDR]:PORT",
                      "Log-forward: a UDP syslog listener (one message per datagram).") { state, line throws(ConfigError) in
            let b = try bindAddress(line, datagram: true, environment: state.environment)
            state.config.logForwards[current(&state)].datagramBinds.append(b)
        },
        ConfigKeyword("log", .logForward, LogKeywords.syntax,
                      "Log-forward: where received messages are sent again, in the target's format (same targets as a proxy's `log`).",
                      negatable: true) { state, line throws(ConfigError) in
            let i = current(&state)
            if line.negated {
                guard line.argumentCount == 0 else { throw line.error("'no log' does not expect arguments") }
                state.config.logForwards[i].loggers = []
                return
            }
            let logger = try LogKeywords.parse(line, inGlobal: false, environment: state.environment)
            state.config.logForwards[i].loggers.append(logger)
        },
        ConfigKeyword("maxconn", .logForward, "maxconn N",
                      "Log-forward: TCP clients served at once (default 10).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "maxconn N")
            state.config.logForwards[current(&state)].maxconn = try line.integer(0, "maxconn", in: 1...1_000_000)
        },
        ConfigKeyword("backlog", .logForward, "backlog N",
                      "Log-forward: the TCP listeners' accept queue (default maxconn).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "backlog N")
            state.config.logForwards[current(&state)].backlog = try line.integer(0, "backlog", in: 1...1_000_000)
        },
        ConfigKeyword("timeout client", .logForward, "timeout client TIME",
                      "Log-forward: an idle TCP client is closed after TIME (default never).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "timeout client TIME")
            state.config.logForwards[current(&state)].clientTimeout = try line.time(0, "timeout client")
        },
    ]

    /// `[ADDR]:PORT` with an optional family prefix: `ipv4@`, `ipv6@`, and for `dgram-bind`
    /// also `udp@`, `udp4@`, `udp6@`; for `bind` also `tcp@`, `tcp4@`, `tcp6@`.
    static func bindAddress(_ line: KeywordLine, datagram: Bool, environment: ConfigEnvironment) throws(ConfigError) -> LogForwardBind {
        let keyword = datagram ? "dgram-bind" : "bind"
        guard let raw = line.argument(0) else { throw line.error("missing address; expected '\(keyword) [ADDR]:PORT'") }
        if let extra = line.argument(1) {
            throw line.error("bind option '\(extra)' is not supported on a log-forward '\(keyword)' line; expected '\(keyword) [ADDR]:PORT'")
        }
        let text = environment.expandInAddress(raw)
        let prefixes: [(String, Int32?)] = datagram
            ? [("udp@", nil), ("udp4@", AF_INET), ("udp6@", AF_INET6), ("ipv4@", AF_INET), ("ipv6@", AF_INET6)]
            : [("tcp@", nil), ("tcp4@", AF_INET), ("tcp6@", AF_INET6), ("ipv4@", AF_INET), ("ipv6@", AF_INET6)]
        var rest = text, family: Int32? = nil
        if let match = prefixes.first(where: { text.hasPrefix($0.0) }) { rest = String(text.dropFirst(match.0.count)); family = match.1 }
        else if text.contains("@") || text.hasPrefix("/") {
            throw line.error("address '\(text)' is not supported on a log-forward '\(keyword)' line; expected [ADDR]:PORT\(datagram ? " (UDP)" : " (TCP)")")
        }
        let (hostText, portText) = AddressParser.split(rest)
        var host = hostText
        if host == "localhost" { host = family == AF_INET6 ? "::1" : "127.0.0.1" }
        guard host.isEmpty || host == "*" || AddressParser.isIP(host) else {
            throw line.error("invalid address '\(hostText)' in '\(text)'; expected an IPv4 or IPv6 address, '*' or nothing before ':PORT'")
        }
        guard let portText, !portText.isEmpty else { throw line.error("missing port in '\(text)'; expected [ADDR]:PORT") }
        guard case .success(let port) = AddressParser.port(portText), port > 0 else {
            throw line.error("invalid port '\(portText)' in '\(text)'; expected a port from 1 to 65535 (no range)")
        }
        return LogForwardBind(host: host, port: port, family: family, location: line.location)
    }
}
