import Glibc

/// Sends one worker's log lines without ever blocking it: each message is formatted once into
/// a scratch buffer, then framed per logger (its `format`, `len`, facility and levels) into the
/// batch of its destination — a datagram socket per address family, a line buffer per file
/// descriptor, a pending list per ring — and everything goes out once per event-loop turn
/// (`flush()`). A full batch or a full socket buffer drops lines, as HAProxy does (counted in
/// `dropped`). Owned by one thread.
public final class SyslogSender {
    public let capacity: Int
    let targets: LogTargets
    let scratch: UnsafeMutableRawBufferPointer        // one message before framing
    let frameCapacity: Int                            // longest frame + slack
    /// Per destination: which batch it goes to.
    enum Route { case datagram(DatagramBatch, SocketAddress), line(LineBatch), ring(RingBatch), none }
    let routes: [Route]
    let datagramBatches: [DatagramBatch]
    let lineBatches: [LineBatch]
    let ringBatches: [RingBatch]
    /// Whether any destination exists (no logger: the per-turn check costs nothing).
    public let hasBatches: Bool
    var dates = LogDateCache()          // header dates
    var lineDates = LogDateCache()      // dates inside log lines
    /// When set (by the runtime), datagram batches go through the worker's io_uring.
    public var ringSend: RingSend? = nil

    public init(targets: LogTargets, capacity: Int = 256) {
        self.capacity = capacity
        self.targets = targets
        let longest = targets.longestLine
        frameCapacity = longest + 512          // a header never exceeds a few hundred bytes
        scratch = .allocate(byteCount: longest + 1, alignment: 16)
        var byFamily: [Int32: DatagramBatch] = [:]
        var byFD: [Int32: LineBatch] = [:]
        var byRing: [Int: RingBatch] = [:]
        var routes: [Route] = []
        for d in targets.destinations {
            switch d {
            case .datagram(let a):
                if byFamily[a.family] == nil { byFamily[a.family] = DatagramBatch(family: a.family, capacity: capacity, longestFrame: longest + 1) }
                routes.append(byFamily[a.family].map { .datagram($0, a) } ?? .none)
            case .fd(let fd):
                if byFD[fd] == nil { byFD[fd] = LineBatch(fd: fd, longestLine: longest) }
                routes.append(.line(byFD[fd]!))
            case .ring(let i):
                if byRing[i] == nil { byRing[i] = RingBatch(ring: targets.rings[i], longestLine: max(longest, targets.rings[i].maxLength)) }
                routes.append(.ring(byRing[i]!))
            case .unresolved:
                routes.append(.none)
            }
        }
        self.routes = routes
        datagramBatches = Array(byFamily.values)
        lineBatches = Array(byFD.values)
        ringBatches = Array(byRing.values)
        hasBatches = !(datagramBatches.isEmpty && lineBatches.isEmpty && ringBatches.isEmpty)
    }

    deinit { scratch.deallocate() }

    public var sent: UInt64 { datagramBatches.reduce(0) { $0 + $1.sent } + lineBatches.reduce(0) { $0 + $1.sent } }
    public var dropped: UInt64 { datagramBatches.reduce(0) { $0 + $1.dropped } + lineBatches.reduce(0) { $0 + $1.dropped } }
    public var queued: Int {
        datagramBatches.reduce(0) { $0 + $1.pending } + lineBatches.reduce(0) { $0 + $1.lineEnds.count }
            + ringBatches.reduce(0) { $0 + $1.lines.count }
    }

    /// Formats a message once (with `body`) and queues it for every logger of `log` that
    /// accepts `level` (and, with `sample`, whose turn it is). Nothing is formatted when no
    /// logger wants it. `nowUs`: emission time for the headers.
    @inline(__always)
    public func log(level: Int, to log: ProxyLog, nowUs: Int64 = WallClock.nowUs(), _ body: (inout LogBuffer) -> Void) {
        guard log.loggers.contains(where: { SyslogFrame.accepts(level: level, maxLevel: $0.maxLevel) }) else { return }
        var msg = LogBuffer(scratch)
        body(&msg)
        let message = msg.written
        for l in log.loggers where SyslogFrame.accepts(level: level, maxLevel: l.maxLevel) {
            if let s = l.sampler, !s.take() { continue }
            emit(message, level: max(level, l.minLevel), logger: l, origin: log.origin, nowUs: nowUs)
        }
    }

    /// Convenience for rare events (health changes): the message is a String.
    public func log(level: Int, to log: ProxyLog, message: String) {
        self.log(level: level, to: log) { $0.text(message) }
    }

    /// Logs one finished transaction to a frontend's loggers: the httplog or tcplog line at
    /// `info` (`err` for errors with log-separate-errors), nothing for a normal one with
    /// dontlog-normal. Nothing is allocated. The header carries the emission time, the line
    /// the request date, as in HAProxy.
    public func logTransaction(_ r: HTTPLogRecord, to log: ProxyLog, nowUs: Int64 = WallClock.nowUs()) {
        if log.style == .connect {
            // HAProxy logs this when the stream starts, at info whatever the options.
            self.log(level: LogPolicy.trafficLevel, to: log, nowUs: nowUs) { buf in
                TCPLogLine.writeConnect(client: r.client, local: log.listenAddress?.storage, frontend: r.frontend,
                                        httpMode: log.httpMode, into: &buf)
            }
            return
        }
        guard let level = TrafficLogLevel.level(r, log) else { return }
        self.log(level: level, to: log, nowUs: nowUs) { buf in
            if log.style == .http { HTTPLogLine.write(r, dates: &lineDates, into: &buf) }
            else { TCPLogLine.write(r, dates: &lineDates, into: &buf) }
        }
    }

    func emit(_ message: UnsafeRawBufferPointer, level: Int, logger l: LogTarget, origin: SyslogFrame.Origin, nowUs: Int64) {
        switch routes[l.destination] {
        case .datagram(let batch, let address):
            guard let room = batch.reserve(l.maxLength + 1, ringSend: ringSend) else { batch.dropped += 1; return }
            var out = LogBuffer(room)
            SyslogFrame.writeDatagram(l.format, level: level, facility: l.facility, origin: origin, nowUs: nowUs,
                                      maxLength: l.maxLength, message: message, dates: &dates, into: &out)
            batch.commit(length: out.count, to: address)
        case .line(let batch):
            guard let room = batch.reserve(l.maxLength) else { batch.dropped += 1; return }
            var out = LogBuffer(room)
            SyslogFrame.writeLine(l.format, level: level, facility: l.facility, origin: origin, nowUs: nowUs,
                                  maxLength: l.maxLength, message: message, dates: &dates, into: &out)
            batch.commit(length: out.count)
        case .ring(let batch):
            // The logger's `len` cuts the message; the ring's own format and maxlen make the line.
            let ring = batch.ring
            guard let room = batch.reserve(ring.maxLength + 1) else { return }
            var out = LogBuffer(room)
            let cut = UnsafeRawBufferPointer(rebasing: message[0..<min(message.count, l.maxLength)])
            SyslogFrame.writeDatagram(ring.format, level: level, facility: l.facility, origin: origin,
                                      nowUs: nowUs, maxLength: ring.maxLength, message: cut, dates: &dates, into: &out)
            batch.commit(length: out.count - 1)      // stored without the `\n`
        case .none:
            break
        }
    }

    /// Sends everything queued; call once per loop turn. Never blocks.
    public func flush() {
        for b in datagramBatches where b.pending > 0 { b.flush(ringSend) }
        for b in lineBatches where !b.lineEnds.isEmpty { b.flush() }
        for b in ringBatches where !b.lines.isEmpty { b.flush() }
    }
}
