import Glibc
import Synchronization

/// A `ring` section at run time: the most recent log lines, in a fixed-size byte buffer
/// (oldest lines evicted first), each stored with the ring's own header. Workers append their
/// batch once per loop turn under the lock; readers (ring forwarders, a future `show events`)
/// copy lines out by sequence number. Lines longer than the buffer are dropped and counted.
public final class LogRing: Sendable {
    public let name: String
    public let description: String?
    public let format: LogFormat
    public let maxLength: Int
    public let size: Int
    public let servers: [RingServerConfig]
    public let connectTimeoutMs: Int
    public let serverTimeoutMs: Int
    /// A pipe that wakes forwarders when lines arrive (-1 without servers: writers then skip
    /// the syscall). Writers put one byte in it, forwarders drain it.
    public let wakeFD: Int32
    let wakeWriteFD: Int32

    struct Storage {
        var bytes: [UInt8]
        var head = 0          // offset of the oldest entry
        var used = 0
        var count = 0
        var firstSeq: UInt64 = 0
        var dropped: UInt64 = 0
    }
    let storage: Mutex<Storage>

    public init(_ c: RingConfig) {
        name = c.name; description = c.description; format = c.format; maxLength = c.maxLength
        size = max(64, c.size); servers = c.servers
        connectTimeoutMs = c.connectTimeout ?? 5000
        serverTimeoutMs = c.serverTimeout ?? 10000
        storage = Mutex(Storage(bytes: [UInt8](repeating: 0, count: max(64, c.size))))
        var fds: [Int32] = [-1, -1]
        if !c.servers.isEmpty {
            if pipe(&fds) == 0 {
                for fd in fds { _ = fcntl(fd, F_SETFL, O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            } else { fds = [-1, -1] }
        }
        wakeFD = fds[0]; wakeWriteFD = fds[1]
    }

    deinit { if wakeFD >= 0 { close(wakeFD); close(wakeWriteFD) } }

    func wake() {
        guard wakeWriteFD >= 0 else { return }
        var one: UInt8 = 1
        _ = write(wakeWriteFD, &one, 1)
    }

    /// Appends lines given as (offset, length) slices of `arena`. One lock for the batch.
    public func append(_ arena: UnsafeRawBufferPointer, _ lines: UnsafeBufferPointer<(offset: Int, length: Int)>) {
        storage.withLock { s in
            for (offset, length) in lines { Self.append(&s, UnsafeRawBufferPointer(rebasing: arena[offset..<offset + length])) }
        }
        wake()
    }

    /// Appends one line (tests, rare events).
    public func append(_ line: [UInt8]) {
        line.withUnsafeBytes { b in storage.withLock { Self.append(&$0, b) } }
        wake()
    }

    static func append(_ s: inout Storage, _ line: UnsafeRawBufferPointer) {
        let need = 4 + line.count
        let cap = s.bytes.count
        guard need <= cap else { s.dropped += 1; return }
        while cap - s.used < need { evictOldest(&s) }
        var at = (s.head + s.used) % cap
        var len = UInt32(line.count).littleEndian
        withUnsafeBytes(of: &len) { for b in $0 { s.bytes[at] = b; at = (at + 1) % cap } }
        for b in line { s.bytes[at] = b; at = (at + 1) % cap }
        s.used += need
        s.count += 1
    }

    static func evictOldest(_ s: inout Storage) {
        let cap = s.bytes.count
        var len = 0
        for k in 0..<4 { len |= Int(s.bytes[(s.head + k) % cap]) << (8 * k) }
        s.head = (s.head + 4 + len) % cap
        s.used -= 4 + len
        s.count -= 1
        s.firstSeq += 1
    }

    /// Lines from sequence number `seq` on (at most `limit`), the next sequence number, and how
    /// many lines between `seq` and the oldest kept one were evicted before being read.
    public func read(from seq: UInt64, limit: Int = 256) -> (lines: [[UInt8]], next: UInt64, lost: UInt64) {
        storage.withLock { s in
            let cap = s.bytes.count
            let start = max(seq, s.firstSeq)
            let lost = start - seq
            var at = s.head
            var n = s.firstSeq
            var out: [[UInt8]] = []
            for _ in 0..<s.count {
                var len = 0
                for k in 0..<4 { len |= Int(s.bytes[(at + k) % cap]) << (8 * k) }
                if n >= start {
                    var line = [UInt8](repeating: 0, count: len)
                    for k in 0..<len { line[k] = s.bytes[(at + 4 + k) % cap] }
                    out.append(line)
                    if out.count == limit { return (out, n + 1, lost) }
                }
                at = (at + 4 + len) % cap
                n += 1
            }
            return (out, n, lost)
        }
    }

    /// Every line kept now, oldest first.
    public func snapshot() -> [[UInt8]] { read(from: 0, limit: Int.max).lines }

    public var droppedLines: UInt64 { storage.withLock { $0.dropped } }
}
