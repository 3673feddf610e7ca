// `server NAME ADDR[:PORT] [options]` and `default-server [options]`.

enum ServerKeywords {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("server", [.backend, .listen],
                      "server NAME ADDR[:PORT]|unix@PATH|/PATH|abns@NAME [check] [inter T] [fastinter T] [downinter T] [rise N] [fall N] [weight N] [cookie V] [maxconn N] [backup] [disabled|enabled] [port N] [addr IP] [slowstart T] [id N] [init-addr M,...] [resolvers R] [resolve-prefer ipv4|ipv6] [resolve-net NET,...] [resolve-opts O,...] [minconn N] [maxqueue N] [on-marked-down shutdown-sessions] [on-marked-up shutdown-backup-sessions] [pool-max-conn N] [pool-low-conn N] [pool-purge-delay T] [max-reuse N] [source ADDR[:PORT]] [non-stick] [tfo] [tcp-ut T] [send-proxy] [send-proxy-v2] [proxy-v2-options OPTS] [check-send-proxy] [agent-check] [agent-port N] [agent-inter T] [agent-addr A] [agent-send S] [no-*]",
                      "A real server; without PORT the client's destination port is used (port 0 in the model).") { state, line throws(ConfigError) in
            guard line.argumentCount >= 2 else { throw line.error("missing \(line.argumentCount == 0 ? "name and address" : "address"); expected 'server NAME ADDR[:PORT] [options]'") }
            let name = line.argument(0)!
            if let other = state.proxy.servers.first(where: { $0.name == name }) {
                throw line.error("duplicate server name '\(name)' in \(state.proxy.kind.rawValue) '\(state.proxy.name)'; first defined at \(other.location)")
            }
            var server = try address(line.argument(1)!, name: name, line, &state)
            var ignored: [String] = []
            for words in state.serverTemplate.options {
                var defaultLine = line
                defaultLine.words = ["default-server"] + words
                defaultLine.argumentStart = 1
                // Already checked (and its problems reported) on the default-server line.
                _ = ServerOptionParser.apply(defaultLine, from: 0, to: &server, warnings: &ignored)
            }
            var warnings: [String] = []
            let errors = ServerOptionParser.apply(line, from: 2, to: &server, warnings: &warnings)
            state.config.warnings += warnings
            if let last = errors.last {
                state.errors += errors.dropLast()
                throw last
            }
            if server.options.socket != nil && server.check {
                throw line.error("'check' on a UNIX socket server is not implemented yet in ringproxy (health checks connect over TCP)")
            }
            state.proxy.servers.append(server)
        },
        ConfigKeyword("default-server", .backendSide, "default-server [server options]",
                      "Options applied to every later `server` line of the section (and of sections after a defaults).") { state, line throws(ConfigError) in
            var probe = ServerConfig(name: "", host: "", port: 0, location: line.location)
            var warnings: [String] = []
            let errors = ServerOptionParser.apply(line, from: 0, to: &probe, warnings: &warnings)
            state.config.warnings += warnings
            if let last = errors.last {
                state.errors += errors.dropLast()
                throw last
            }
            state.serverTemplate.options.append(Array(line.arguments))
        },
    ]

    /// The address of a server: `[ipv4@|ipv6@]HOST[:PORT]`, a UNIX socket path, `abns@NAME`.
    /// Addresses get HAProxy's second, legacy expansion (`server s $HOST:$PORT`).
    static func address(_ written: String, name: String, _ line: KeywordLine, _ state: inout ParseState) throws(ConfigError) -> ServerConfig {
        var text = state.environment.expandInAddress(written)
        if let path = text.dropPrefix("unix@") ?? (text.hasPrefix("/") ? text : nil) {
            guard !path.isEmpty, path.utf8.count < 108 else { throw line.error("invalid UNIX socket path '\(path)'") }
            var server = ServerConfig(name: name, host: "", port: 0, location: line.location)
            server.options.socket = .unixPath(path)
            return server
        }
        if let abstract = text.dropPrefix("abns@") {
            guard !abstract.isEmpty else { throw line.error("missing name after 'abns@'") }
            var server = ServerConfig(name: name, host: "", port: 0, location: line.location)
            server.options.socket = .abstractNamespace(abstract)
            return server
        }
        var family = 0
        if let rest = text.dropPrefix("ipv4@") { text = rest; family = 4 } else if let rest = text.dropPrefix("ipv6@") { text = rest; family = 6 }
        if let at = text.firstIndex(of: "@") {
            throw line.error("address prefix '\(text[...at])' is not supported for servers; expected ipv4@, ipv6@, unix@ or abns@")
        }
        let (writtenHost, portText) = AddressParser.split(text)
        var host = AddressParser.normalizedIPv4(writtenHost) ?? writtenHost
        if host.isEmpty || host == "*" {
            // HAProxy reads an empty address as 0.0.0.0: "the client's destination" in
            // transparent setups, which ringproxy does not have.
            host = family == 6 ? "::" : "0.0.0.0"
            state.warn(line.location, "'server \(name)': empty address read as \(host); ringproxy connects there, it does not forward to the client's original destination")
        }
        guard AddressParser.isIP(host) || AddressParser.isHostname(host) else {
            throw line.error("invalid address '\(host)'; expected an IPv4/IPv6 address or a host name")
        }
        if family == 4 && AddressParser.isIPv6(host) || family == 6 && AddressParser.isIPv4(host) {
            throw line.error("'\(host)' does not match the address family ipv\(family)@")
        }
        var port = 0
        if let portText, !portText.isEmpty, portText != "0" {
            if portText.hasPrefix("+") || portText.hasPrefix("-") {
                throw line.error("port offsets ('\(portText)': the client's port plus or minus N) are not implemented yet in ringproxy")
            }
            switch AddressParser.port(portText) {
            case .success(let p): port = p
            case .failure(let e): throw line.error(e.message)
            }
        }
        var server = ServerConfig(name: name, host: host, port: port, location: line.location)
        if family != 0 { server.options.addressFamily = family }
        return server
    }
}
