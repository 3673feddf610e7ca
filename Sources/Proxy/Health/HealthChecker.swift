import CUring
import Glibc
import Synchronization

/// The one thread that runs every health check: non-blocking sockets whose readiness comes
/// from the checker's own io_uring (one-shot polls, rp_pollring), so a slow or silent server
/// never delays the others. It is the only writer of server
/// health in the ServerStateTable; workers only read it. State changes are reported through
/// `onEvent` with HAProxy's exact messages.
public final class HealthChecker: @unchecked Sendable {
    // @unchecked Sendable: `probes` and `thread` are touched only by the checker thread
    // (between start() and stop()) or by start()/stop() themselves, which happen-before /
    // happen-after the thread through pthread_create/pthread_join. `stopping` is atomic.

    public let table: ServerStateTable
    let onEvent: @Sendable (HealthEvent) -> Void
    let stopping = Atomic<Bool>(false)
    var probes: [Probe]
    var thread: pthread_t? = nil

    /// Longest poll() sleep, so that stop() is noticed promptly.
    static let maxSleepMs: Int64 = 50

    public init(table: ServerStateTable, targets: [CheckTarget],
                onEvent: @escaping @Sendable (HealthEvent) -> Void) {
        self.table = table
        self.onEvent = onEvent
        self.probes = targets.map { t in
            let info = table.servers[t.server]
            return Probe(target: t, machine: HealthStateMachine(rise: info.rise, fall: info.fall))
        }
    }

    public func start() {
        guard thread == nil else { return }
        let box = Unmanaged.passRetained(self)
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            let checker = Unmanaged<HealthChecker>.fromOpaque(arg!).takeRetainedValue()
            checker.run()
            return nil
        }, box.toOpaque())
        if rc == 0 { thread = t } else { box.release() }
    }

    public func stop() {
        stopping.store(true, ordering: .relaxed)
        if let t = thread { pthread_join(t, nil); thread = nil }
    }

    // MARK: the loop

    enum Phase { case idle, connecting, reading }

    struct Probe {
        var target: CheckTarget
        var machine: HealthStateMachine
        var phase: Phase = .idle
        var fd: Int32 = -1
        var startedMs: Int64 = 0
        var deadlineMs: Int64 = 0
        var nextDueMs: Int64 = 0
        var response: [UInt8] = []
        /// Generation of the armed poll (a completion for an older one is stale).
        var generation: UInt32 = 0
        var armed = false
    }

    var ring: OpaquePointer? = nil

    /// Tag of probe `i`'s current poll: index and generation (never 0).
    @inline(__always) func tag(_ i: Int) -> UInt64 { UInt64(i + 1) << 32 | UInt64(probes[i].generation) }

    /// Waits for the probe's socket to become ready (`POLLOUT` when connecting, `POLLIN` when reading).
    func arm(_ i: Int, _ events: Int32) {
        probes[i].generation &+= 1
        probes[i].armed = true
        _ = rp_pollring_add(ring, probes[i].fd, UInt32(events), tag(i))
    }

    func run() {
        ring = rp_pollring_create(256)
        guard ring != nil else {
            writeStderr("ringproxy: health checks disabled: cannot create the checker's io_uring\n")
            return
        }
        defer { rp_pollring_destroy(ring); ring = nil }
        let start = MonotonicClock.nowMs()
        let delays = staggeredFirstCheckDelays(probes.map { $0.machine.nextInterval($0.target.intervals) })
        for i in probes.indices { probes[i].nextDueMs = start + Int64(delays[i]) }
        var tags = [UInt64](repeating: 0, count: 64)
        var results = [Int32](repeating: 0, count: 64)
        while !stopping.load(ordering: .relaxed) {
            var now = MonotonicClock.nowMs()
            var sleep = Self.maxSleepMs
            for i in probes.indices {
                if probes[i].phase == .idle && now >= probes[i].nextDueMs { begin(i, now: now) }
                if probes[i].phase != .idle && now >= probes[i].deadlineMs {
                    let status: CheckStatus = probes[i].phase == .connecting ? .l4tout : .l7tout
                    finish(i, status: status, code: 0, info: "", now: now)
                }
                switch probes[i].phase {
                case .idle: sleep = min(sleep, probes[i].nextDueMs - now)
                case .connecting, .reading: sleep = min(sleep, probes[i].deadlineMs - now)
                }
            }
            let n = Int(rp_pollring_wait(ring, Int32(max(0, sleep)), &tags, &results, Int32(tags.count)))
            guard n > 0 else { continue }
            now = MonotonicClock.nowMs()
            for k in 0..<n {
                let i = Int(tags[k] >> 32) - 1
                guard i >= 0, i < probes.count, probes[i].armed, tags[k] == tag(i), results[k] >= 0 else { continue }
                probes[i].armed = false
                if probes[i].phase == .connecting { connected(i, now: now) }
                else if probes[i].phase == .reading { readable(i, now: now) }
            }
        }
        for i in probes.indices where probes[i].fd >= 0 { close(probes[i].fd); probes[i].fd = -1 }
    }

    func begin(_ i: Int, now: Int64) {
        let t = probes[i].target
        if table.checksPaused(t.server) {       // maintenance or `disable health`: no check
            probes[i].nextDueMs = now + Int64(t.intervals.inter)
            return
        }
        probes[i].startedMs = now
        probes[i].response.removeAll(keepingCapacity: true)
        let fd = socket(t.address.family, Int32(Glibc.SOCK_STREAM.rawValue) | Int32(Glibc.SOCK_NONBLOCK.rawValue) | Int32(Glibc.SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return finish(i, status: .sockerr, code: 0, info: errnoText(errno), now: now) }
        probes[i].fd = fd
        var addr = t.address.storage
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, t.address.length) }
        }
        if rc == 0 { probes[i].phase = .connecting; return connected(i, now: now) }
        let e = errno
        guard e == EINPROGRESS else { return finish(i, status: .l4con, code: 0, info: errnoText(e), now: now) }
        probes[i].phase = .connecting
        probes[i].deadlineMs = now + Int64(t.connectTimeoutMs)
        arm(i, Int32(POLLOUT))
    }

    func connected(_ i: Int, now: Int64) {
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(probes[i].fd, SOL_SOCKET, SO_ERROR, &err, &len)
        guard err == 0 else { return finish(i, status: .l4con, code: 0, info: errnoText(err), now: now) }
        guard let request = probes[i].target.httpRequest else {
            return finish(i, status: .l4ok, code: 0, info: "", now: now)
        }
        let sent = request.withUnsafeBytes { send(probes[i].fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else {
            return finish(i, status: .sockerr, code: 0, info: errnoText(errno), now: now)
        }
        probes[i].phase = .reading
        probes[i].deadlineMs = probes[i].startedMs + Int64(probes[i].target.checkTimeoutMs)
        arm(i, Int32(POLLIN))
    }

    func readable(_ i: Int, now: Int64) {
        var chunk = [UInt8](repeating: 0, count: 512)
        let n = chunk.withUnsafeMutableBytes { recv(probes[i].fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { arm(i, Int32(POLLIN)); return }
            return finish(i, status: .l7rsp, code: 0, info: errnoText(errno), now: now)
        }
        probes[i].response.append(contentsOf: chunk[0..<n])
        let complete = probes[i].response.contains(UInt8(ascii: "\n")) || n == 0 || probes[i].response.count >= 4096
        guard complete else { arm(i, Int32(POLLIN)); return }
        let verdict = HTTPCheckVerdict(statusLine: probes[i].response)
        finish(i, status: verdict.status, code: verdict.code, info: verdict.info, now: now)
    }

    func finish(_ i: Int, status: CheckStatus, code: Int, info: String, now: Int64) {
        if probes[i].armed { _ = rp_pollring_remove(ring, tag(i)); probes[i].armed = false }
        if probes[i].fd >= 0 { close(probes[i].fd); probes[i].fd = -1 }
        probes[i].phase = .idle
        let result = CheckResult(status: status, code: code, info: info,
                                 durationMs: Int(now - probes[i].startedMs))
        let slot = probes[i].target.server
        if let forced = table.takeHealthOverride(slot) { probes[i].machine.force(health: forced.health, up: forced.up) }
        let transition = status.passed ? probes[i].machine.recordSuccess() : probes[i].machine.recordFailure()
        table.publish(server: slot, machine: probes[i].machine, result: result, transition: transition, nowMs: now)
        probes[i].nextDueMs = now + Int64(probes[i].machine.nextInterval(probes[i].target.intervals))
        if let transition { report(slot, transition, result) }
    }

    func report(_ slot: Int, _ transition: HealthTransition, _ result: CheckResult) {
        let info = table.servers[slot]
        let counts = table.upCounts(backend: info.backendIndex)
        switch transition {
        case .wentDown:
            onEvent(HealthEvent(backend: info.proxyName, server: info.name, level: HealthMessages.downLevel,
                                message: HealthMessages.down(backend: info.proxyName, server: info.name, backup: info.backup, result: result,
                                                             activeLeft: counts.active, backupLeft: counts.backup)))
            if counts.active + counts.backup == 0 {
                onEvent(HealthEvent(backend: info.proxyName, server: nil, level: HealthMessages.noServerLevel,
                                    message: HealthMessages.noServer(backend: info.proxyName)))
            }
        case .wentUp:
            onEvent(HealthEvent(backend: info.proxyName, server: info.name, level: HealthMessages.upLevel,
                                message: HealthMessages.up(backend: info.proxyName, server: info.name, backup: info.backup, result: result,
                                                           activeOnline: counts.active, backupOnline: counts.backup)))
        }
    }
}

func errnoText(_ e: Int32) -> String { String(cString: strerror(e)) }
