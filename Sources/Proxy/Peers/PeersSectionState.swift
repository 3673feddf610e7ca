// The peers protocol for one `peers` section, as HAProxy 2.6 runs it (src/peers.c): the
// handshake on each link, one session per pair of peers (the last connected wins), table
// definitions, updates (incremental, with ids, timed), acknowledgements, heartbeats and
// liveness, the resynchronisation of a starting process (from the old local process on a
// reload, else from one remote peer) and the teaching of others, and the soft-stop hand-over.
//
// No sockets here: links are byte buffers the peers thread (or a test) moves to and from the
// network through a PeersTransport. All of it runs on the peers thread.

#if canImport(Glibc)
import Glibc
#endif

/// What the protocol logic asks of the I/O layer.
protocol PeersTransport: AnyObject {
    /// Starts a TCP connection to `peer` of `section`; nil when it cannot even start.
    func connect(_ section: PeersSectionState, peer: Int, now: Int64) -> PeerLink?
    /// The link is over: send what is queued (best effort) and close it.
    func close(_ link: PeerLink)
    /// Something worth a log line happened.
    func event(_ section: PeersSectionState, _ event: PeersEvent)
}

/// Log-worthy events.
enum PeersEvent: Equatable {
    case connected(peer: String, address: String, incoming: Bool)
    case disconnected(peer: String, reason: String)
    case rejected(address: String, status: Int, reason: String)
    case protocolError(peer: String, reason: String)
    case resyncFinished(from: String)
    case resyncPartial(from: String)
    case resyncTimedOut(stage: String)
    case taught(peer: String, entries: Int)
}

/// A table shared with the section, and its local update log (a class: the per-update code
/// reads it without copying it).
final class SharedStickTable {
    /// Index in the StickTableSet (what the workers' records name).
    let setIndex: Int
    /// 1-based id announced in definitions.
    let localID: Int
    let info: StickTableInfo
    let table: AppSessionTable
    let wireName: [UInt8]
    /// Roster key → index (a received server_key names a server of the roster).
    let rosterIndex: [[UInt8]: Int32]
    let rosterKeys: [[UInt8]]
    var log: StickUpdateLog
    /// What the definition message announces: server_id and server_key, and the counters
    /// the table stores (with their periods).
    let announcedTypes: UInt64
    let definitionParams: [UInt8]

    init(setIndex: Int, localID: Int, info: StickTableInfo, table: AppSessionTable, logCapacity: Int) {
        self.setIndex = setIndex; self.localID = localID; self.info = info; self.table = table
        announcedTypes = StickDataType.storedByStickRules | info.counters.storedBits
        definitionParams = info.counters.definitionParams
        wireName = Array(info.wireName.utf8)
        rosterKeys = info.roster.map { Array($0.utf8) }
        var idx: [[UInt8]: Int32] = [:]
        for (i, k) in rosterKeys.enumerated() where idx[k] == nil { idx[k] = Int32(i) }
        rosterIndex = idx
        log = StickUpdateLog(capacity: logCapacity)
    }
}

/// One peer's view of one shared table (HAProxy's struct shared_table).
struct PeerTableCursor {
    /// The peer's id for this table (from its definition), and what its updates carry.
    var remoteID = 0
    var remoteLayout: RemoteTableLayout? = nil
    /// Last update id received from the peer, and the last one we acknowledged.
    var lastGet: UInt32 = 0
    var lastAcked: UInt32 = 0
    /// Last local update id pushed to the peer; last one it acknowledged (kept across links).
    var lastPushed: UInt32 = 0
    var update: UInt32 = 0
    var teachingOrigin: UInt32 = 0
    /// A walk over the whole table in progress (next shard), for a resync or because the
    /// peer's position fell out of the log window.
    var walkShard: Int? = nil
    /// Log head when the walk started (incremental pushing resumes after it).
    var walkOrigin: UInt32 = 0
    /// Id of the next update a walk sends (ids of walked entries only count messages).
    var walkID: UInt32 = 0
    /// The teach walk of this table is done (HAProxy's SHTABLE_F_TEACH_STAGE1|2).
    var taught = false
}

/// One peer of the section (HAProxy's struct peer), the local one included.
final class PeerState {
    let name: String
    let host: String?
    let port: Int?
    let isLocal: Bool
    var link: PeerLink? = nil
    /// Last status (PeersStatus), 0: never tried.
    var statusCode = 0
    var lastHandshakeMs: Int64 = 0
    /// Next connect (no link), or liveness deadline (established).
    var reconnectMs: Int64 = 0
    var heartbeatMs: Int64 = 0
    var confirm = 0
    // HAProxy's peer flags.
    var teachProcess = false
    var teachFinished = false
    var teachComplete = false
    var learnAssign = false
    var learnNotUpToDate = false
    var alive = false
    var heartbeatDue = false
    var downgrade = false
    // Counters (`show peers`).
    var txHeartbeats = 0, rxHeartbeats = 0, missedHeartbeats = 0
    var newConnections = 0, protocolErrors = 0, collisions = 0
    var tables: [PeerTableCursor]
    /// The table the peer's next updates are for, and the last table we announced.
    var remoteTable: Int? = nil
    var lastLocalTable: Int? = nil
    var dictionary = PeerDictionaryCache()
    var taughtEntries = 0
    /// Next time local updates and acks may go out (see PeersSectionState.pushIntervalMs).
    var nextPushMs: Int64 = 0

    init(_ p: PeerConfig, tables: Int) {
        name = p.name; host = p.host; port = p.port; isLocal = p.isLocal
        self.tables = Array(repeating: PeerTableCursor(), count: tables)
    }

    var isEstablished: Bool { link?.state == .established }
}

final class PeersSectionState {
    static let resyncTimeoutMs: Int64 = 5000
    static let reconnectTimeoutMs: Int64 = 5000
    static let heartbeatIntervalMs: Int64 = 3000
    /// Bytes queued on a link before the sender waits for the socket to drain.
    static let outputHighWater = 256 * 1024

    let name: String
    let localName: String
    let pid: Int32
    let peers: [PeerState]
    let localIndex: Int
    let tables: [SharedStickTable]
    let transport: any PeersTransport
    /// Incoming links whose hello is not complete yet.
    var pending: [PeerLink] = []

    // Resync state (HAProxy's PEERS_F_RESYNC_*).
    var resyncLocalDone = false
    var resyncRemoteDone = false
    var resyncAssigned = false
    var resyncProcess = false
    var resyncTimeoutMs: Int64 = 0
    var resyncFlags = ResyncHistory()
    var stopping = false
    /// Still handing the tables to the new process (the process waits for it).
    var holdsStop = false
    var linkIDs = 0

    // Counters of bad input (the "counted").
    var rejectedHandshakes = 0
    var protocolErrorCount = 0
    var sizeErrorCount = 0
    var ignoredDefinitions = 0
    var updatesReceived = 0
    var updatesSent = 0

    struct ResyncHistory: Equatable {
        var localTimeout = false, remoteTimeout = false
        var localAbort = false, remoteAbort = false
        var localFinished = false, remoteFinished = false
        var localPartial = false, remotePartial = false
        var localAssign = false, remoteAssign = false
        var requested = false
    }

    /// `reload`: this process replaces one (`-sf`): wait 5 s for it to teach us first.
    init(config: PeersSectionConfig, localName: String, tables: [SharedStickTable], transport: any PeersTransport,
         reload: Bool, now: Int64, pid: Int32 = getpid()) {
        name = config.name
        self.localName = localName
        self.pid = pid
        self.tables = tables
        peers = config.peers.map { PeerState($0, tables: tables.count) }
        localIndex = config.localIndex ?? 0
        self.transport = transport
        resyncTimeoutMs = now + Self.resyncTimeoutMs
        if !reload {
            // No old process to learn from: go to the remote peers at once.
            resyncLocalDone = true
            resyncFlags.localTimeout = true
        }
    }

    var resyncFinished: Bool { resyncLocalDone && resyncRemoteDone }
    var local: PeerState { peers[localIndex] }

    func nextLinkID() -> Int { linkIDs += 1; return linkIDs }

    // MARK: the sync task (HAProxy's process_peer_sync), run every loop turn

    /// Connects, reconnects, assigns the resync, schedules heartbeats. Returns the next
    /// time it needs to run.
    @discardableResult
    func tick(now: Int64) -> Int64 {
        var next = now + 1000
        if !stopping {
            if !resyncLocalDone && !resyncAssigned && now >= resyncTimeoutMs {
                // No old process came to teach us: ask the remote peers.
                resyncLocalDone = true
                resyncFlags.localTimeout = true
                resyncTimeoutMs = now + Self.resyncTimeoutMs
                transport.event(self, .resyncTimedOut(stage: "local"))
            }
            for (i, p) in peers.enumerated() where !p.isLocal {
                if p.link == nil {
                    let retryable = p.statusCode == 0 || ((p.statusCode == PeersStatus.connecting || p.statusCode == PeersStatus.success
                                                           || p.statusCode == PeersStatus.connected) && now >= p.reconnectMs)
                    if retryable, p.host != nil {
                        startSession(i, now: now)
                    } else if now < p.reconnectMs {
                        next = min(next, p.reconnectMs)
                    }
                } else if p.statusCode == PeersStatus.success && p.isEstablished {
                    if resyncLocalDone && !resyncRemoteDone && !resyncAssigned && !p.learnNotUpToDate {
                        p.learnAssign = true
                        resyncAssigned = true
                        resyncFlags.remoteAssign = true
                    } else if hasUpdatesToPush(p) {
                        // Updates keep the peer informed: no heartbeat, no liveness check.
                        p.heartbeatDue = false
                        p.heartbeatMs = now + Self.heartbeatIntervalMs
                        next = min(next, p.reconnectMs, p.heartbeatMs)
                    } else {
                        if now >= p.reconnectMs {
                            if p.alive {
                                p.alive = false
                                p.reconnectMs = now + Self.reconnectTimeoutMs
                            } else {
                                p.reconnectMs = now + Self.randomDelay()
                                p.heartbeatMs = 0
                                p.missedHeartbeats += 1
                                shutdown(i, reason: "no message for \(Self.reconnectTimeoutMs / 1000) s", now: now)
                            }
                        } else if now >= p.heartbeatMs {
                            p.heartbeatMs = now + Self.heartbeatIntervalMs
                            p.heartbeatDue = true
                        }
                        next = min(next, p.reconnectMs, p.heartbeatMs > 0 ? p.heartbeatMs : next)
                    }
                    if hasUpdatesToPush(p) || p.tables.contains(where: { $0.lastGet != $0.lastAcked }) {
                        next = min(next, max(now, p.nextPushMs))      // the next batch
                    }
                }
            }
            if resyncLocalDone && !resyncRemoteDone && !resyncAssigned && now >= resyncTimeoutMs {
                resyncRemoteDone = true
                resyncFlags.remoteTimeout = true
                transport.event(self, .resyncTimedOut(stage: "remote"))
            }
            if !resyncFinished && now < resyncTimeoutMs { next = min(next, resyncTimeoutMs) }
        } else {
            let l = local
            if l.teachComplete {
                holdsStop = false
            } else if l.link == nil && holdsStop {
                if [0, PeersStatus.success, PeersStatus.connected, PeersStatus.tryAgain].contains(l.statusCode) {
                    if now >= l.reconnectMs {
                        startSession(localIndex, now: now)
                        l.reconnectMs = now + 200          // a busy new process answers 300: ask again soon
                    } else {
                        next = min(next, l.reconnectMs)
                    }
                } else {
                    holdsStop = false           // no new process to teach (nothing listens, or it refused)
                }
            }
        }
        // Send what each established link has to send.
        for (i, p) in peers.enumerated() where p.isEstablished { sendMessages(i, now: now) }
        return next
    }

    /// HAProxy's 50..2050 ms before reconnecting after a collision or a dead link.
    static func randomDelay() -> Int64 { 50 + Int64.random(in: 0..<2000) }

    func startSession(_ i: Int, now: Int64) {
        let p = peers[i]
        p.newConnections += 1
        p.reconnectMs = now + Self.reconnectTimeoutMs
        p.heartbeatMs = 0
        p.statusCode = PeersStatus.connecting
        p.lastHandshakeMs = now
        guard let link = transport.connect(self, peer: i, now: now) else { return }
        p.link = link
        link.output.append(PeersHandshake.hello(remote: p.name, local: localName, pid: pid,
                                                minorVersion: p.downgrade ? 0 : PeersMessage.minorVersion))
    }

    func hasUpdatesToPush(_ p: PeerState) -> Bool {
        for (t, c) in zip(tables, p.tables) where c.lastPushed != t.log.head { return true }
        return false
    }

    // MARK: soft stop

    /// The process is stopping: close the remote sessions and hand the tables to the new
    /// process through the local peer's address.
    func beginSoftStop(now: Int64) {
        guard !stopping else { return }
        stopping = true
        holdsStop = true
        for (i, p) in peers.enumerated() {
            p.reconnectMs = p.isLocal ? now : now + Self.randomDelay()
            if p.link != nil { shutdown(i, reason: "soft stop", now: now) }
        }
        for l in pending { closeLink(l) }
        pending.removeAll()
    }

    // MARK: links

    func accepted(_ link: PeerLink) { pending.append(link) }

    /// Bytes arrived on `link` (already appended to its input) or it was closed by the other
    /// side (`eof`). Parses what is complete.
    func received(_ link: PeerLink, eof: Bool, now: Int64) {
        loop: while link.isOpen {
            switch link.state {
            case .awaitingHello(let line):
                guard readHelloLine(link, line, now: now) else { break loop }
            case .awaitingStatus:
                guard readStatus(link, now: now) else { break loop }
            case .established:
                guard readMessage(link, now: now) else { break loop }
            case .connecting, .closing, .closed:
                break loop
            }
        }
        if eof && link.isOpen { linkEnded(link, reason: "closed by the peer", now: now) }
    }

    /// The TCP connect of an outgoing link finished (nil: success).
    func connectFinished(_ link: PeerLink, error: String?, now: Int64) {
        guard let i = link.peer else { return }
        if let error {
            linkEnded(link, reason: "connect: \(error)", now: now)
            return
        }
        link.state = .awaitingStatus
        if peers[i].link === link { peers[i].statusCode = PeersStatus.connected }
    }

    /// The socket failed or closed.
    func linkFailed(_ link: PeerLink, reason: String, now: Int64) { linkEnded(link, reason: reason, now: now) }

    private func closeLink(_ link: PeerLink) {
        guard link.state != .closed else { return }
        link.state = .closing
        transport.close(link)
    }

    private func linkEnded(_ link: PeerLink, reason: String, now: Int64) {
        if let i = link.peer, peers[i].link === link {
            let wasEstablished = link.state == .established
            deinitSession(i, now: now)
            if wasEstablished { transport.event(self, .disconnected(peer: peers[i].name, reason: reason)) }
        }
        pending.removeAll { $0 === link }
        closeLink(link)
    }

    /// HAProxy's __peer_session_deinit.
    private func deinitSession(_ i: Int, now: Int64) {
        let p = peers[i]
        p.dictionary.reset()
        p.remoteTable = nil
        p.lastLocalTable = nil
        p.link = nil
        if p.learnAssign {
            p.learnAssign = false
            resyncAssigned = false
            resyncProcess = false
            if p.isLocal { resyncFlags.localAbort = true } else { resyncFlags.remoteAbort = true }
            resyncTimeoutMs = now + Self.resyncTimeoutMs
        }
        p.teachProcess = false
        p.teachFinished = false
        p.learnNotUpToDate = false
        p.alive = false
        for t in p.tables.indices { p.tables[t].walkShard = nil }
    }

    /// Forces the session with peer `i` down (collision, dead link, soft stop).
    func shutdown(_ i: Int, reason: String, now: Int64) {
        guard let link = peers[i].link else { return }
        linkEnded(link, reason: reason, now: now)
    }

    // MARK: handshake

    private func reject(_ link: PeerLink, status: Int, reason: String) {
        rejectedHandshakes += 1
        link.output.append(PeersHandshake.status(status))
        transport.event(self, .rejected(address: link.remoteAddress, status: status, reason: reason))
        pending.removeAll { $0 === link }
        closeLink(link)
    }

    /// Reads one hello line; false when it needs more bytes or the link ended.
    private func readHelloLine(_ link: PeerLink, _ n: Int, now: Int64) -> Bool {
        let (text, taken, tooLong) = link.input.withBytes { b, s, e in PeersHandshake.line(b, at: s, end: e) }
        guard let text else {
            if tooLong { rejectedHandshakes += 1; pending.removeAll { $0 === link }; closeLink(link) }
            return false
        }
        link.input.consume(taken)
        switch n {
        case 1:
            let (status, minor) = PeersHandshake.checkVersion(text)
            if let status { reject(link, status: status, reason: "hello: '\(text.prefix(40))'"); return false }
            link.remoteMinor = minor
            link.state = .awaitingHello(line: 2)
        case 2:
            guard text == localName else { reject(link, status: PeersStatus.badLocalName, reason: "hello for '\(text.prefix(40))', not '\(localName)'"); return false }
            link.state = .awaitingHello(line: 3)
        default:
            guard let sender = PeersHandshake.senderName(text) else {
                reject(link, status: PeersStatus.protocolError, reason: "hello: no process id after the peer name"); return false
            }
            guard let i = peers.firstIndex(where: { $0.name == sender }) else {
                reject(link, status: PeersStatus.unknownPeer, reason: "unknown peer '\(sender.prefix(40))'"); return false
            }
            let p = peers[i]
            if let old = p.link, old !== link {
                if p.isLocal {
                    reject(link, status: PeersStatus.tryAgain, reason: "the local peer is already connected"); return false
                }
                // Both sides connected at once: the last connection wins, the other retries later.
                p.reconnectMs = now + Self.randomDelay()
                linkEnded(old, reason: "replaced by the peer's own connection", now: now)
                p.heartbeatMs = 0
                p.collisions += 1
            }
            if stopping && !p.isLocal { reject(link, status: PeersStatus.tryAgain, reason: "stopping"); return false }
            p.downgrade = link.remoteMinor == 0
            pending.removeAll { $0 === link }
            link.peer = i
            p.link = link
            p.alive = true
            link.output.append(PeersHandshake.status(PeersStatus.success))
            link.state = .established
            initAcceptedSession(i, now: now)
            transport.event(self, .connected(peer: p.name, address: link.remoteAddress, incoming: true))
        }
        return true
    }

    private func readStatus(_ link: PeerLink, now: Int64) -> Bool {
        let (text, taken, tooLong) = link.input.withBytes { b, s, e in PeersHandshake.line(b, at: s, end: e) }
        guard let text else {
            if tooLong { linkEnded(link, reason: "status line too long", now: now) }
            return false
        }
        link.input.consume(taken)
        guard let i = link.peer, peers[i].link === link else { closeLink(link); return false }
        let p = peers[i]
        p.statusCode = PeersHandshake.statusCode(text)
        p.lastHandshakeMs = now
        guard p.statusCode == PeersStatus.success else {
            if p.statusCode == PeersStatus.badVersion { p.downgrade = true }
            linkEnded(link, reason: "handshake refused with status \(p.statusCode) (\(PeersStatus.name(p.statusCode)))", now: now)
            return false
        }
        link.state = .established
        initConnectedSession(i, now: now)
        transport.event(self, .connected(peer: p.name, address: link.remoteAddress, incoming: false))
        return true
    }

    /// Cursors at the start of a session (HAProxy's init_accepted_peer/init_connected_peer).
    private func initCursors(_ p: PeerState, now: Int64) {
        p.heartbeatMs = now + Self.heartbeatIntervalMs
        p.confirm = 0
        for t in tables.indices {
            var c = p.tables[t]
            c.lastGet = 0; c.lastAcked = 0
            c.remoteID = 0; c.remoteLayout = nil
            // An acknowledgement "in the future" of our log means it is stale: start over.
            if Int32(bitPattern: tables[t].log.head &- c.update) < 0 { c.update = 0 }
            c.teachingOrigin = c.update
            c.lastPushed = c.update
            c.walkShard = nil
            c.taught = false
            p.tables[t] = c
        }
        p.teachProcess = false; p.teachFinished = false
        p.learnAssign = false; p.learnNotUpToDate = false
        p.remoteTable = nil; p.lastLocalTable = nil
        p.dictionary.reset()
    }

    private func initAcceptedSession(_ i: Int, now: Int64) {
        let p = peers[i]
        p.statusCode = PeersStatus.success
        p.lastHandshakeMs = now
        initCursors(p, now: now)
        if p.isLocal {
            // The old process connects to teach us everything it knows.
            if !resyncLocalDone && !resyncAssigned {
                p.learnAssign = true
                resyncAssigned = true
                resyncProcess = true
                resyncFlags.localAssign = true
            }
        } else if resyncLocalDone && !resyncRemoteDone && !resyncAssigned {
            p.learnAssign = true
            resyncAssigned = true
            resyncFlags.remoteAssign = true
        }
    }

    private func initConnectedSession(_ i: Int, now: Int64) {
        let p = peers[i]
        initCursors(p, now: now)
        if p.isLocal {
            // We are the old process: teach the new one.
            p.teachProcess = true
        } else if resyncLocalDone && !resyncRemoteDone && !resyncAssigned {
            p.learnAssign = true
            resyncAssigned = true
            resyncFlags.remoteAssign = true
        }
    }

    // MARK: receiving messages

    /// Parses one message; false when more bytes are needed or the link ended.
    private func readMessage(_ link: PeerLink, now: Int64) -> Bool {
        guard let i = link.peer, peers[i].link === link else { closeLink(link); return false }
        let frame = link.input.withBytes { b, s, e in PeersFrameReader.next(b, at: s, end: e) }
        switch frame {
        case .incomplete:
            return false
        case .protocolError:
            protocolError(i, link, "message length does not end within 5 bytes", now: now)
            return false
        case .sizeError:
            sizeErrorCount += 1
            peers[i].protocolErrors += 1
            link.output.append([PeersMessage.classError, PeersMessage.errorSizeLimit])
            transport.event(self, .protocolError(peer: peers[i].name, reason: "message larger than \(PeersMessage.maxBody) bytes"))
            linkEnded(link, reason: "message too large", now: now)
            return false
        case .message(let cls, let type, let body, let length):
            let ok = link.input.withBytes { b, _, _ in handleMessage(i, link, cls: cls, type: type, b, body, now: now) }
            guard ok else { return false }
            peers[i].alive = true
            if link.isOpen && peers[i].link === link { link.input.consume(length) }
            return link.isOpen
        }
    }

    private func protocolError(_ i: Int, _ link: PeerLink, _ reason: String, now: Int64) {
        protocolErrorCount += 1
        peers[i].protocolErrors += 1
        link.output.append([PeersMessage.classError, PeersMessage.errorProtocol])
        transport.event(self, .protocolError(peer: peers[i].name, reason: reason))
        linkEnded(link, reason: "protocol error: \(reason)", now: now)
    }

    /// One complete message; false when it ended the link.
    private func handleMessage(_ i: Int, _ link: PeerLink, cls: UInt8, type: UInt8, _ b: UnsafeRawBufferPointer,
                               _ body: Range<Int>, now: Int64) -> Bool {
        let p = peers[i]
        switch cls {
        case PeersMessage.classControl:
            switch type {
            case PeersMessage.resyncRequest:
                for t in tables.indices {
                    p.tables[t].teachingOrigin = p.tables[t].update
                    p.tables[t].lastPushed = p.tables[t].update
                    p.tables[t].taught = false
                    p.tables[t].walkShard = nil
                }
                p.teachProcess = true
                p.teachFinished = false
                p.taughtEntries = 0
                resyncFlags.requested = true
            case PeersMessage.resyncFinished:
                if p.learnAssign {
                    p.learnAssign = false
                    resyncAssigned = false; resyncProcess = false
                    resyncLocalDone = true; resyncRemoteDone = true
                    if p.isLocal { resyncFlags.localFinished = true } else { resyncFlags.remoteFinished = true }
                    transport.event(self, .resyncFinished(from: p.isLocal ? "the old local process" : "peer '\(p.name)'"))
                }
                p.confirm += 1
            case PeersMessage.resyncPartial:
                if p.learnAssign {
                    p.learnAssign = false
                    resyncAssigned = false; resyncProcess = false
                    if p.isLocal { resyncFlags.localPartial = true } else { resyncFlags.remotePartial = true }
                    p.learnNotUpToDate = true
                    resyncTimeoutMs = now + Self.resyncTimeoutMs
                    transport.event(self, .resyncPartial(from: p.isLocal ? "the old local process" : "peer '\(p.name)'"))
                }
                p.confirm += 1
            case PeersMessage.resyncConfirm:
                if stopping {
                    // The new process has everything: our job is done.
                    p.teachComplete = true
                    holdsStop = false
                    transport.event(self, .taught(peer: p.name, entries: p.taughtEntries))
                    linkEnded(link, reason: "tables handed over", now: now)
                    return false
                }
                for t in tables.indices {
                    p.tables[t].update = p.tables[t].teachingOrigin
                    p.tables[t].lastPushed = p.tables[t].teachingOrigin
                    p.tables[t].taught = false
                }
                p.teachProcess = false
                p.teachFinished = false
            case PeersMessage.heartbeat:
                p.reconnectMs = now + Self.reconnectTimeoutMs
                p.rxHeartbeats += 1
            default:
                break                   // unknown control types are ignored, as in HAProxy
            }
        case PeersMessage.classStickTable:
            switch type {
            case PeersMessage.define:
                return receiveDefinition(i, link, b, body, now: now)
            case PeersMessage.switchTable:
                var c = body.lowerBound
                guard let id = PeersVarint.decode(b, &c, end: body.upperBound) else {
                    protocolError(i, link, "malformed table switch", now: now); return false
                }
                p.remoteTable = p.tables.firstIndex { $0.remoteID == Int(id) && $0.remoteID != 0 }
            case PeersMessage.update, PeersMessage.incrementalUpdate, PeersMessage.updateTimed, PeersMessage.incrementalUpdateTimed:
                return receiveUpdate(i, link, type: type, b, body, now: now)
            case PeersMessage.ack:
                guard !p.teachProcess else { break }
                var c = body.lowerBound
                guard let id = PeersVarint.decode(b, &c, end: body.upperBound), c + 4 <= body.upperBound else {
                    protocolError(i, link, "malformed acknowledgement", now: now); return false
                }
                let update = UInt32(b[c]) << 24 | UInt32(b[c + 1]) << 16 | UInt32(b[c + 2]) << 8 | UInt32(b[c + 3])
                if let t = tables.firstIndex(where: { $0.localID == Int(id) }), p.tables[t].walkShard == nil,
                   Int32(bitPattern: tables[t].log.head &- update) >= 0 {
                    p.tables[t].update = update
                }
            default:
                break
            }
        case PeersMessage.classReserved:
            protocolError(i, link, "reserved message class", now: now)
            return false
        default:
            break                       // error class and unknown classes are ignored, as in HAProxy
        }
        return true
    }

    private func receiveDefinition(_ i: Int, _ link: PeerLink, _ b: UnsafeRawBufferPointer, _ body: Range<Int>, now: Int64) -> Bool {
        let p = peers[i]
        var c = body.lowerBound
        let end = body.upperBound
        guard let id = PeersVarint.decode(b, &c, end: end), let nameLength = PeersVarint.decode(b, &c, end: end) else {
            protocolError(i, link, "malformed table definition", now: now); return false
        }
        p.remoteTable = nil
        guard nameLength > 0, c + Int(nameLength) < end else {
            protocolError(i, link, "malformed table definition", now: now); return false
        }
        let name = UnsafeRawBufferPointer(rebasing: b[c..<c + Int(nameLength)])
        for t in p.tables.indices where p.tables[t].remoteID == Int(id) { p.tables[t].remoteID = 0 }
        guard let t = tables.firstIndex(where: { $0.wireName.elementsEqual(name) }) else {
            ignoredDefinitions += 1          // a table we do not share with this section
            return true
        }
        c += Int(nameLength)
        guard let type = PeersVarint.decode(b, &c, end: end), let keySize = PeersVarint.decode(b, &c, end: end),
              let dataTypes = PeersVarint.decode(b, &c, end: end) else {
            protocolError(i, link, "malformed table definition", now: now); return false
        }
        guard StickKeyType(wireType: Int(type)) == tables[t].info.keyType, Int(keySize) == tables[t].info.wireKeySize else {
            ignoredDefinitions += 1          // same name, other key: HAProxy ignores it too
            return true
        }
        let hasExpiry = PeersVarint.decode(b, &c, end: end) != nil
        guard let layout = RemoteTableLayout.parse(dataTypes: dataTypes, params: b, &c, end: end, hasExpiry: hasExpiry) else {
            ignoredDefinitions += 1
            return true
        }
        p.tables[t].remoteLayout = layout
        p.tables[t].remoteID = Int(id)
        p.remoteTable = t
        return true
    }

    private func receiveUpdate(_ i: Int, _ link: PeerLink, type: UInt8, _ b: UnsafeRawBufferPointer, _ body: Range<Int>, now: Int64) -> Bool {
        let p = peers[i]
        guard let t = p.remoteTable, let layout = p.tables[t].remoteLayout else { return true }    // no table: ignored
        var c = body.lowerBound
        let end = body.upperBound
        func malformed() -> Bool { protocolError(i, link, "malformed update", now: now); return false }
        if type == PeersMessage.update || type == PeersMessage.updateTimed {
            guard c + 4 <= end else { return malformed() }
            p.tables[t].lastGet = UInt32(b[c]) << 24 | UInt32(b[c + 1]) << 16 | UInt32(b[c + 2]) << 8 | UInt32(b[c + 3])
            c += 4
        } else {
            p.tables[t].lastGet &+= 1
        }
        let info = tables[t].info
        var expireMs = Int64(info.expireMs)
        if type == PeersMessage.updateTimed || type == PeersMessage.incrementalUpdateTimed {
            guard c + 4 <= end else { return malformed() }
            let remaining = Int32(bitPattern: UInt32(b[c]) << 24 | UInt32(b[c + 1]) << 16 | UInt32(b[c + 2]) << 8 | UInt32(b[c + 3]))
            c += 4
            if info.expireMs > 0 { expireMs = Int64(max(0, remaining)) }
        }
        // The key, as the table's type is sent.
        let keyStart: Int, keyLength: Int
        switch info.keyType {
        case .string:
            guard let n = PeersVarint.decode(b, &c, end: end) else { return malformed() }
            let stored = min(Int(clamping: n), info.wireKeySize - 1)
            guard c + stored <= end else { return malformed() }
            keyStart = c; keyLength = stored
            c += Int(clamping: n)          // HAProxy skips the whole announced length
            guard c <= end else { return malformed() }
        default:
            guard c + info.wireKeySize <= end else { return malformed() }
            keyStart = c; keyLength = info.wireKeySize
            c += info.wireKeySize
        }
        guard let data = StickDataCodec.read(b, &c, end: end, layout: layout, cache: &p.dictionary) else { return malformed() }
        let roster = data.serverKey.flatMap { tables[t].rosterIndex[$0] } ?? -1
        let server = StickServer(roster: roster, id: Int32(clamping: data.serverID ?? 0))
        let key = UnsafeRawBufferPointer(rebasing: b[keyStart..<keyStart + keyLength])
        let expiry = info.expireMs > 0 ? now + expireMs : Int64.max / 4
        if keyLength > 0 {
            tables[t].table.applyRemote(key, server: server, expiry: expiry, now: now)
            tables[t].table.applyRemoteCounters(key, data.counters, layout: info.counters, now: now)
        }
        updatesReceived += 1
        return true
    }

    // MARK: sending messages (HAProxy's peer_send_msgs)

    /// Reused by sendMessages (its buffers keep their capacity).
    private var writer = PeersMessageWriter()
    /// Local updates and acks are sent at most this often per peer (0: at once, for tests).
    var pushIntervalMs: Int64 = 0

    func sendMessages(_ i: Int, now: Int64) {
        let p = peers[i]
        guard let link = p.link, link.state == .established else { return }
        var w = writer
        writer = PeersMessageWriter()
        w.out.removeAll(keepingCapacity: true)
        defer { writer = w }
        if p.heartbeatDue {
            p.heartbeatDue = false
            w.control(PeersMessage.heartbeat)
            p.txHeartbeats += 1
        }
        if p.learnAssign && resyncAssigned && !resyncProcess {
            w.control(PeersMessage.resyncRequest)
            resyncProcess = true
        }
        var allTaught = true
        // Acks and local updates go out in batches, at most every `pushIntervalMs`: a peer's
        // ack must not pull each small batch out of us (they would ping-pong at the RTT).
        let paced = now >= p.nextPushMs
        if paced && pushIntervalMs > 0 { p.nextPushMs = now + pushIntervalMs }
        for t in tables.indices {
            if paced && p.tables[t].lastGet != p.tables[t].lastAcked {
                w.ack(remoteTableID: p.tables[t].remoteID, updateID: p.tables[t].lastGet)
                p.tables[t].lastAcked = p.tables[t].lastGet
            }
            if link.output.count + w.count > Self.outputHighWater { allTaught = false; continue }
            if !p.teachProcess {
                if paced && !p.learnAssign { pushIncremental(p, t, &w, link: link, now: now) }
            } else if !p.teachFinished {
                if !p.tables[t].taught {
                    if p.tables[t].walkShard == nil { startWalk(p, t) }
                    walk(p, t, &w, link: link, timed: !p.downgrade, now: now)
                    if p.tables[t].walkShard == nil { p.tables[t].taught = true } else { allTaught = false }
                }
            }
        }
        if p.teachProcess && !p.teachFinished && allTaught {
            w.control(resyncFinished ? PeersMessage.resyncFinished : PeersMessage.resyncPartial)
            p.teachFinished = true
        }
        while p.confirm > 0 {
            w.control(PeersMessage.resyncConfirm)
            p.confirm -= 1
        }
        if w.count > 0 { link.output.append(w.out) }
    }

    /// Announces table `t` to the peer if the last updates were for another table.
    private func announce(_ p: PeerState, _ t: Int, _ w: inout PeersMessageWriter) {
        guard p.lastLocalTable != t else { return }
        let s = tables[t]
        w.define(localID: s.localID, name: s.wireName, keyType: s.info.keyType.wireType, keySize: s.info.wireKeySize,
                 dataTypes: s.announcedTypes, expireMs: s.info.expireMs, params: s.definitionParams)
        p.lastLocalTable = t
    }

    /// Pushes the local updates after the peer's position (or walks the table when the log
    /// no longer has them).
    private func pushIncremental(_ p: PeerState, _ t: Int, _ w: inout PeersMessageWriter, link: PeerLink, now: Int64) {
        let head = tables[t].log.head
        if p.tables[t].walkShard != nil {
            walk(p, t, &w, link: link, timed: false, now: now)
            if p.tables[t].walkShard == nil {
                p.tables[t].lastPushed = p.tables[t].walkOrigin
                p.tables[t].update = p.tables[t].walkOrigin
            }
            return
        }
        guard p.tables[t].lastPushed != head else { return }
        guard tables[t].log.covers(after: p.tables[t].lastPushed) else {
            // The peer's position left the log window: send the whole table instead.
            startWalk(p, t)
            pushIncremental(p, t, &w, link: link, now: now)
            return
        }
        var firstAfterAnnounce = p.lastLocalTable != t
        announce(p, t, &w)
        var id = p.tables[t].lastPushed
        while id != head, link.output.count + w.count <= Self.outputHighWater {
            id &+= 1
            guard let r = tables[t].log.record(id) else { break }
            let identifier = firstAfterAnnounce || p.tables[t].lastPushed == 0 || id &- p.tables[t].lastPushed != 1
            r.key.withUnsafeBytes { key in
                writeUpdate(p, t, &w, key: key, server: r.server, id: id, identifier: identifier, remainingMs: nil, now: now)
            }
            p.tables[t].lastPushed = id
            firstAfterAnnounce = false
        }
    }

    private func startWalk(_ p: PeerState, _ t: Int) {
        p.tables[t].walkShard = 0
        p.tables[t].walkOrigin = tables[t].log.head
        p.tables[t].walkID = tables[t].log.head
    }

    /// Sends the entries of the table, shard by shard, as updates (timed ones for a resync).
    private func walk(_ p: PeerState, _ t: Int, _ w: inout PeersMessageWriter, link: PeerLink, timed: Bool, now: Int64) {
        var first = p.lastLocalTable != t
        announce(p, t, &w)
        while let shard = p.tables[t].walkShard, link.output.count + w.count <= Self.outputHighWater {
            for e in tables[t].table.entries(shard: shard, now: now) {
                let remaining: Int32? = timed ? (tables[t].info.expireMs > 0 ? Int32(clamping: max(0, e.expiry - now)) : 0) : nil
                let id = p.tables[t].walkID
                e.key.withUnsafeBytes { key in
                    writeUpdate(p, t, &w, key: key, server: e.server, id: id, identifier: first, remainingMs: remaining, now: now)
                }
                first = false
                p.tables[t].walkID &+= 1
                p.taughtEntries += 1
            }
            let nextShard = shard + 1
            p.tables[t].walkShard = nextShard < AppSessionTable.shardCount ? nextShard : nil
        }
    }

    /// One update message (HAProxy's peer_prepare_updatemsg).
    private func writeUpdate(_ p: PeerState, _ t: Int, _ w: inout PeersMessageWriter, key: UnsafeRawBufferPointer,
                             server: StickServer, id: UInt32, identifier: Bool, remainingMs: Int32?, now: Int64) {
        let s = tables[t]
        // A table with counters sends the entry's values of now (and its server).
        var server = server
        var words: [UInt64] = []
        if s.info.counters.words > 0 || server.roster == StickServer.countersOnly,
           let snap = s.table.peerSnapshot(key, now: now) {
            server = snap.server
            words = snap.words
        }
        if server.roster == StickServer.countersOnly { server = StickServer(roster: -1, id: 0) }
        w.beginBody()
        if identifier { w.bodyUInt32(id) }
        if let r = remainingMs { w.bodyUInt32(UInt32(bitPattern: r)) }
        switch s.info.keyType {
        case .string:
            let n = min(key.count, s.info.wireKeySize - 1)
            w.bodyVarint(UInt64(n))
            w.bodyBytes(UnsafeRawBufferPointer(rebasing: key[0..<n]))
        default:
            let n = min(key.count, s.info.wireKeySize)
            w.bodyBytes(UnsafeRawBufferPointer(rebasing: key[0..<n]))
            w.bodyZeros(s.info.wireKeySize - n)
        }
        // Every announced type in bit order: server_id, the counters, server_key, the rest.
        w.bodyVarint(UInt64(bitPattern: Int64(server.id)))
        for bit in 1..<StickDataType.serverKey where s.announcedTypes & (1 << UInt64(bit)) != 0 {
            s.info.counters.encode(bit, words, now: now, into: &w)
        }
        if server.roster >= 0 && Int(server.roster) < s.rosterKeys.count {
            let text = s.rosterKeys[Int(server.roster)]
            let (slot, known) = p.dictionary.slotForSending(server.roster)
            if known {
                w.bodyVarint(1)
                w.bodyVarint(UInt64(slot + 1))
            } else {
                var entry: [UInt8] = []
                PeersVarint.append(UInt64(slot + 1), to: &entry)
                PeersVarint.append(UInt64(text.count), to: &entry)
                entry.append(contentsOf: text)
                w.bodyVarint(UInt64(entry.count))
                w.bodyBytes(entry)
            }
        } else {
            w.bodyVarint(0)
        }
        for bit in (StickDataType.serverKey + 1)..<StickDataType.all.count where s.announcedTypes & (1 << UInt64(bit)) != 0 {
            s.info.counters.encode(bit, words, now: now, into: &w)
        }
        let type: UInt8
        switch (identifier, remainingMs != nil) {
        case (true, true): type = PeersMessage.updateTimed
        case (false, true): type = PeersMessage.incrementalUpdateTimed
        case (true, false): type = PeersMessage.update
        case (false, false): type = PeersMessage.incrementalUpdate
        }
        w.endBody(type)
        updatesSent += 1
    }

    // MARK: local changes

    /// A change reported by a worker, for table `setIndex` of the StickTableSet.
    func localChange(setIndex: Int, key: UnsafeRawBufferPointer, server: StickServer) {
        guard let t = tables.firstIndex(where: { $0.setIndex == setIndex }) else { return }
        tables[t].log.append(key: key, server: server)
    }
}
