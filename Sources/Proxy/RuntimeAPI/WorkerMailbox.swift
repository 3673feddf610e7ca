// Messages from the runtime API (and later the master and the peers thread) to the workers.
// Each worker owns one mailbox: the sender appends a job under the mailbox's lock, raises an
// atomic flag and writes the worker's eventfd (its ring has a multishot poll on it, so a
// sleeping worker wakes at once); the worker looks at the flag once per loop turn (one relaxed
// load, no lock while the mailbox is empty) and runs the jobs on its own thread, where it may
// touch its connections and per-worker state (rp_control.c).
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

public final class WorkerMailbox: Sendable {
    /// A job run on worker `index`'s thread.
    public typealias Job = @Sendable (Int) -> Void

    final class Box: Sendable {
        let pending = Atomic<Bool>(false)
        let jobs = Mutex<[Job]>([])
    }
    let boxes: [Box]
    /// Wakes a sleeping worker (the engine's eventfd); set once the engine exists.
    let waker = Mutex<(@Sendable (Int) -> Void)?>(nil)

    public init(workers: Int) { boxes = (0..<max(1, workers)).map { _ in Box() } }

    public func setWaker(_ wake: @escaping @Sendable (Int) -> Void) { waker.withLock { $0 = wake } }

    public var workers: Int { boxes.count }

    /// Queues `job` for worker `index`.
    public func post(to index: Int, _ job: @escaping Job) {
        let b = boxes[index]
        b.jobs.withLock { $0.append(job) }
        b.pending.store(true, ordering: .releasing)
        waker.withLock { $0 }?(index)
    }

    /// Called by worker `index` once per loop turn.
    @inline(__always) public func drain(_ index: Int) {
        let b = boxes[index]
        guard b.pending.load(ordering: .relaxed) else { return }
        b.pending.store(false, ordering: .relaxed)
        let jobs = b.jobs.withLock { j -> [Job] in let out = j; j.removeAll(); return out }
        for job in jobs { job(index) }
    }

    /// Runs `body` on every worker and waits for their results (in worker order), or nil
    /// after `timeoutMs` (a stopped engine no longer turns its loop).
    public func gather<T: Sendable>(timeoutMs: Int = 2000, _ body: @escaping @Sendable (Int) -> T) -> [T]? {
        let results = Mutex<[T?]>(Array(repeating: nil, count: boxes.count))
        let remaining = Atomic<Int>(boxes.count)
        for i in boxes.indices {
            post(to: i) { w in
                let r = body(w)
                results.withLock { $0[w] = r }
                remaining.subtract(1, ordering: .releasing)
            }
        }
        var waited = 0
        while remaining.load(ordering: .acquiring) > 0 {
            if waited >= timeoutMs { return nil }
            usleep(1000); waited += 1
        }
        return results.withLock { $0.map { $0! } }
    }
}
