// `resolvers NAME` sections (HAProxy 2.6 §5.3.2) and what a server asks of them
// (`resolvers`, `resolve-prefer`, `resolve-net`, `resolve-opts`). Times are milliseconds.

public struct ResolversConfig: Equatable, Sendable {
    public struct Nameserver: Equatable, Sendable {
        public var name: String
        /// An IPv4 address (the resolver thread queries over UDP; see CResolv).
        public var host: String
        public var port: Int
        public var location: SourceLocation
    }
    public var name: String
    public var location: SourceLocation
    public var nameservers: [Nameserver] = []
    /// `parse-resolv-conf` was given (its nameservers are already in `nameservers`).
    public var parseResolvConf = false
    public var resolveRetries = 3
    public var timeoutResolve = 1000
    public var timeoutRetry = 1000
    /// `hold STATUS PERIOD`: valid 10s, the others 30s, obsolete 0 (HAProxy's defaults).
    public var hold: [String: Int] = ["valid": 10_000, "nx": 30_000, "other": 30_000, "refused": 30_000,
                                      "timeout": 30_000, "obsolete": 0]
    public var acceptedPayloadSize = 512
    public init(name: String, location: SourceLocation) { self.name = name; self.location = location }
    public var holdValid: Int { hold["valid"] ?? 10_000 }
}

/// A server's run-time resolution settings.
public struct ServerResolution: Equatable, Sendable {
    /// `resolvers NAME`.
    public var resolvers: String
    /// `resolve-net A/N,...`: preferred networks, in order.
    public var networks: [String] = []
    /// `resolve-opts allow-dup-ip|prevent-dup-ip|ignore-weight`.
    public var allowDuplicateIP = false
    public var ignoreWeight = false
    public init(resolvers: String) { self.resolvers = resolvers }
}

/// `server-template PREFIX NUM|LOW-HIGH FQDN[:PORT]`: which template made a server, so the
/// resolver fills its slots together.
public struct ServerTemplateOrigin: Equatable, Sendable {
    public var prefix: String
    /// The FQDN (an SRV label when it starts with '_').
    public var fqdn: String
    public var location: SourceLocation
    public var isSRV: Bool { fqdn.hasPrefix("_") }
}
