// The keywords of a `peers` section (HAProxy 2.6 §3.5): `peer`, the 2.x `server`/`bind`/
// `default-server`/`default-bind` forms, `disabled`, `enabled`, `table` and `log`; plus the
// global `localpeer`. Which peer is local is decided as each line is read, as HAProxy does
// (so `localpeer` after a peers section is ignored with a warning).
//
// `server`, `bind`, `default-server` and `log` are also proxy keywords: the registry keeps one
// entry per name, so `overlay` adds the peers meaning to those entries (one README row each).

#if canImport(Glibc)
import Glibc
#endif

/// What the parser carries about peers from line to line.
struct PeersParseState {
    /// The section being read.
    var current: PeersSectionConfig? = nil
    /// Every section read so far (also the removed ones, for duplicate names).
    var sections: [PeersSectionConfig] = []
    /// The local peer name and where it came from.
    var localPeer: String = PeersKeywords.hostName()
    var localPeerFromCommandLine = false
}

enum PeersKeywords {
    /// Keywords that only exist in a peers section (or in global, for `localpeer`).
    static let all: [ConfigKeyword] = [
        ConfigKeyword("localpeer", .global, "localpeer NAME",
                      "This process's peer name (overridden by `-L NAME`; default: the host name).") { state, line throws(ConfigError) in
            guard line.argumentCount >= 1 else { throw line.error("'localpeer' expects a name as an argument") }
            try line.expectArguments(1...1, "localpeer NAME")
            if state.peers.localPeerFromCommandLine {
                state.warn(line.location, "'localpeer' ignored since it is already set by using the '-L' command line argument")
            } else if !state.peers.sections.isEmpty || state.peers.current != nil {
                state.warn(line.location, "'localpeer' ignored since it is used after 'peers' section")
            } else {
                state.peers.localPeer = line.argument(0)!
            }
        },
        ConfigKeyword("peer", .peers, "peer NAME ADDR:PORT",
                      "A peer of the section; the one named like the local peer is this process and listens on ADDR:PORT.") { state, line throws(ConfigError) in
            try addPeer(&state, line, peerForm: true)
        },
        ConfigKeyword("default-bind", .peers, "default-bind [params]",
                      "Listener parameters for the local peer (TLS parameters are not supported).") { state, line throws(ConfigError) in
            try checkBindParameters(&state, line, from: 0)
            state.peers.current?.defaultBind += line.arguments
        },
        ConfigKeyword("disabled", .peers, "disabled",
                      "Disables the section: no listener, no synchronisation (tables still work locally).") { state, _ throws(ConfigError) in
            state.peers.current?.disabled = true
        },
        ConfigKeyword("enabled", .peers, "enabled",
                      "Re-enables a section disabled by an earlier `disabled`.") { state, _ throws(ConfigError) in
            state.peers.current?.disabled = false
        },
        ConfigKeyword("table", .peers,
                      "table NAME type ip|ipv6|integer|string [len N]|binary [len N] size N [expire T] [srvkey name|addr]",
                      "A stick table of the section, referenced as `SECTION/NAME` (e.g. `stick on src table SECTION/NAME`).") { state, line throws(ConfigError) in
            try addTable(&state, line)
        },
    ]

    /// Adds the peers meaning to the proxy keywords of the same name.
    static func overlay(_ k: ConfigKeyword) -> ConfigKeyword {
        let peersHandler: KeywordHandler
        let syntax: String
        switch k.name {
        case "server":
            syntax = "server NAME [ADDR:PORT]"
            peersHandler = { state, line throws(ConfigError) in try addPeer(&state, line, peerForm: false) }
        case "bind":
            syntax = "bind ADDR:PORT"
            peersHandler = { state, line throws(ConfigError) in try addBind(&state, line) }
        case "default-server":
            syntax = "default-server [params]"
            peersHandler = { state, line throws(ConfigError) in
                try checkServerParameters(&state, line, from: 0, peerName: nil)
                state.peers.current?.defaultServer += line.arguments
            }
        case "log":
            syntax = "log ADDR[:PORT] FACILITY [LEVEL [MINLEVEL]]"
            peersHandler = { state, line throws(ConfigError) in
                let logger = try LogKeywords.parse(line, inGlobal: true, environment: state.environment)
                state.peers.current?.loggers.append(logger)
            }
        default:
            return k
        }
        let proxyHandler = k.handler
        return ConfigKeyword(k.name, k.sections.union(.peers), k.syntax,
                             k.summary + " In a `peers` section: `\(syntax)`.",
                             modern: k.modern, ignored: k.ignored, negatable: k.negatable) { state, line throws(ConfigError) in
            if state.section == .peers { try peersHandler(&state, line) } else { try proxyHandler(&state, line) }
        }
    }

    // MARK: sections

    /// `peers NAME`
    static func openSection(_ words: [String], at location: SourceLocation, state: inout ParseState) {
        var name = words.count > 1 ? words[1] : ""
        if name.isEmpty {
            state.errors.append(ConfigError(location, "peers", "missing name for peers section"))
            name = "<unnamed>"
        } else if words.count > 2 {
            state.errors.append(ConfigError(location, "peers", "'peers' cannot handle unexpected argument '\(words[2])'"))
        } else if let bad = name.unicodeScalars.first(where: { !ConfigParser.isProxyNameCharacter($0) }) {
            state.errors.append(ConfigError(location, "peers", "character '\(bad)' is not permitted in 'peers' name '\(name)'"))
        } else if let other = state.peers.sections.first(where: { $0.name == name }) {
            state.errors.append(ConfigError(location, "peers", "peers section '\(name)' has the same name as another peers section declared at \(other.location)"))
        }
        state.peers.current = PeersSectionConfig(name: name, location: location)
    }

    static func closeSection(_ state: inout ParseState) {
        if let s = state.peers.current { state.peers.sections.append(s) }
        state.peers.current = nil
    }

    // MARK: peer / server lines

    /// `peer NAME ADDR:PORT [params]` or `server NAME [ADDR:PORT] [params]`.
    static func addPeer(_ state: inout ParseState, _ line: KeywordLine, peerForm: Bool) throws(ConfigError) {
        guard var section = state.peers.current else { return }
        guard let name = line.argument(0), !name.isEmpty else {
            throw line.error("missing peer name; expected '\(peerForm ? "peer NAME ADDR:PORT" : "server NAME [ADDR:PORT]")'")
        }
        let isLocal = name == state.peers.localPeer
        if peerForm {
            if section.bind != nil { throw line.error("mixing \"peer\" and \"bind\" line is forbidden") }
            section.usesPeerLines = true
        }
        if isLocal, let i = section.localIndex {
            // A `bind` line may have created the local peer without a name yet.
            if !section.peers[i].name.isEmpty {
                throw line.error("'\(line.keyword) \(name)': local peer name already referenced at \(section.peers[i].location)")
            }
        }
        // The address: always on `peer` lines; on `server` lines only for remote peers.
        var host: String? = nil, port: Int? = nil
        var next = 1
        if peerForm || !isLocal {
            if let text = line.argument(1) {
                (host, port) = try parsePeerAddress(state.environment.expandInAddress(text), line, peerName: name)
                next = 2
            }
        } else if let word = line.argument(1), word.contains(":") || word.contains("@") || AddressParser.isIP(word) {
            throw line.error("'server \(name)': unexpected '\(word)'; the local peer takes no address on a 'server' line (it listens on the 'bind' line)")
        }
        try checkServerParameters(&state, line, from: next, peerName: name)
        let peer = PeerConfig(name: name, host: host, port: port, isLocal: isLocal, location: line.location)
        if isLocal, let i = section.localIndex {
            // Completes the peer a `bind` line started.
            section.peers[i].name = name
            section.peers[i].location = line.location
        } else {
            section.peers.append(peer)
            if isLocal { section.localIndex = section.peers.count - 1 }
        }
        state.peers.current = section
    }

    /// `IP:PORT` or `HOSTNAME:PORT` (resolved now, as HAProxy does). An empty port (`ADDR:`,
    /// or `:` from unset variables) is accepted as HAProxy accepts it: nothing to connect to,
    /// the peer can only connect to us.
    static func parsePeerAddress(_ text: String, _ line: KeywordLine, peerName: String) throws(ConfigError) -> (String?, Int?) {
        let what = "'\(line.keyword) \(peerName)'"
        let (host, portText) = AddressParser.split(text)
        guard let portText else {
            throw line.error("\(what): missing port specification in '\(text)'")
        }
        if portText.isEmpty { return (nil, nil) }
        if portText.contains("-") || portText.contains(",") {
            throw line.error("\(what): port range not permitted here in '\(text)'")
        }
        let port: Int
        switch AddressParser.port(portText) {
        case .success(let p): port = p
        case .failure(let e): throw line.error("\(what): \(e.message) in '\(text)'")
        }
        if AddressParser.isIP(host) { return (host, port) }
        guard !host.isEmpty, AddressParser.isHostname(host), let ip = resolve(host) else {
            throw line.error("\(what): invalid address: '\(host)' in '\(text)'")
        }
        return (ip, port)
    }

    /// The first address of a host name (getaddrinfo), as text.
    static func resolve(_ host: String) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, nil, &hints, &res) == 0, let first = res else { return nil }
        defer { freeaddrinfo(res) }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        guard let sa = first.pointee.ai_addr else { return nil }
        if first.pointee.ai_family == AF_INET {
            var a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            guard inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count)) != nil else { return nil }
        } else if first.pointee.ai_family == AF_INET6 {
            var a = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
            guard inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count)) != nil else { return nil }
        } else {
            return nil
        }
        return String(cString: buf)
    }

    /// Server parameters on a peer line: transport ones that need TLS are refused (ringproxy
    /// has no TLS on peer links); health-check ones are ignored with HAProxy's warning; the
    /// other server options are checked and have no effect on a peer, as in HAProxy.
    static func checkServerParameters(_ state: inout ParseState, _ line: KeywordLine, from start: Int, peerName: String?) throws(ConfigError) {
        var i = start
        var words: [String] = []
        var warned = false
        while let w = line.argument(i) {
            if tlsParameters.contains(w) {
                throw line.error("'\(w)': TLS on peer connections is not supported by ringproxy; keep the peers port on a trusted network or wrap it (stunnel, WireGuard)")
            }
            if ["check", "agent-check", "init-addr", "resolvers"].contains(w) {
                if let peerName, !warned {
                    state.warn(line.location, "'\(line.keyword) \(peerName)': init_addr, resolvers, check and agent are ignored for peers")
                    warned = true
                }
                i += (w == "init-addr" || w == "resolvers") ? 2 : 1
                continue
            }
            words.append(w)
            i += 1
        }
        guard !words.isEmpty else { return }
        var probe = line
        probe.words = [line.keyword] + words
        probe.argumentStart = 1
        var server = ServerConfig(name: "", host: "", port: 0, location: line.location)
        var ignored: [String] = []       // the warning below covers every parameter
        let errors = ServerOptionParser.apply(probe, from: 0, to: &server, warnings: &ignored)
        if let last = errors.last {
            state.errors += errors.dropLast()
            throw last
        }
        // Valid server options, but a peer is not load-balanced nor checked (as in HAProxy).
        state.warn(line.location, "'\(line.keyword)\(peerName.map { " " + $0 } ?? "")': server parameters have no effect on a peer: \(words.joined(separator: " "))")
    }

    static let tlsParameters: Set<String> = ["ssl", "crt", "ca-file", "crl-file", "verify", "verifyhost", "sni", "alpn",
                                             "ciphers", "ciphersuites", "ssl-min-ver", "ssl-max-ver", "force-tlsv12",
                                             "force-tlsv13", "no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13",
                                             "check-ssl", "ssl-reuse", "no-ssl-reuse", "npn", "allow-0rtt"]

    // MARK: bind

    /// `bind ADDR:PORT [params]`: the local peer's listener (2.x form).
    static func addBind(_ state: inout ParseState, _ line: KeywordLine) throws(ConfigError) {
        guard var section = state.peers.current else { return }
        if section.usesPeerLines { throw line.error("mixing \"peer\" and \"bind\" line is forbidden") }
        if let other = section.bind {
            throw line.error("One listener per \"peers\" section is authorized but another is already configured at [\(other.location)]")
        }
        guard let address = line.argument(0), !address.isEmpty else { throw line.error("missing address; expected 'bind ADDR:PORT' or 'bind fd@N'") }
        let addresses = try BindKeywords.parseAddresses(address, line, state.environment)
        guard addresses.count == 1 else { throw line.error("a peers section listens on one address; '\(address)' names \(addresses.count)") }
        switch addresses[0] {
        case .tcp, .inheritedFD: break
        case .unixPath, .abstractNamespace: throw line.error("peers listen on TCP (ADDR:PORT or fd@N), not on \(addresses[0].description)")
        }
        try checkBindParameters(&state, line, from: 1)
        section.bind = BindConfig(address: addresses[0], options: BindOptions(), location: line.location)
        if section.localIndex == nil {
            // The local peer; its name comes with its `server` line.
            section.peers.append(PeerConfig(name: "", host: nil, port: nil, isLocal: true, location: line.location))
            section.localIndex = section.peers.count - 1
        }
        state.peers.current = section
    }

    /// Listener parameters: TLS ones are refused, the rest have no effect on a peers listener
    /// and are ignored with a warning.
    static func checkBindParameters(_ state: inout ParseState, _ line: KeywordLine, from start: Int) throws(ConfigError) {
        let words = Array(line.arguments.dropFirst(start))
        if let tls = words.first(where: { tlsParameters.contains($0) }) {
            throw line.error("'\(tls)': TLS on peer connections is not supported by ringproxy; keep the peers port on a trusted network or wrap it (stunnel, WireGuard)")
        }
        if !words.isEmpty {
            state.warn(line.location, "'\(line.keyword)' parameters ignored on a peers listener: \(words.joined(separator: " "))")
        }
    }

    // MARK: tables

    /// `table NAME type ... size ... [expire ...] [srvkey ...] [store ...]`
    static func addTable(_ state: inout ParseState, _ line: KeywordLine) throws(ConfigError) {
        guard var section = state.peers.current else { return }
        var tableLine = line
        tableLine.argumentStart += 1
        let name = line.argument(0) ?? ""
        if let conflict = state.config.proxies.first(where: { $0.name == name && $0.stickTable != nil }) {
            throw line.error("stick-table name '\(name)' conflicts with table declared in \(conflict.kind.rawValue) '\(name)' at \(conflict.location)")
        }
        let table = try PersistenceKeywords.parseStickTable(tableLine, inPeersSection: true)
        section.tables.append(PeersTableConfig(name: name, table: table, location: line.location))
        state.peers.current = section
    }

    // MARK: the local peer name

    /// The host name, HAProxy's default local peer name.
    static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "" }
        return String(cString: buf)
    }
}
