// `option` keywords about connections and balancing, proxy identity (`id`, `description`,
// `fullconn`), and the half-closed and tarpit timeouts. What the engine does not apply yet is
// read into the model and named in a warning, never silently dropped.

enum ProxyOptionKeywords {
    static let all: [ConfigKeyword] = [
        flag("option prefer-last-server", .backendSide, "With `http-reuse never`, send a keep-alive connection's next request to the server of its previous one (non-hash algorithms), as HAProxy 2.6 does with HTTP/1 servers.") { $0.balancing.preferLastServer = $1 },
        flag("option allbackups", .backendSide, "Balance over every usable backup server when no active one is up (not only the first).") { $0.balancing.allBackups = $1 },
        flag("option persist", .backendSide, "Keep cookie-persistent clients on their server even when it is DOWN.") { $0.connection.persist = $1 },
        flag("option http-pretend-keepalive", .backendSide, "With httpclose/server-close, do not tell the server the connection will close (it still closes).") { $0.connection.pretendKeepAlive = $1 },
        flag("option nolinger", .proxies, "Close connections with a reset instead of lingering (client side of a frontend, server side of a backend).") { $0.connection.noLinger = $1 },
        flag("option tcpka", .proxies, "TCP keep-alive probes (SO_KEEPALIVE) on both sides.") { $0.connection.clientKeepAlive = $1; $0.connection.serverKeepAlive = $1 },
        flag("option clitcpka", .frontendSide, "TCP keep-alive probes (SO_KEEPALIVE) on client connections.") { $0.connection.clientKeepAlive = $1 },
        flag("option srvtcpka", .backendSide, "TCP keep-alive probes (SO_KEEPALIVE) on server connections.") { $0.connection.serverKeepAlive = $1 },
        flag("option splice-auto", .proxies, "Splice bodies where it pays: ringproxy's default (bodies of known length above 64 KiB).") { $0.connection.spliceAuto = $1 },
        flag("option splice-request", .proxies, "Splice request bodies of known length whatever their size.") { $0.connection.spliceRequest = $1 },
        flag("option splice-response", .proxies, "Splice response bodies of known length whatever their size.") { $0.connection.spliceResponse = $1 },
        flag("option contstats", .frontendSide, "Update the byte counters (frontend, listener, backend, server) while a transfer runs, on each send to the client.") { $0.connection.continuousStats = $1 },
        flag("option socket-stats", .frontendSide, "One statistics line per listener (stats page, CSV, `show stat`, Prometheus `haproxy_listener_*`).") { $0.connection.socketStats = $1 },
        flag("option checkcache", .backendSide, "Block a cacheable response that carries a Set-Cookie (answered with HAProxy's error page of its status, logged PH).") { $0.connection.checkCache = $1 },
        flag("option http-buffer-request", .proxies, "Wait for the whole request body (or a full buffer) before the rules run and a server is chosen (req.body fetches, `balance url_param … check_post`).") { $0.connection.bufferRequest = $1 },
        flag("option transparent", .backendSide, "A backend without servers connects to the address the client connected to (its destination as set-dst / set-dst-port or a PROXY header left it).") { $0.identity.transparent = $1 },
        // HAProxy 2.6 refuses it, negated or not, with this message (checked with 2.6.12).
        ConfigKeyword("option http_proxy", .proxies, "option http_proxy", "Removed in HAProxy 2.5: a configuration error, as in HAProxy 2.6 (use http-request set-dst / set-uri).", negatable: true) { state, line throws(ConfigError) in
            throw line.error("option 'http_proxy' is not supported any more since HAProxy 2.5. This option stopped working in HAProxy 1.9 and usually had nasty side effects. It can be more reliably implemented with combinations of 'http-request set-dst' and 'http-request set-uri', and even 'http-request do-resolve' if DNS resolution is desired.")
        },
        ProxyKeywords.timeout("client-fin", .frontendSide, "Inactivity timeout once the client has half-closed (default: timeout client).") { $0.clientFin = $1 },
        ProxyKeywords.timeout("server-fin", .backendSide, "Server-side inactivity timeout once the connection to the server is half-closed (the client's end passed on; default: timeout server).") { $0.serverFin = $1 },
        ProxyKeywords.timeout("tarpit", .proxies, "How long `http-request tarpit` holds a request (default: timeout connect).") { $0.tarpit = $1 },
        ConfigKeyword("id", [.frontend, .backend, .listen], "id N", "The proxy's number in the statistics (iid).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "id N")
            let n = try line.integer(0, "id", in: 1...Int(Int32.max))
            if let other = state.config.proxies.first(where: { $0.identity.id == n }) {
                throw line.error("proxy id \(n) is already used by \(other.kind.rawValue) '\(other.name)'")
            }
            state.proxy.identity.id = n
        },
        ConfigKeyword("description", [.global, .frontend, .backend, .listen], "description TEXT...", "Free text shown on the statistics page.") { state, line throws(ConfigError) in
            guard line.argumentCount > 0 else { throw line.error("missing text; expected 'description TEXT'") }
            let text = line.arguments.joined(separator: " ")
            if state.section == .global { state.config.global.process.description = text } else { state.proxy.identity.description = text }
        },
        ConfigKeyword("fullconn", .backendSide, "fullconn N", "The backend load at which servers with `minconn` reach their `maxconn`.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "fullconn N")
            state.proxy.identity.fullconn = try line.integer(0, "fullconn", in: 0...10_000_000)
        },
        ConfigKeyword("source", [.defaults, .backend, .listen], "source ADDR[:PORT[-PORT]] [usesrc client|clientip|ADDR[:PORT]]",
                      "The source address (and port or port range) of connections to the servers; with `usesrc`, a foreign one (IP_TRANSPARENT).") { state, line throws(ConfigError) in
            guard let text = line.argument(0) else { throw line.error("missing address; expected 'source ADDR[:PORT[-PORT]]'") }
            var source = try SourceAddress.parse(text, line)
            if let extra = line.argument(1) {
                guard extra == "usesrc" else {
                    throw line.error(extra == "interface" ? "'source … interface' (binding server connections to a device) is not implemented yet in ringproxy"
                                                          : "unexpected argument '\(extra)'; expected 'source ADDR[:PORT[-PORT]] [usesrc …]'")
                }
                guard let what = line.argument(2) else { throw line.error("missing address after 'usesrc'; expected 'usesrc client|clientip|hdr_ip(NAME)|ADDR[:PORT]'") }
                if let more = line.argument(3) { throw line.error("unexpected argument '\(more)' after 'usesrc \(what)'") }
                source.usesrc = try UseSource.parse(what, line)
            }
            state.proxy.connection.source = source
        },
        ConfigKeyword("dispatch", [.backend, .listen], "dispatch ADDR:PORT",
                      "The address requests go to when the backend balances nothing (no `balance`): HAProxy's dispatch mode.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "dispatch ADDR:PORT")
            let text = state.environment.expandInAddress(line.argument(0)!)
            let (written, portText) = AddressParser.split(text)
            guard let portText, !portText.isEmpty else { throw line.error("missing port specification in '\(text)'") }
            let host = AddressParser.normalizedIPv4(written) ?? written
            guard AddressParser.isIP(host) || AddressParser.isHostname(host) else {
                throw line.error("invalid address '\(written)'; expected an IPv4/IPv6 address or a host name")
            }
            switch AddressParser.port(portText) {
            case .success(let port): state.proxy.identity.dispatch = DispatchAddress(host: host, port: port, location: line.location)
            case .failure(let e): throw line.error(e.message)
            }
        },
    ]

    /// An `option` that is on or off (`no option …`); `notApplied` says what ringproxy does instead.
    static func flag(_ name: String, _ sections: SectionSet, _ summary: String, notApplied: String? = nil,
                     _ set: @escaping @Sendable (inout ProxyConfig, Bool) -> Void) -> ConfigKeyword {
        ConfigKeyword(name, sections, name, summary + (notApplied.map { " Read, not applied yet: \($0)." } ?? ""), negatable: true) { state, line throws(ConfigError) in
            try line.expectArguments(0...0, name)
            set(&state.proxy, !line.negated)
            if let notApplied, !line.negated {
                state.warn(line.location, "'\(name)' is read but not applied yet: \(notApplied)")
            }
        }
    }
}
