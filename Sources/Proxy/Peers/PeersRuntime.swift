// The peers thread: one per process, apart from the workers, with its own io_uring (one-shot
// readiness polls, rp_pollring) over non-blocking sockets: the listening socket of each
// section's local peer, the links to and from the other peers, and a pipe the workers write
// when they have stick-table changes for a thread that sleeps. Each turn it takes the
// workers' changes (StickUpdateQueue), runs each section's protocol logic
// (PeersSectionState), and moves bytes between the sockets and the links' buffers.
//
// The main thread only starts it, asks for the soft-stop hand-over, stops it, and reads its
// snapshot (`show peers`, the stats page).

import CUring
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

public final class PeersRuntime: @unchecked Sendable {
    // @unchecked: everything below `thread` is touched only by the peers thread between
    // start() and stop() (or before start()); the main thread uses the atomics, the wakeup
    // pipe and the snapshot's mutex.
    let sections: [PeersSectionState]
    let updates: StickUpdateQueues?
    let wakeup: PeersWakeup
    /// Table index in the StickTableSet → (section, index in the section's tables).
    let tableOwner: [(section: Int, table: Int)?]
    var listeners: [(section: Int, fd: Int32)] = []
    let logger: PeersEventLogger
    var thread: ControlThread? = nil
    let stopRequested = Atomic<Bool>(false)
    let softStopRequested = Atomic<Bool>(false)
    /// Set by the thread once the soft-stop hand-over is over (or was not needed).
    let handOverDone = Atomic<Bool>(false)
    let snapshotBox = Mutex(PeersSnapshot())

    var ring: OpaquePointer? = nil
    var links: [Int: PeerLink] = [:]
    var linkSection: [Int: Int] = [:]
    var armedRead: Set<Int> = []
    var armedWrite: Set<Int> = []
    var toClose: [PeerLink] = []
    var readBuffer = [UInt8](repeating: 0, count: 65536)
    var nextSnapshotMs: Int64 = 0
    /// Changes taken in the current 100 ms window, and whether the last windows were busy
    /// (above `busyChangesPerSecond`: batch every 10 ms; below: push each change at once).
    var windowStartMs: Int64 = 0
    var windowChanges = 0
    var busy = false
    static let busyChangesPerSecond = 1000
    /// The enabled sections' configurations (same order as `sections`).
    let sectionConfigs: [PeersSectionConfig]

    /// Binds every section's listener (errors are thrown before anything starts).
    /// `reload`: this process replaces another one (`-sf`), which will teach it its tables.
    public init(configuration c: Configuration, tables: StickTableSet, updates: StickUpdateQueues?,
                reload: Bool, toStderr: Bool) throws {
        self.updates = updates
        wakeup = updates?.wakeup ?? PeersWakeup()
        logger = PeersEventLogger(configuration: c, toStderr: toStderr)
        let now = MonotonicClock.nowMs()
        var owner: [Int: (section: Int, table: Int)] = [:]
        var built: [PeersSectionState] = []
        let placeholder = PeersTransportBox()
        for s in c.peers.sections where !s.disabled {
            let shared = tables.shared(with: s.name)
            let list = shared.enumerated().map { (n, ti) in
                SharedStickTable(setIndex: ti, localID: n + 1, info: tables.infos[ti], table: tables.tables[ti],
                                 logCapacity: max(1024, min(1 << 16, tables.infos[ti].capacity)))
            }
            for (n, ti) in shared.enumerated() { owner[ti] = (built.count, n) }
            built.append(PeersSectionState(config: s, localName: c.peers.localPeer, tables: list, transport: placeholder,
                                           reload: reload, now: now))
        }
        sections = built
        sectionConfigs = c.peers.sections.filter { !$0.disabled }
        tableOwner = (0..<tables.infos.count).map { owner[$0] }
        placeholder.runtime = self
        for (i, s) in sectionConfigs.enumerated() {
            if let fd = s.listenFD {
                // Already bound by whoever started us: make sure it listens, without blocking.
                _ = Glibc.listen(fd, 64)
                _ = rp_set_nonblock(fd)
                listeners.append((i, fd))
            } else if let address = s.listenAddress {
                listeners.append((i, try Self.listen(host: address.host, port: address.port, section: s.name)))
            }
        }
        publishSnapshot(now: now)
    }

    public var isEmpty: Bool { sections.isEmpty }

    // MARK: control (main thread)

    public func start() throws {
        guard thread == nil, !sections.isEmpty else { handOverDone.store(true, ordering: .releasing); return }
        thread = try ControlThread(name: "peers") { self.run() }
    }

    /// Soft stop: close the peers listeners and remote sessions, and teach the new process.
    public func beginSoftStop() {
        softStopRequested.store(true, ordering: .releasing)
        poke()
    }

    /// Waits until the tables were handed to the new process (or there was none), at most
    /// `timeoutMs`.
    public func waitForHandOver(timeoutMs: Int64) {
        guard thread != nil else { return }
        let deadline = MonotonicClock.nowMs() + timeoutMs
        while !handOverDone.load(ordering: .acquiring) && MonotonicClock.nowMs() < deadline { usleep(10_000) }
    }

    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        poke()
        thread?.join(); thread = nil
        for l in listeners { close(l.fd) }
        listeners.removeAll()
    }

    private func poke() {
        var one: UInt8 = 1
        _ = write(wakeup.writeFD, &one, 1)
    }

    /// What `show peers` and the stats page print.
    public func snapshot() -> PeersSnapshot { snapshotBox.withLock { $0 } }

    // MARK: the loop (peers thread)

    /// How long a busy peers thread waits before taking the workers' next changes.
    static let batchIntervalMs: Int32 = 10

    static let pipeTag: UInt64 = 1
    static func listenerTag(_ i: Int) -> UInt64 { UInt64(i) << 8 | 2 }
    static func readTag(_ link: Int) -> UInt64 { UInt64(link) << 8 | 3 }
    static func writeTag(_ link: Int) -> UInt64 { UInt64(link) << 8 | 4 }

    func run() {
        ring = rp_pollring_create(256)
        defer { if let r = ring { rp_pollring_destroy(r) }; ring = nil }
        guard ring != nil else { handOverDone.store(true, ordering: .releasing); return }
        _ = rp_pollring_add(ring, wakeup.fd, UInt32(POLLIN), Self.pipeTag)
        for (i, l) in listeners.enumerated() { _ = rp_pollring_add(ring, l.fd, UInt32(POLLIN), Self.listenerTag(i)) }
        var tags = [UInt64](repeating: 0, count: 64)
        var results = [Int32](repeating: 0, count: 64)
        var softStopping = false
        while !stopRequested.load(ordering: .acquiring) {
            var now = MonotonicClock.nowMs()
            if !softStopping && softStopRequested.load(ordering: .acquiring) {
                softStopping = true
                closeListeners()
                for s in sections { s.beginSoftStop(now: now) }
            }
            let took = drainUpdates()
            var next = now + 1000
            for s in sections { next = min(next, s.tick(now: now)) }
            finishCloses()
            var pendingOutput = false
            for l in links.values where l.fd >= 0 { if flush(l) { pendingOutput = true } }
            finishCloses()
            if softStopping && !handOverDone.load(ordering: .relaxed) && sections.allSatisfy({ !$0.holdsStop }) {
                handOverDone.store(true, ordering: .releasing)
            }
            if now >= nextSnapshotMs { publishSnapshot(now: now) }
            now = MonotonicClock.nowMs()
            var timeout = Int32(clamping: max(0, next - now))
            updateRate(took, now: now)
            if pendingOutput || busy {
                // Many changes: poll for the next batch every few ms rather than have the
                // workers wake us for each (a syscall for them, a context switch for both);
                // 10 ms bounds how stale a peer gets. Fewer changes go out as they come.
                timeout = min(timeout, Self.batchIntervalMs)
            } else if let q = updates?.queues, !wakeup.prepareToSleep(q) {
                timeout = 0
            }
            let n = tags.withUnsafeMutableBufferPointer { t in
                results.withUnsafeMutableBufferPointer { r in rp_pollring_wait(ring, timeout, t.baseAddress, r.baseAddress, 64) }
            }
            wakeup.sleeping.store(false, ordering: .relaxed)
            for k in 0..<Int(max(0, n)) { completion(tags[k], results[k]) }
        }
        for l in Array(links.values) { closeNow(l) }
        handOverDone.store(true, ordering: .releasing)
    }

    /// Tracks the change rate; switches the sections between pushing at once and batching.
    private func updateRate(_ took: Int, now: Int64) {
        windowChanges += took
        guard now - windowStartMs >= 100 else {
            if !busy && windowChanges * 10 > Self.busyChangesPerSecond { setBusy(true) }
            return
        }
        setBusy(windowChanges * 10 > Self.busyChangesPerSecond)
        windowStartMs = now
        windowChanges = 0
    }

    private func setBusy(_ b: Bool) {
        guard b != busy else { return }
        busy = b
        for s in sections { s.pushIntervalMs = b ? Int64(Self.batchIntervalMs) : 0 }
    }

    /// Takes the workers' changes into the update logs.
    private func drainUpdates() -> Int {
        guard let queues = updates?.queues else { return 0 }
        var n = 0
        for q in queues {
            // A `stick on` request reports its entry twice in a row (the match refreshes it,
            // the store keeps it): one update, as HAProxy does for an entry already scheduled.
            var previous: (table: Int, key: UnsafeRawBufferPointer, server: StickServer)? = nil
            n += q.drain { table, key, server in
                defer { previous = (table, key, server) }
                if let p = previous, p.table == table, p.server == server, p.key.elementsEqual(key) { return }
                guard table < tableOwner.count, let o = tableOwner[table] else { return }
                sections[o.section].tables[o.table].log.append(key: key, server: server)
            }
        }
        return n
    }

    private func completion(_ tag: UInt64, _ result: Int32) {
        let kind = tag & 0xff, id = Int(tag >> 8)
        let now = MonotonicClock.nowMs()
        switch kind {
        case 1:
            wakeup.awake()
            _ = rp_pollring_add(ring, wakeup.fd, UInt32(POLLIN), Self.pipeTag)
        case 2:
            guard id < listeners.count, listeners[id].fd >= 0 else { return }
            acceptAll(id, now: now)
            _ = rp_pollring_add(ring, listeners[id].fd, UInt32(POLLIN), Self.listenerTag(id))
        case 3:
            armedRead.remove(id)
            guard let link = links[id] else { return }
            readAll(link, now: now)
        case 4:
            armedWrite.remove(id)
            guard let link = links[id] else { return }
            if link.state == .connecting {
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(link.fd, SOL_SOCKET, SO_ERROR, &err, &len)
                let failed = result < 0 || err != 0 || (result & Int32(POLLERR | POLLHUP)) != 0
                link.tcpConnected = !failed
                section(of: link).connectFinished(link, error: failed ? String(cString: strerror(err != 0 ? err : ECONNREFUSED)) : nil, now: now)
                if !failed { armRead(link) }
                finishCloses()
            }
            if link.fd >= 0, links[link.id] != nil { _ = flush(link) }
        default:
            break
        }
    }

    private func section(of link: PeerLink) -> PeersSectionState { sections[linkSection[link.id]!] }

    // MARK: sockets

    static func listen(host: String, port: Int, section: String) throws -> Int32 {
        guard let (ss, len) = makeSockaddr(host: host, port: port) else {
            throw EngineError(description: "peers section '\(section)': invalid address '\(host):\(port)'")
        }
        var addr = ss
        let fd = socket(Int32(addr.ss_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw EngineError(description: "peers section '\(section)': socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        // A new process binds the same address while the old one still listens (reload).
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0, Glibc.listen(fd, 64) == 0 else {
            let e = String(cString: strerror(errno))
            close(fd)
            throw EngineError(description: "peers section '\(section)': cannot listen on \(host):\(port): \(e)")
        }
        return fd
    }

    private func closeListeners() {
        for (i, l) in listeners.enumerated() where l.fd >= 0 {
            _ = rp_pollring_remove(ring, Self.listenerTag(i))
            // The ring's pending poll keeps the socket alive past close(): shut it down first
            // so it leaves the SO_REUSEPORT group now (our hand-over connect must reach the
            // new process, not this dying listener).
            shutdown(l.fd, Int32(SHUT_RDWR))
            close(l.fd)
            listeners[i].fd = -1
        }
    }

    private func acceptAll(_ i: Int, now: Int64) {
        let s = sections[listeners[i].section]
        while true {
            var ss = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &ss) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listeners[i].fd, $0, &len) }
            }
            guard fd >= 0 else { return }
            _ = rp_set_nonblock(fd)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            setNoDelay(fd)
            let link = PeerLink(id: s.nextLinkID() << 8 | listeners[i].section, role: .incoming, peer: nil, now: now)
            link.fd = fd
            link.remoteAddress = Self.describe(ss)
            register(link, section: listeners[i].section)
            s.accepted(link)
            armRead(link)
        }
    }

    func register(_ link: PeerLink, section: Int) {
        links[link.id] = link
        linkSection[link.id] = section
    }

    /// PeersTransport.connect.
    func connect(_ s: PeersSectionState, peer: Int, now: Int64) -> PeerLink? {
        guard let si = sections.firstIndex(where: { $0 === s }) else { return nil }
        let p = s.peers[peer]
        var host = p.host, port = p.port
        if p.isLocal, let a = localAddress(si) { host = a.host; port = a.port }
        guard let host, let port, let (ss, len) = makeSockaddr(host: host, port: port) else { return nil }
        var addr = ss
        let fd = socket(Int32(addr.ss_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        setNoDelay(fd)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, len) } }
        guard rc == 0 || errno == EINPROGRESS else { close(fd); return nil }
        let link = PeerLink(id: s.nextLinkID() << 8 | si, role: .outgoing, peer: peer, now: now)
        link.fd = fd
        link.remoteAddress = "\(host.contains(":") ? "[\(host)]" : host):\(port)"
        register(link, section: si)
        armWrite(link)                 // writable: the connect finished
        return link
    }

    /// Where the local peer listens, as an address to connect to (the soft-stop hand-over).
    private func localAddress(_ si: Int) -> (host: String, port: Int)? {
        var address = sectionConfigs[si].listenAddress
        if address == nil, let fd = sectionConfigs[si].listenFD { address = Self.boundAddress(fd) }
        guard let a = address else { return nil }
        switch a.host {
        case "", "*", "0.0.0.0": return ("127.0.0.1", a.port)
        case "::": return ("::1", a.port)
        default: return a
        }
    }


    private func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, 6 /* IPPROTO_TCP */, TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    private func armRead(_ link: PeerLink) {
        guard link.fd >= 0, !armedRead.contains(link.id) else { return }
        armedRead.insert(link.id)
        _ = rp_pollring_add(ring, link.fd, UInt32(POLLIN), Self.readTag(link.id))
    }

    private func armWrite(_ link: PeerLink) {
        guard link.fd >= 0, !armedWrite.contains(link.id) else { return }
        armedWrite.insert(link.id)
        _ = rp_pollring_add(ring, link.fd, UInt32(POLLOUT), Self.writeTag(link.id))
    }

    private func readAll(_ link: PeerLink, now: Int64) {
        var eof = false
        var failure: String? = nil
        while link.fd >= 0 {
            let n = readBuffer.withUnsafeMutableBytes { read(link.fd, $0.baseAddress, $0.count) }
            if n > 0 {
                readBuffer.withUnsafeBytes { link.input.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                if n < readBuffer.count { break }
            } else if n == 0 {
                eof = true; break
            } else {
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno)); break
            }
        }
        let s = section(of: link)
        if let failure {
            s.linkFailed(link, reason: failure, now: now)
        } else {
            s.received(link, eof: eof, now: now)
            // Answer at once (status line, acks): the next tick sends the rest.
            if let i = link.peer, link.state == .established { s.sendMessages(i, now: now) }
        }
        finishCloses()
        if links[link.id] != nil, link.fd >= 0 {
            _ = flush(link)
            if link.isOpen && !eof { armRead(link) }
        }
    }

    /// Writes what the link has queued; true when some is still waiting for the socket.
    @discardableResult
    private func flush(_ link: PeerLink) -> Bool {
        guard link.fd >= 0, link.state != .connecting else { return !link.output.isEmpty }
        while !link.output.isEmpty {
            let n = link.output.withBytes { b, s, e in send(link.fd, b.baseAddress! + s, e - s, Int32(MSG_NOSIGNAL)) }
            if n > 0 { link.output.consume(n); continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { armWrite(link); return true }
            let reason = n < 0 ? String(cString: strerror(errno)) : "write failed"
            link.output.removeAll()
            section(of: link).linkFailed(link, reason: reason, now: MonotonicClock.nowMs())
            return false
        }
        return false
    }

    /// PeersTransport.close: done after the section code returns.
    func scheduleClose(_ link: PeerLink) { toClose.append(link) }

    private func finishCloses() {
        while let link = toClose.popLast() { closeNow(link) }
    }

    private func closeNow(_ link: PeerLink) {
        guard link.fd >= 0 else { links[link.id] = nil; linkSection[link.id] = nil; return }
        // Best effort: an error status or message queued just before closing.
        while link.tcpConnected && !link.output.isEmpty {
            let n = link.output.withBytes { b, s, e in send(link.fd, b.baseAddress! + s, e - s, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            link.output.consume(n)
        }
        if armedRead.remove(link.id) != nil { _ = rp_pollring_remove(ring, Self.readTag(link.id)) }
        if armedWrite.remove(link.id) != nil { _ = rp_pollring_remove(ring, Self.writeTag(link.id)) }
        shutdown(link.fd, Int32(SHUT_RDWR))
        close(link.fd)
        link.fd = -1
        link.state = .closed
        links[link.id] = nil
        linkSection[link.id] = nil
    }

    /// The address a socket is bound to (for `fd@N` listeners).
    static func boundAddress(_ fd: Int32) -> (host: String, port: Int)? {
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        guard rc == 0 else { return nil }
        let text = describe(ss)
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    static func describe(_ ss: sockaddr_storage) -> String {
        var copy = ss
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        if ss.ss_family == sa_family_t(AF_INET) {
            return withUnsafePointer(to: &copy) { p in
                p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var a = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count))
                    return "\(String(cString: buf)):\(UInt16(bigEndian: sin.pointee.sin_port))"
                }
            }
        }
        if ss.ss_family == sa_family_t(AF_INET6) {
            return withUnsafePointer(to: &copy) { p in
                p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                    var a = sin.pointee.sin6_addr
                    inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
                    return "[\(String(cString: buf))]:\(UInt16(bigEndian: sin.pointee.sin6_port))"
                }
            }
        }
        return "unknown"
    }

    // MARK: snapshot

    func publishSnapshot(now: Int64) {
        nextSnapshotMs = now + 250
        let snap = PeersSnapshot(sections: sections.map { PeersSnapshot.Section($0, now: now) },
                                 localPeer: sections.first?.localName ?? "",
                                 queuedDrops: updates?.drops ?? 0, takenChanges: updates?.queues.reduce(0) { $0 + $1.records } ?? 0)
        snapshotBox.withLock { $0 = snap }
    }
}

/// Routes the sections' transport calls to the runtime (which is built after them).
final class PeersTransportBox: PeersTransport {
    weak var runtime: PeersRuntime?
    func connect(_ section: PeersSectionState, peer: Int, now: Int64) -> PeerLink? { runtime?.connect(section, peer: peer, now: now) }
    func close(_ link: PeerLink) { runtime?.scheduleClose(link) }
    func event(_ section: PeersSectionState, _ event: PeersEvent) { runtime?.logger.log(section: section.name, event) }
}
