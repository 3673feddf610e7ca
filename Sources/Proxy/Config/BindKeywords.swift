// `bind ADDR[,ADDR…] [options]` in frontends and listens, and `stats socket ADDR [options]` in
// global (HAProxy's runtime API socket, opened by the runtime API).

enum BindKeywords {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("bind", [.frontend, .listen],
                      "bind [ipv4@|ipv6@][ADDR]:PORT[-PORT] | fd@N | unix@PATH | /PATH | abns@NAME [,…] [name N] [id N] [interface IF] [backlog N] [maxconn N] [defer-accept] [tfo] [transparent] [v4v6|v6only] [mss N] [tcp-ut T] [mode M] [user U] [group G] [uid N] [gid N]",
                      "Listening addresses (empty or `*` address = all interfaces; `fd@N`: a socket inherited from the parent process) and their socket options.") { state, line throws(ConfigError) in
            guard let list = line.argument(0), !list.isEmpty else {
                throw line.error("missing address; expected 'bind [ADDR]:PORT [options]' (or fd@N, unix@PATH, abns@NAME)")
            }
            let addresses = try parseAddresses(list, line, state.environment)
            let parsed = BindOptionParser.parse(line, from: 1, use: .bind)
            state.config.warnings += parsed.warnings
            if let first = parsed.errors.first {
                state.errors += parsed.errors.dropLast()
                throw parsed.errors.count == 1 ? first : parsed.errors.last!
            }
            try check(parsed.options, addresses, line)
            let unix = state.config.global.process.unixBind
            state.proxy.binds += addresses.map { a in
                guard case .unixPath = a else { return BindConfig(address: a, options: parsed.options, location: line.location) }
                return BindConfig(address: unix.apply(to: a), options: unix.apply(to: parsed.options), location: line.location)
            }
        },
        ConfigKeyword("stats socket", .global, "stats socket PATH|fd@N|[ADDR]:PORT [level user|operator|admin] [mode M] [user U] [group G] [expose-fd listeners] [severity-output none|number|string]",
                      "HAProxy's runtime API socket (the CLI), level `operator` by default; several allowed.") { state, line throws(ConfigError) in
            guard let text = line.argument(0), !text.isEmpty else {
                throw line.error("missing address; expected 'stats socket PATH|fd@N|[ADDR]:PORT [options]'")
            }
            let addresses = try parseAddresses(text, line, state.environment)
            guard addresses.count == 1 else { throw line.error("'stats socket' takes one address, not a list or a port range") }
            let parsed = BindOptionParser.parse(line, from: 1, use: .statsSocket)
            state.config.warnings += parsed.warnings
            if let first = parsed.errors.first {
                state.errors += parsed.errors.dropLast()
                throw parsed.errors.count == 1 ? first : parsed.errors.last!
            }
            var socket = StatsSocketConfig(address: addresses[0], location: line.location)
            socket.options = parsed.options
            socket.level = parsed.level ?? "operator"
            socket.severityOutput = parsed.severityOutput ?? "none"
            socket.exposeListeners = parsed.exposeListeners
            state.config.global.statsSockets.append(socket)
        },
    ]

    /// The comma-separated address list, each item expanded from the environment first.
    static func parseAddresses(_ list: String, _ line: KeywordLine, _ environment: ConfigEnvironment) throws(ConfigError) -> [ListenAddress] {
        var out: [ListenAddress] = []
        for item in list.split(separator: ",", omittingEmptySubsequences: false) {
            switch ListenAddressParser.parse(environment.expandInAddress(String(item))) {
            case .success(let a): out += a
            case .failure(let e): throw line.error(e.message)
            }
        }
        return out
    }

    /// Options that make no sense for the address family.
    static func check(_ options: BindOptions, _ addresses: [ListenAddress], _ line: KeywordLine) throws(ConfigError) {
        let tcpOnly: [(Bool, String)] = [(options.deferAccept, "defer-accept"), (options.tfo, "tfo"), (options.transparent, "transparent"),
                                         (options.v6only != nil, "v4v6/v6only"), (options.mss != nil, "mss"), (options.tcpUserTimeout != nil, "tcp-ut"),
                                         (options.interface != nil, "interface")]
        for address in addresses {
            switch address {
            case .tcp: break
            case .inheritedFD:
                // The socket exists already: nothing can be changed about how it was bound.
                if let (_, name) = tcpOnly.first(where: \.0) ?? (options.backlog != nil ? (true, "backlog") : nil) {
                    throw line.error("'\(name)' cannot apply to \(address.description): the socket is already bound by the parent process")
                }
            case .unixPath, .abstractNamespace:
                if let (_, name) = tcpOnly.first(where: \.0) {
                    throw line.error("'\(name)' only applies to TCP addresses, not to \(address.description)")
                }
            }
        }
    }
}
