// The options of `server` and `default-server` lines. Every option HAProxy 2.6 knows is
// recognised with its arity, so that one unsupported option does not hide the next: each
// problem of a line is its own error, all reported in one run.

enum ServerOptionParser {
    /// HAProxy 2.6's server options that take a value (the others are single words).
    static let withValue: Set<String> = [
        "addr", "agent-send", "agent-inter", "agent-addr", "agent-port", "alpn", "ca-file", "check-alpn", "check-proto",
        "check-sni", "ciphers", "ciphersuites", "cookie", "crl-file", "crt", "error-limit", "fall", "id", "init-addr",
        "inter", "fastinter", "downinter", "log-proto", "maxconn", "maxqueue", "max-reuse", "minconn", "namespace", "npn",
        "observe", "on-error", "on-marked-down", "on-marked-up", "pool-low-conn", "pool-max-conn", "pool-purge-delay",
        "port", "proto", "redir", "rise", "resolve-opts", "resolve-prefer", "resolve-net", "resolvers",
        "proxy-v2-options", "slowstart", "sni", "source", "usesrc", "interface", "ssl-max-ver", "ssl-min-ver", "socks4", "tcp-ut", "track",
        "verify", "verifyhost", "weight", "ws",
    ]
    static let flags: Set<String> = [
        "agent-check", "allow-0rtt", "backup", "check", "check-send-proxy", "check-ssl", "check-via-socks4", "disabled",
        "enabled", "force-sslv3", "force-tlsv10", "force-tlsv11", "force-tlsv12", "force-tlsv13", "no-agent-check",
        "no-backup", "no-check", "no-check-ssl", "no-send-proxy", "no-send-proxy-v2", "no-send-proxy-v2-ssl",
        "no-send-proxy-v2-ssl-cn", "no-ssl", "no-ssl-reuse", "no-sslv3", "no-tls-tickets", "no-tlsv10", "no-tlsv11",
        "no-tlsv12", "no-tlsv13", "no-verifyhost", "no-tfo", "non-stick", "send-proxy", "send-proxy-v2", "no-check-send-proxy",
        "send-proxy-v2-ssl", "send-proxy-v2-ssl-cn", "ssl", "ssl-reuse", "stick", "tfo", "tls-tickets",
    ]
    /// Options that turn TLS on: an error (ringproxy has no TLS).
    static let tlsOn: Set<String> = ["ssl", "check-ssl", "crt", "send-proxy-v2-ssl", "send-proxy-v2-ssl-cn", "allow-0rtt"]
    /// TLS parameters: without `ssl` they change nothing, in HAProxy too.
    static let tlsParameters: Set<String> = [
        "alpn", "ca-file", "check-alpn", "check-sni", "ciphers", "ciphersuites", "crl-file", "force-sslv3", "force-tlsv10",
        "force-tlsv11", "force-tlsv12", "force-tlsv13", "npn", "sni", "ssl-max-ver", "ssl-min-ver", "ssl-reuse",
        "tls-tickets", "verify", "verifyhost",
    ]
    /// Options that disable something ringproxy does not do anyway.
    static let harmlessNegations: Set<String> = [
        "no-check-ssl", "no-send-proxy-v2-ssl",
        "no-send-proxy-v2-ssl-cn", "no-ssl", "no-ssl-reuse", "no-sslv3", "no-tls-tickets", "no-tlsv10", "no-tlsv11",
        "no-tlsv12", "no-tlsv13", "no-verifyhost", "no-tfo", "stick",
    ]
    /// Known to HAProxy, not implemented yet by ringproxy: what is missing.
    static let notYet: [String: String] = [
        "observe": "traffic observation",
        "on-error": "traffic observation", "error-limit": "traffic observation", "namespace": "network namespaces",
        "log-proto": "log servers in ring sections",
    ]

    static var known: [String] { (withValue.union(flags)).sorted() }

    /// Applies the options from argument `start` on; returns every problem found (empty when fine).
    static func apply(_ line: KeywordLine, from start: Int, to server: inout ServerConfig, warnings: inout [String]) -> [ConfigError] {
        var errors: [ConfigError] = []
        let words = Array(line.arguments.dropFirst(start))
        let hasTLS = words.contains { tlsOn.contains($0) }
        var i = start
        while let option = line.argument(i) {
            let takesValue = withValue.contains(option)
            guard takesValue || flags.contains(option) else {
                errors.append(line.error(EditDistance.unknownMessage("server option", option, among: known,
                                                                     see: "the server options are listed in section 5.2 of HAProxy's configuration manual")))
                i += 1
                continue
            }
            let value = takesValue ? line.argument(i + 1) : nil
            if takesValue && (value ?? "").isEmpty {
                errors.append(line.error("'\(option)' expects \(expected(option)) as an argument"))
                i += 2
                continue
            }
            do {
                try applyOne(option, value, at: i + 1, line, &server, hasTLS: hasTLS, &warnings)
            } catch {
                errors.append(error)
            }
            i += takesValue ? 2 : 1
        }
        return errors
    }

    static func expected(_ option: String) -> String {
        switch option {
        case "inter", "fastinter", "downinter", "slowstart", "pool-purge-delay", "tcp-ut", "agent-inter": return "a time"
        case "cookie": return "a cookie value"
        case "addr", "agent-addr": return "an address"
        case "port", "agent-port": return "a port"
        default: return "a value"
        }
    }

    static func applyOne(_ option: String, _ value: String?, at index: Int, _ line: KeywordLine, _ server: inout ServerConfig,
                         hasTLS: Bool, _ warnings: inout [String]) throws(ConfigError) {
        let v = value ?? ""
        func count(_ range: ClosedRange<Int> = 0...10_000_000) throws(ConfigError) -> Int { try line.integer(index, option, in: range) }
        func signedCount() throws(ConfigError) -> Int {
            if v == "-1" { return -1 }
            return try count()
        }
        func warnNotApplied(_ why: String) {
            warnings.append("\(line.location): server option '\(option)\(value.map { " " + $0 } ?? "")' is read but not applied yet: \(why)")
        }
        if tlsOn.contains(option) {
            throw line.error("server option '\(option)' needs TLS: ringproxy has no TLS (put a TLS terminator between ringproxy and the server)")
        }
        if tlsParameters.contains(option) {
            if !hasTLS { warnings.append("\(line.location): server option '\(option)' ignored: it only applies to TLS connections ('ssl'), which ringproxy does not make") }
            return
        }
        // check-send-proxy, agent checks, check-proto (ServerCheckOptions.swift)
        if ServerCheckOptions.names.contains(option) || option == "check-proto" {
            _ = try ServerCheckOptions.apply(option, line, index - 1, &server)
            return
        }
        if harmlessNegations.contains(option) { return }
        if let missing = notYet[option] {
            throw line.error("server option '\(option)' is not implemented yet in ringproxy (\(missing))")
        }
        switch option {
        case "proxy-v2-options": server.options.proxyV2Options = try ProxyV2Options.parse(value ?? "", line)
        case "send-proxy": server.options.sendProxyV1 = true
        case "no-send-proxy": server.options.sendProxyV1 = false
        case "send-proxy-v2": server.options.sendProxyV2 = true
        case "no-send-proxy-v2": server.options.sendProxyV2 = false
        case "check": server.check = true
        case "no-check": server.check = false
        case "backup": server.backup = true
        case "no-backup": server.backup = false
        case "disabled": server.disabled = true
        case "enabled": server.disabled = false
        case "inter": server.inter = try positiveTime(line, index, option)
        case "fastinter": server.fastinter = try positiveTime(line, index, option)
        case "downinter": server.downinter = try positiveTime(line, index, option)
        case "slowstart": server.slowstart = try line.time(index, "slowstart")
        case "rise": server.rise = try count(1...1_000_000)
        case "fall": server.fall = try count(1...1_000_000)
        case "weight": server.weight = try count(0...256)
        case "maxconn": server.maxconn = try count()
        case "cookie":
            guard !v.contains(where: { $0 == ";" || $0 == "," || $0 == "=" || $0 == " " }) else {
                throw line.error("invalid cookie value '\(v)'; it may not be empty nor contain ';', ',', '=' or spaces")
            }
            server.cookie = v
        case "port":
            switch AddressParser.port(v) {
            case .success(let p): server.checkPort = p
            case .failure(let e): throw line.error(e.message)
            }
        case "addr":
            guard AddressParser.isIP(v) else { throw line.error("invalid check address '\(v)'; expected an IPv4 or IPv6 address") }
            server.checkAddr = v
        case "id": server.options.id = try count(1...Int(Int32.max))
        case "init-addr":
            let methods = v.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            for m in methods where !["last", "libc", "none"].contains(m) && !AddressParser.isIP(m) {
                throw line.error("invalid init-addr method '\(m)'; expected last, libc, none or an IP address")
            }
            server.options.initAddr = methods
        case "resolvers", "resolve-net", "resolve-opts":
            try ServerResolutionOptions.apply(option, v, line, &server)
        case "resolve-prefer":
            guard v == "ipv4" || v == "ipv6" else { throw line.error("invalid resolve-prefer '\(v)'; expected ipv4 or ipv6") }
            server.options.resolvePrefer = v
        case "redir":
            server.options.redirectPrefix = v
        case "track":
            let parts = v.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.allSatisfy({ !$0.isEmpty }) else { throw line.error("invalid track '\(v)'; expected [BACKEND/]SERVER") }
            server.options.track = parts.count == 2 ? TrackedServer(backend: parts[0], server: parts[1]) : TrackedServer(backend: nil, server: parts[0])
        case "minconn":
            server.options.minconn = try count()
        case "maxqueue":
            server.options.maxqueue = try count()
        case "on-marked-down":
            guard v == "shutdown-sessions" else { throw line.error("invalid on-marked-down action '\(v)'; expected shutdown-sessions") }
            server.options.shutdownSessionsWhenDown = true
        case "on-marked-up":
            guard v == "shutdown-backup-sessions" else { throw line.error("invalid on-marked-up action '\(v)'; expected shutdown-backup-sessions") }
            server.options.shutdownBackupSessionsWhenUp = true
        case "pool-max-conn":
            server.options.poolMaxConn = try signedCount()
        case "pool-low-conn":
            // HAProxy: below this many idle connections a thread does not take one from another
            // thread; ringproxy's workers never take each other's, so there is nothing to tune.
            server.options.poolLowConn = try count()
        case "pool-purge-delay":
            server.options.poolPurgeDelay = try line.time(index, "pool-purge-delay")
        case "max-reuse":
            // HAProxy 2.6 counts reuses only on multiplexed server connections (HTTP/2, FastCGI):
            // its HTTP/1 connections, like all of ringproxy's, are reused without a count.
            server.options.maxReuse = try signedCount()
        case "source":
            server.options.source = try SourceAddress.parse(v, line)
        case "socks4":
            server.options.socks4 = try Socks4Proxy.parse(v, line)
        case "usesrc":
            // HAProxy: `usesrc` only after a `source` on the same line
            guard server.options.source != nil else { throw line.error("'usesrc' requires a 'source' address before it on the 'server' line") }
            server.options.source?.usesrc = try UseSource.parse(v, line)
        case "interface":
            throw line.error("server option 'interface' (binding server connections to a device) is not implemented yet in ringproxy")
        case "non-stick":
            server.options.nonStick = true
        case "tfo":
            server.options.tfo = true
        case "tcp-ut":
            server.options.tcpUserTimeout = try line.time(index, "tcp-ut")
        case "ws":
            guard v == "auto" || v == "h1" || v == "h2" else { throw line.error("invalid ws '\(v)'; expected auto, h1 or h2") }
            if v == "h2" { throw line.error("'ws h2' needs HTTP/2, which ringproxy does not speak") }
        case "proto":
            guard v == "h1" else { throw line.error("server option 'proto \(v)' is not supported: ringproxy speaks HTTP/1.x to servers") }
        default:
            throw line.error("server option '\(option)' is not supported by ringproxy")
        }
    }

    static func positiveTime(_ line: KeywordLine, _ i: Int, _ what: String) throws(ConfigError) -> Int {
        let t = try line.time(i, what)
        guard t > 0 else { throw line.error("'\(what)' must be greater than 0") }
        return t
    }
}
