// The `ring` section: `ring NAME` then description, format, maxlen, size, timeout connect|server
// and server lines (TCP syslog receivers the ring forwards to), as HAProxy 2.6 reads them.

enum RingKeywords {
    /// `ring NAME` opens a section.
    static func open(_ words: [String], at location: SourceLocation, state: inout ParseState) {
        guard words.count >= 2, !words[1].isEmpty else {
            state.errors.append(ConfigError(location, "ring", "missing ring name; expected 'ring NAME'"))
            state.config.rings.append(RingConfig(name: "", location: location))
            return
        }
        let name = words[1]
        if words.count > 2 { state.errors.append(ConfigError(location, "ring", "unexpected argument '\(words[2])'; expected 'ring NAME'")) }
        if let bad = name.unicodeScalars.first(where: { !ConfigParser.isProxyNameCharacter($0) }) {
            state.errors.append(ConfigError(location, "ring", "invalid ring name '\(name)' (character '\(bad)' is not permitted)"))
        }
        if let other = state.config.rings.first(where: { $0.name == name }) {
            state.errors.append(ConfigError(location, "ring", "ring '\(name)' already exists (defined at \(other.location))"))
        }
        state.config.rings.append(RingConfig(name: name, location: location))
    }

    /// Every `log ring@NAME` must name a ring section (they may come after the log line).
    static func checkReferences(_ state: inout ParseState) {
        let names = Set(state.config.rings.map(\.name))
        let loggers = state.config.global.loggers + state.config.proxies.flatMap(\.loggers) + state.config.logForwards.flatMap(\.loggers)
        for l in loggers {
            guard case .ring(let name) = l.address, !names.contains(name) else { continue }
            var message = "no ring named '\(name)'"
            message += names.isEmpty ? "; declare it with a 'ring \(name)' section" : "; expected one of \(names.sorted().joined(separator: ", "))"
            state.errors.append(ConfigError(l.location ?? SourceLocation(file: "", line: 0), "log", message))
        }
        for r in state.config.rings where !r.servers.isEmpty && r.format == .raw {
            // HAProxy forwards whatever the ring holds; a raw ring sends lines without a syslog header.
            state.warn(r.location, "ring '\(r.name)' forwards to servers but has 'format raw' (the default): receivers get lines without a syslog header; add 'format rfc5424' or 'format rfc3164'")
        }
    }

    static func ring(_ state: inout ParseState) -> Int { state.config.rings.count - 1 }

    static let all: [ConfigKeyword] = [
        ConfigKeyword("description", .ring, "description TEXT", "Ring: a description (shown by `show events`).") { state, line throws(ConfigError) in
            guard line.argumentCount >= 1 else { throw line.error("missing ring description text") }
            state.config.rings[ring(&state)].description = line.arguments.joined(separator: " ")
        },
        ConfigKeyword("format", .ring, "format rfc3164|rfc5424|short|raw|iso|timed|priority|local",
                      "Ring: the header stored before each line (default raw).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "format FMT")
            guard let f = LogFormat(rawValue: line.argument(0)!), f != .unspecified else {
                throw line.error(EditDistance.unknownMessage("format", line.argument(0)!, LogFormat.names))
            }
            state.config.rings[ring(&state)].format = f
        },
        ConfigKeyword("maxlen", .ring, "maxlen N", "Ring: longest stored line, header included (default 16384).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "maxlen N")
            state.config.rings[ring(&state)].maxLength = try line.integer(0, "maxlen", in: 1...65535)
        },
        ConfigKeyword("size", .ring, "size BYTES", "Ring: buffer size (default 16384).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "size BYTES")
            state.config.rings[ring(&state)].size = try line.integer(0, "size", in: 1...(1 << 30))
        },
        ConfigKeyword("timeout connect", .ring, "timeout connect TIME", "Ring: connect timeout towards its servers.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "timeout connect TIME")
            state.config.rings[ring(&state)].connectTimeout = try line.time(0, "timeout")
        },
        ConfigKeyword("timeout server", .ring, "timeout server TIME", "Ring: send timeout towards its servers.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "timeout server TIME")
            state.config.rings[ring(&state)].serverTimeout = try line.time(0, "timeout")
        },
        ConfigKeyword("server", .ring, "server NAME ADDR:PORT [log-proto octet-count|legacy]",
                      "Ring: a TCP syslog receiver the ring's lines are forwarded to.") { state, line throws(ConfigError) in
            guard line.argumentCount >= 2 else { throw line.error("missing name or address; expected 'server NAME ADDR:PORT [log-proto octet-count|legacy]'") }
            let (host, portText) = AddressParser.split(line.argument(1)!.replacingTCPPrefix())
            guard AddressParser.isIP(host) || AddressParser.isHostname(host) else {
                throw line.error("invalid address '\(line.argument(1)!)'; expected ADDR:PORT")
            }
            guard let portText, case .success(let port) = AddressParser.port(portText) else {
                throw line.error("missing or invalid port in '\(line.argument(1)!)'; expected ADDR:PORT")
            }
            var server = RingServerConfig(name: line.argument(0)!, host: host, port: port, location: line.location)
            var i = 2
            while let option = line.argument(i) {
                switch option {
                case "log-proto":
                    guard let v = line.argument(i + 1), let f = RingServerConfig.Framing(rawValue: v) else {
                        throw line.error("expected 'octet-count' or 'legacy' after 'log-proto'")
                    }
                    server.framing = f
                    i += 2
                default:
                    throw line.error("server option '\(option)' is not supported on a ring server; expected 'log-proto octet-count|legacy'")
                }
            }
            state.config.rings[ring(&state)].servers.append(server)
        },
    ]
}

private extension String {
    func replacingTCPPrefix() -> String {
        for p in ["tcp@", "tcp4@", "tcp6@", "ipv4@", "ipv6@"] where hasPrefix(p) { return String(dropFirst(p.count)) }
        return self
    }
}
