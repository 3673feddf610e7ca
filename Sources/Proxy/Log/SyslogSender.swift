import Glibc

/// Sends syslog datagrams for one worker without ever blocking it: lines are framed into a
/// preallocated pool of 1024-byte slots and flushed once per event-loop turn (`flush()`):
/// through the worker's io_uring when the runtime attached it (`ringSend`), else with one
/// `sendmmsg(MSG_DONTWAIT)` on a non-blocking UDP socket. A full pool or a full
/// socket buffer drops lines, as HAProxy does (counted in `dropped`). Owned by one thread.
public final class SyslogSender {
    public let capacity: Int
    public private(set) var dropped: UInt64 = 0
    public private(set) var sent: UInt64 = 0
    let fd: Int32
    let tag: String
    let pid: Int32
    let slots: UnsafeMutableRawBufferPointer          // capacity × 1024 bytes
    let scratch: UnsafeMutableRawBufferPointer        // one message before framing
    let addresses: [SocketAddress?]
    let iovecs: UnsafeMutablePointer<iovec>
    let headers: UnsafeMutablePointer<MultiMessageHeader>
    let names: UnsafeMutablePointer<sockaddr_storage>
    var pending = 0
    var dates = LogDateCache()          // syslog header dates
    /// When set (by the runtime), `flush` hands the batch to the worker's io_uring instead of
    /// calling sendmmsg: (socket, first header, header stride, count) → datagrams queued.
    public var ringSend: ((Int32, UnsafeMutableRawPointer, Int, Int) -> Int)? = nil
    var lineDates = LogDateCache()      // dates inside log lines

    public init(targets: LogTargets, pid: Int32 = getpid(), capacity: Int = 256) {
        self.capacity = capacity
        self.tag = targets.tag
        self.pid = pid
        self.addresses = targets.destinations.map { SocketAddress(host: $0.host, port: $0.port) }
        let family = addresses.compactMap { $0 }.first?.family ?? AF_INET
        fd = socket(family, Int32(Glibc.SOCK_DGRAM.rawValue) | Int32(Glibc.SOCK_NONBLOCK.rawValue) | Int32(Glibc.SOCK_CLOEXEC.rawValue), 0)
        slots = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * SyslogFrame.maxLength, alignment: 16)
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: SyslogFrame.maxLength, alignment: 16)
        iovecs = .allocate(capacity: capacity)
        headers = .allocate(capacity: capacity)
        names = .allocate(capacity: capacity)
    }

    deinit {
        if fd >= 0 { close(fd) }
        slots.deallocate(); scratch.deallocate()
        iovecs.deallocate(); headers.deallocate(); names.deallocate()
    }

    /// Formats a message once (with `body`) and queues one datagram per logger in `loggers`
    /// that accepts `level`. Nothing is formatted when no logger wants it.
    @inline(__always)
    public func log(level: Int, loggers: [LogTarget], dateMs: Int64 = WallClock.nowMs(),
                    _ body: (inout LogBuffer) -> Void) {
        guard loggers.contains(where: { SyslogFrame.accepts(level: level, maxLevel: $0.maxLevel) }) else { return }
        var msg = LogBuffer(scratch)
        body(&msg)
        let message = msg.written
        for l in loggers where SyslogFrame.accepts(level: level, maxLevel: l.maxLevel) {
            queue(message, priority: SyslogFrame.priority(facility: l.facility, level: level, minLevel: l.minLevel),
                  destination: l.destination, dateMs: dateMs)
        }
    }

    /// Convenience for rare events (health changes): the message is a String.
    public func log(level: Int, loggers: [LogTarget], message: String) {
        log(level: level, loggers: loggers) { $0.text(message) }
    }

    /// Logs one finished transaction at `info` to a frontend's loggers: the httplog line, or
    /// the tcplog line when `httpLog` is false. Nothing is allocated. The syslog header
    /// carries the emission time (`nowMs`), the line the request date, as in HAProxy.
    public func logTransaction(_ r: HTTPLogRecord, loggers: [LogTarget], httpLog: Bool = true,
                               nowMs: Int64 = WallClock.nowMs()) {
        log(level: LogPolicy.trafficLevel, loggers: loggers, dateMs: nowMs) { buf in
            if httpLog { HTTPLogLine.write(r, dates: &lineDates, into: &buf) }
            else { TCPLogLine.write(r, dates: &lineDates, into: &buf) }
        }
    }

    func queue(_ message: UnsafeRawBufferPointer, priority: Int, destination: Int, dateMs: Int64) {
        guard let addr = addresses[destination] else { dropped += 1; return }
        if pending == capacity { flush() }
        if pending == capacity { dropped += 1; return }
        let slot = UnsafeMutableRawBufferPointer(rebasing: slots[pending * SyslogFrame.maxLength ..< (pending + 1) * SyslogFrame.maxLength])
        var out = LogBuffer(slot)
        SyslogFrame.write(priority: priority, dateMs: dateMs, dates: &dates, tag: tag, pid: pid, message: message, into: &out)
        names[pending] = addr.storage
        iovecs[pending] = iovec(iov_base: slot.baseAddress, iov_len: out.count)
        headers[pending] = MultiMessageHeader(msg_hdr: msghdr(), msg_len: 0)
        headers[pending].msg_hdr.msg_name = UnsafeMutableRawPointer(names + pending)
        headers[pending].msg_hdr.msg_namelen = addr.length
        headers[pending].msg_hdr.msg_iov = iovecs + pending
        headers[pending].msg_hdr.msg_iovlen = 1
        pending += 1
    }

    /// Sends everything queued; call once per loop turn. Never blocks: what the kernel does
    /// not take now is dropped.
    public func flush() {
        if let ringSend, pending > 0 {
            let n = ringSend(fd, UnsafeMutableRawPointer(headers), MemoryLayout<MultiMessageHeader>.stride, pending)
            sent += UInt64(n)
            dropped += UInt64(pending - n)
            pending = 0
            return
        }
        var start = 0
        while start < pending {
            let n = SendMany.send(fd, headers + start, pending - start, flags: Int32(MSG_DONTWAIT))
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                // EAGAIN (buffer full) or an error on the first datagram: drop it and go on.
                dropped += 1
                start += 1
                continue
            }
            sent += UInt64(n)
            start += n
        }
        pending = 0
    }

    public var queued: Int { pending }
}
