// One worker's outbox of stick-table changes for the peers thread: a single-producer,
// single-consumer byte ring. The worker appends a record each time a shared table entry is
// created, re-pointed or refreshed (HAProxy's "touch_local"); the peers thread drains the
// records. No lock, no allocation, no syscall on the request path: the producer publishes
// with a release store and only writes the wake-up eventfd at the end of a loop turn, and only
// when the peers thread said it was going to sleep.
//
// A record: table (u16), key length (u16), roster (i32), id (i32), key bytes, padded to 4.
// A full ring drops the record (counted): the next request on that key records it again.

import CUring
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How a sleeping peers thread is woken: a pipe it polls, and the flag it raises before it
/// blocks (so producers write the pipe only when someone waits on it).
public final class PeersWakeup: Sendable {
    /// The read end (polled by the peers thread).
    public let fd: Int32
    let writeFD: Int32
    let sleeping = Atomic<Bool>(false)

    public init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for f in fds { _ = rp_set_nonblock(f); _ = fcntl(f, F_SETFD, FD_CLOEXEC) }
        }
        fd = fds[0]; writeFD = fds[1]
    }

    /// Producer side, once per loop turn that produced something.
    @inline(__always) func wakeIfSleeping() {
        // The fence orders the records' publication before the flag's load (Dekker-style with
        // the consumer's store of the flag before it checks the queues).
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if sleeping.load(ordering: .relaxed), sleeping.exchange(false, ordering: .acquiringAndReleasing) {
            var one: UInt8 = 1
            _ = write(writeFD, &one, 1)
        }
    }

    /// Consumer side: raise the flag, then check the queues; returns whether it may sleep.
    func prepareToSleep(_ queues: [StickUpdateQueue]) -> Bool {
        sleeping.store(true, ordering: .sequentiallyConsistent)
        if queues.contains(where: { !$0.isEmpty }) { sleeping.store(false, ordering: .relaxed); return false }
        return true
    }

    func awake() {
        sleeping.store(false, ordering: .relaxed)
        var drain = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        _ = withUnsafeMutableBytes(of: &drain) { read(fd, $0.baseAddress, $0.count) }
    }
}

public final class StickUpdateQueue: @unchecked Sendable {
    // @unchecked: `buffer` is written only by the producer in [tail, head+capacity) and read
    // only by the consumer in [head, tail); the atomics order those accesses.
    static let headerSize = 12
    static let wrapMarker: UInt16 = 0xffff

    let capacity: Int
    let mask: Int
    let buffer: UnsafeMutableRawPointer
    /// Written by the producer (release), read by the consumer (acquire).
    let tail = Atomic<Int>(0)
    /// Written by the consumer (release), read by the producer (acquire).
    let head = Atomic<Int>(0)
    /// Producer-local copy of the tail (saves an atomic load per record).
    var producerTail = 0
    var producedThisTurn = false
    let dropCounter = Atomic<Int>(0)
    let recordCounter = Atomic<Int>(0)
    let wakeup: PeersWakeup

    /// `capacity` bytes (rounded up to a power of two).
    public init(capacity: Int = 1 << 19, wakeup: PeersWakeup) {
        var c = 4096
        while c < capacity { c <<= 1 }
        self.capacity = c
        mask = c - 1
        buffer = .allocate(byteCount: c, alignment: 8)
        self.wakeup = wakeup
    }

    deinit { buffer.deallocate() }

    /// Changes dropped because the ring was full.
    public var drops: Int { dropCounter.load(ordering: .relaxed) }
    /// Changes the peers thread has taken.
    public var records: Int { recordCounter.load(ordering: .relaxed) }

    // MARK: producer (one worker thread)

    /// Appends one change; false when the ring is full (the change is dropped and counted).
    @inline(__always) @discardableResult
    public func record(table: Int, key: UnsafeRawBufferPointer, server: StickServer) -> Bool {
        let keyLength = min(key.count, 0xfffe)
        let size = (Self.headerSize + keyLength + 3) & ~3
        var t = producerTail
        let free = capacity - (t - head.load(ordering: .acquiring))
        let offset = t & mask
        let untilEnd = capacity - offset
        let needed = size <= untilEnd ? size : size + untilEnd
        guard needed <= free else {
            dropCounter.add(1, ordering: .relaxed)
            return false
        }
        if size > untilEnd {
            // Not enough room before the end: mark the rest as skipped and start over.
            buffer.storeBytes(of: Self.wrapMarker, toByteOffset: offset, as: UInt16.self)
            t += untilEnd
        }
        let p = buffer + (t & mask)
        p.storeBytes(of: UInt16(table), toByteOffset: 0, as: UInt16.self)
        p.storeBytes(of: UInt16(keyLength), toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: server.roster, toByteOffset: 4, as: Int32.self)
        p.storeBytes(of: server.id, toByteOffset: 8, as: Int32.self)
        if keyLength > 0 { (p + Self.headerSize).copyMemory(from: key.baseAddress!, byteCount: keyLength) }
        t += size
        producerTail = t
        tail.store(t, ordering: .releasing)
        producedThisTurn = true
        return true
    }

    /// End of the worker's loop turn: wake the peers thread if it sleeps and we gave it work.
    @inline(__always) public func endOfTurn() {
        guard producedThisTurn else { return }
        producedThisTurn = false
        wakeup.wakeIfSleeping()
    }

    // MARK: consumer (the peers thread)

    /// Calls `body` for each record published so far, then frees their space.
    @discardableResult
    func drain(_ body: (_ table: Int, _ key: UnsafeRawBufferPointer, _ server: StickServer) -> Void) -> Int {
        var h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        var n = 0
        while h < t {
            let p = buffer + (h & mask)
            let table = p.load(fromByteOffset: 0, as: UInt16.self)
            if table == Self.wrapMarker { h += capacity - (h & mask); continue }
            let keyLength = Int(p.load(fromByteOffset: 2, as: UInt16.self))
            let server = StickServer(roster: p.load(fromByteOffset: 4, as: Int32.self), id: p.load(fromByteOffset: 8, as: Int32.self))
            body(Int(table), UnsafeRawBufferPointer(start: p + Self.headerSize, count: keyLength), server)
            h += (Self.headerSize + keyLength + 3) & ~3
            n += 1
        }
        head.store(h, ordering: .releasing)
        if n > 0 { recordCounter.add(n, ordering: .relaxed) }
        return n
    }

    var isEmpty: Bool { head.load(ordering: .relaxed) == tail.load(ordering: .acquiring) }
}

/// One queue per worker and the wake-up they share.
public final class StickUpdateQueues: Sendable {
    public let wakeup: PeersWakeup
    public let queues: [StickUpdateQueue]

    public init(workers: Int, capacity: Int = 1 << 19) {
        let w = PeersWakeup()
        wakeup = w
        queues = (0..<workers).map { _ in StickUpdateQueue(capacity: capacity, wakeup: w) }
    }

    public var drops: Int { queues.reduce(0) { $0 + $1.drops } }
}
