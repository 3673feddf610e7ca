// Server-line settings beyond the basics of ServerConfig: how the address is found, limits and
// queues, connection reuse, what to do when the server changes state, redirection, tracking,
// and the source address of connections to it.

public struct ServerOptions: Equatable, Sendable {
    /// `unix@PATH`, `/PATH` or `abns@NAME` instead of host:port.
    public var socket: ListenAddress? = nil
    /// `ipv4@` / `ipv6@` before the address: the family a host name must resolve to.
    public var addressFamily: Int? = nil
    /// The host name the address was resolved from (InitAddrPolicy), for messages and stats.
    public var hostname: String? = nil
    /// `init-addr ... none` applied: no address, the server starts in maintenance.
    public var unresolved = false
    public var id: Int? = nil
    /// `init-addr last,libc,none,IP`: how the address is found at start (default last,libc).
    public var initAddr: [String] = ["last", "libc"]
    /// `resolve-prefer ipv4|ipv6`: guides `resolvers` sections (default ipv6, as HAProxy),
    /// not the start-up lookup, as in HAProxy.
    public var resolvePrefer: String? = nil
    /// `minconn`: with the backend's `fullconn`, the dynamic limit between minconn and maxconn.
    public var minconn: Int? = nil
    /// `maxqueue`: requests allowed to wait for this server (0: no limit).
    public var maxqueue: Int? = nil
    /// `on-marked-down shutdown-sessions`, `on-marked-up shutdown-backup-sessions`.
    public var shutdownSessionsWhenDown = false
    public var shutdownBackupSessionsWhenUp = false
    /// `redir PREFIX`: answer GET/HEAD with a 302 to PREFIX + the path instead of forwarding.
    public var redirectPrefix: String? = nil
    /// `track [BACKEND/]SERVER`: this server's state follows that one's health checks.
    public var track: TrackedServer? = nil
    /// Idle connection pool: `pool-max-conn` (-1: no limit, 0: no pool), `pool-low-conn`,
    /// `pool-purge-delay`, `max-reuse` (requests per connection, -1: no limit).
    public var poolMaxConn: Int? = nil
    public var poolLowConn: Int? = nil
    public var poolPurgeDelay: Int? = nil
    public var maxReuse: Int? = nil
    /// `source ADDR[:PORT[-PORT]]`.
    public var source: SourceAddress? = nil
    /// `non-stick`: never written to stick tables.
    public var nonStick = false
    /// `tfo`, `tcp-ut`: socket options of connections to the server.
    public var tfo = false
    public var tcpUserTimeout: Int? = nil
    /// `send-proxy` / `send-proxy-v2`: a PROXY header first on each new connection (v2 wins
    /// when both are set, as in HAProxy).
    public var sendProxyV1 = false
    public var sendProxyV2 = false
    public var sendProxyVersion: Int { sendProxyV2 ? 2 : sendProxyV1 ? 1 : 0 }
    /// `proxy-v2-options`: the TLVs a v2 header carries (ProxyV2Options.swift).
    public var proxyV2Options = ProxyV2Options()
    /// `resolvers R` (+ resolve-net/resolve-opts): resolved again at run time (ResolversModel.swift).
    public var resolution: ServerResolution? = nil
    /// Made by a `server-template` line.
    public var template: ServerTemplateOrigin? = nil
    /// A slot reserved at start for a server `add server` may create (DynamicServerSlots).
    public var reservedSlot = false
    /// `socks4 ADDR:PORT`: the SOCKS4 proxy (Socks4Proxy.swift); used by checks with check-via-socks4.
    public var socks4: Socks4Proxy? = nil
    public init() {}
}

/// `track [BACKEND/]SERVER`.
public struct TrackedServer: Equatable, Sendable {
    /// nil: the same backend.
    public var backend: String?
    public var server: String
}

/// `source ADDR[:LOW[-HIGH]] [usesrc ADDR[:PORT]|client|clientip] [interface NAME]`.
public struct SourceAddress: Equatable, Sendable {
    public var host: String
    public var ports: ClosedRange<Int>? = nil
    /// `usesrc`: connections leave from a foreign address (IP_TRANSPARENT), which replaces
    /// `host`/`ports` as HAProxy does when the kernel allows it.
    public var usesrc: UseSource? = nil
    public var interface: String? = nil
    public init(host: String, ports: ClosedRange<Int>? = nil) { self.host = host; self.ports = ports }
}

extension SourceAddress {
    /// `ADDR[:PORT[-PORT]]` of a `source` keyword or server option (an empty or `*` address:
    /// any, as HAProxy's 0.0.0.0).
    static func parse(_ text: String, _ line: KeywordLine) throws(ConfigError) -> SourceAddress {
        let (host, ports) = AddressParser.split(text)
        var source = SourceAddress(host: host.isEmpty || host == "*" ? "0.0.0.0" : (AddressParser.normalizedIPv4(host) ?? host))
        guard AddressParser.isIP(source.host) else { throw line.error("invalid source address '\(text)'; expected ADDR[:PORT[-PORT]]") }
        if let ports, !ports.isEmpty {
            let parts = ports.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { Int($0) }
            guard let low = parts.first ?? nil, (0...65535).contains(low),
                  parts.count == 1 || (parts[1].map { $0 >= low && $0 <= 65535 } ?? false) else {
                throw line.error("invalid source port range '\(ports)'; expected PORT or LOW-HIGH")
            }
            if low > 0 { source.ports = low...((parts.count > 1 ? parts[1] : nil) ?? low) }
        }
        return source
    }
}

/// `usesrc client|clientip|ADDR[:PORT]`: the foreign address server connections leave from.
public enum UseSource: Equatable, Sendable {
    /// The client's address and port.
    case client
    /// The client's address, any port.
    case clientIP
    /// A fixed address (port 0: any).
    case address(host: String, port: Int)

    /// The `usesrc` argument; `hdr_ip(...)` is refused with a clear error (not implemented).
    static func parse(_ text: String, _ line: KeywordLine) throws(ConfigError) -> UseSource {
        switch text {
        case "client": return .client
        case "clientip": return .clientIP
        default: break
        }
        if text.hasPrefix("hdr_ip(") {
            throw line.error("'usesrc \(text)' (the source address taken from a request header) is not implemented yet in ringproxy; 'usesrc client', 'clientip' and 'ADDR[:PORT]' are")
        }
        let (host, port) = AddressParser.split(text)
        let h = AddressParser.normalizedIPv4(host) ?? host
        guard AddressParser.isIP(h) else {
            throw line.error("invalid 'usesrc' argument '\(text)'; expected 'usesrc client|clientip|ADDR[:PORT]'")
        }
        var p = 0
        if let port, !port.isEmpty {
            guard let v = Int(port), (0...65535).contains(v) else { throw line.error("invalid port in 'usesrc \(text)'") }
            p = v
        }
        return .address(host: h, port: p)
    }
}
