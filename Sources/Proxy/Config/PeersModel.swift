// The `peers` sections of a configuration (HAProxy 2.6 §3.5): who the peers are, which of them
// is this process (the local peer, named by `-L`, `localpeer` or the host name), where the
// local peer listens, and the stick tables declared inside the section.

/// Everything about peers in one configuration.
public struct PeersConfiguration: Sendable {
    /// The sections that take part: a section without the local peer is removed with a
    /// warning (as HAProxy does), so every section here has `localIndex`.
    public var sections: [PeersSectionConfig] = []
    /// This process's peer name (`-L`, else `localpeer`, else the host name).
    public var localPeer: String = ""
    public init() {}

    public func section(named name: String) -> PeersSectionConfig? { sections.first { $0.name == name } }
}

public struct PeersSectionConfig: Sendable {
    public var name: String
    public var location: SourceLocation
    /// `disabled`: no listener, no synchronisation (the tables still work locally).
    public var disabled = false
    /// Every `peer`/`server` line, the local one included, in file order.
    public var peers: [PeerConfig] = []
    /// The `bind` line (2.x form); with the `peer` form the local peer's address is the bind.
    public var bind: BindConfig? = nil
    /// `default-bind` words (only harmless ones are accepted).
    public var defaultBind: [String] = []
    /// `default-server` words applied to each later `server` line.
    public var defaultServer: [String] = []
    /// Tables declared with `table NAME ...` (referenced elsewhere as `SECTION/NAME`).
    public var tables: [PeersTableConfig] = []
    /// `log` lines: peer events (connect, disconnect, resync) go there.
    public var loggers: [LoggerConfig] = []
    /// Index of the local peer in `peers`.
    public var localIndex: Int? = nil
    /// A `peer` line was seen (the 1.x form; it cannot be mixed with `bind`).
    var usesPeerLines = false

    public init(name: String, location: SourceLocation) { self.name = name; self.location = location }

    public var localPeer: PeerConfig? { localIndex.map { peers[$0] } }
    /// `bind fd@N`: a listening socket handed over by the parent process (VTest, systemd).
    public var listenFD: Int32? {
        if let b = bind, case .inheritedFD(let fd) = b.address { return fd }
        return nil
    }
    public var remotePeers: [PeerConfig] { peers.enumerated().filter { $0.offset != localIndex }.map(\.element) }
    /// Where the local peer listens: the `bind` line, else its `peer` line's address (nil
    /// for `bind fd@N`: see `listenFD`).
    public var listenAddress: (host: String, port: Int)? {
        if let b = bind {
            if case .tcp(let h, let p) = b.address { return (h, p) }
            return nil
        }
        if let p = localPeer, let host = p.host, let port = p.port { return (host, port) }
        return nil
    }
}

public struct PeerConfig: Equatable, Sendable {
    public var name: String
    /// nil for `server NAME` without an address (the local peer of the `bind` form, or a
    /// remote peer that can only connect to us).
    public var host: String?
    public var port: Int?
    public var isLocal: Bool
    public var location: SourceLocation
    public init(name: String, host: String?, port: Int?, isLocal: Bool, location: SourceLocation) {
        self.name = name; self.host = host; self.port = port; self.isLocal = isLocal; self.location = location
    }
}

/// `table NAME type ... size ...` inside a peers section: a stick table of its own, known
/// in the configuration as `SECTION/NAME` and on the wire as `NAME`.
public struct PeersTableConfig: Equatable, Sendable {
    public var name: String
    public var table: StickTableConfig
    public var location: SourceLocation
    public init(name: String, table: StickTableConfig, location: SourceLocation) {
        self.name = name; self.table = table; self.location = location
    }
}
