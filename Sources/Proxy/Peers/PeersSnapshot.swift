// A copy of the peers' state, taken by the peers thread a few times a second, for the runtime
// API's `show peers`, the stats page, the CSV and Prometheus. Field names follow HAProxy 2.6's
// `show peers` output.

public struct PeersSnapshot: Sendable, Equatable {
    public struct Table: Sendable, Equatable {
        public var name: String           // configuration name (`peers/t` or the proxy)
        public var localID: Int
        public var remoteID: Int
        public var lastAcked: UInt32
        public var lastPushed: UInt32
        public var lastGet: UInt32
        public var teachingOrigin: UInt32
        public var update: UInt32
        /// The table's own position: its last local update id.
        public var localUpdate: UInt32
        public var entries: Int
    }

    public struct Peer: Sendable, Equatable {
        public var name: String
        public var isLocal: Bool
        /// A session is open (HAProxy's "active").
        public var active: Bool
        /// The handshake succeeded and messages flow.
        public var established: Bool
        public var address: String
        /// HAProxy's last_status: NONE CONN HSHK ESTA RETR PROT VERS NAME UNKN.
        public var lastStatus: String
        public var lastStatusCode: Int
        /// Milliseconds since the last handshake (nil: never).
        public var lastHandshakeAgoMs: Int64?
        /// Milliseconds until the next reconnect / heartbeat (nil: none scheduled; 0: due).
        public var reconnectInMs: Int64?
        public var heartbeatInMs: Int64?
        public var confirm: Int
        public var txHeartbeats: Int
        public var rxHeartbeats: Int
        public var missedHeartbeats: Int
        public var newConnections: Int
        public var protocolErrors: Int
        public var collisions: Int
        public var teaching: Bool
        public var learning: Bool
        public var tables: [Table]
    }

    public struct Section: Sendable, Equatable {
        public var name: String
        /// The local resync: "from local", "from remote" or "finished".
        public var resyncState: String
        /// Milliseconds until the resync gives up waiting (nil when finished).
        public var resyncTimeoutInMs: Int64?
        public var peers: [Peer]
        public var connectedPeers: Int { peers.filter { $0.established && !$0.isLocal }.count }
        // Bad input and traffic, counted.
        public var rejectedHandshakes: Int
        public var protocolErrors: Int
        public var sizeErrors: Int
        public var ignoredDefinitions: Int
        public var updatesReceived: Int
        public var updatesSent: Int
    }

    public var sections: [Section] = []
    public var localPeer: String = ""
    /// HAProxy's ActivePeers (`show info`, haproxy_process_active_peers): peer sessions open,
    /// handshaking or established; ConnectedPeers: the established ones.
    public var activePeers: Int { sections.reduce(0) { $0 + $1.peers.filter(\.active).count } }
    public var connectedPeers: Int { sections.reduce(0) { $0 + $1.peers.filter(\.established).count } }
    /// Table changes the workers could not queue (their outbox was full), and those taken.
    public var queuedDrops: Int = 0
    public var takenChanges: Int = 0
    public init() {}
    init(sections: [Section], localPeer: String, queuedDrops: Int, takenChanges: Int) {
        self.sections = sections; self.localPeer = localPeer; self.queuedDrops = queuedDrops; self.takenChanges = takenChanges
    }
}

extension PeersSnapshot.Section {
    init(_ s: PeersSectionState, now: Int64) {
        name = s.name
        resyncState = s.resyncFinished ? "finished" : (s.resyncLocalDone ? "from remote" : "from local")
        resyncTimeoutInMs = s.resyncFinished ? nil : max(0, s.resyncTimeoutMs - now)
        peers = s.peers.map { p in
            PeersSnapshot.Peer(
                name: p.name, isLocal: p.isLocal, active: p.link != nil, established: p.isEstablished,
                address: p.link?.remoteAddress ?? p.host.map { "\($0.contains(":") ? "[\($0)]" : $0):\(p.port ?? 0)" } ?? "",
                lastStatus: PeersStatus.name(p.statusCode), lastStatusCode: p.statusCode,
                lastHandshakeAgoMs: p.lastHandshakeMs > 0 ? now - p.lastHandshakeMs : nil,
                reconnectInMs: p.reconnectMs > 0 ? max(0, p.reconnectMs - now) : nil,
                heartbeatInMs: p.heartbeatMs > 0 ? max(0, p.heartbeatMs - now) : nil,
                confirm: p.confirm, txHeartbeats: p.txHeartbeats, rxHeartbeats: p.rxHeartbeats,
                missedHeartbeats: p.missedHeartbeats, newConnections: p.newConnections,
                protocolErrors: p.protocolErrors, collisions: p.collisions,
                teaching: p.teachProcess, learning: p.learnAssign,
                tables: zip(s.tables, p.tables).map { t, c in
                    PeersSnapshot.Table(name: t.info.name, localID: t.localID, remoteID: c.remoteID, lastAcked: c.lastAcked,
                                        lastPushed: c.lastPushed, lastGet: c.lastGet, teachingOrigin: c.teachingOrigin,
                                        update: c.update, localUpdate: t.log.head, entries: t.table.count)
                })
        }
        rejectedHandshakes = s.rejectedHandshakes
        protocolErrors = s.protocolErrorCount
        sizeErrors = s.sizeErrorCount
        ignoredDefinitions = s.ignoredDefinitions
        updatesReceived = s.updatesReceived
        updatesSent = s.updatesSent
    }
}
