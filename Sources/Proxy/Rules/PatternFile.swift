// Map and pattern files at run time, shared by every ACL and map converter that names the same
// path, and changed by the runtime API (`add/del/set/clear map|acl`). Each use compiles the
// entries for its own match method into a PatternSet; a change rebuilds those sets and
// publishes each with one atomic store, so workers never take a lock to read. A replaced set
// is released after a grace period far longer than any evaluation holds one.

import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The current PatternSet of one use of a file (or of inline patterns), read lock-free.
public final class PatternView: @unchecked Sendable {
    // @unchecked: `current` holds a +1 retained PatternSet published with release/acquire.
    private let current: Atomic<UInt>
    let method: AclMatch
    let ignoreCase: Bool
    let output: SampleType?

    init(_ set: PatternSet, output: SampleType?) {
        current = Atomic(UInt(bitPattern: Unmanaged.passRetained(set).toOpaque()))
        method = set.method
        ignoreCase = set.ignoreCase
        self.output = output
    }
    deinit {
        let p = current.load(ordering: .acquiring)
        if let raw = UnsafeRawPointer(bitPattern: p) { Unmanaged<PatternSet>.fromOpaque(raw).release() }
    }

    /// Runs `body` with the current set (no reference counting on the hot path).
    @inline(__always) func with<R>(_ body: (PatternSet) -> R) -> R {
        let raw = UnsafeRawPointer(bitPattern: current.load(ordering: .acquiring))!
        return Unmanaged<PatternSet>.fromOpaque(raw)._withUnsafeGuaranteedRef(body)
    }

    /// Publishes a new set; returns the old one (still retained) for delayed release.
    func swap(_ set: PatternSet) -> Unmanaged<PatternSet> {
        let new = UInt(bitPattern: Unmanaged.passRetained(set).toOpaque())
        let old = current.exchange(new, ordering: .acquiringAndReleasing)
        return Unmanaged<PatternSet>.fromOpaque(UnsafeRawPointer(bitPattern: old)!)
    }
}

/// One map or pattern file: its entries (in file order) and the views compiled from them.
public final class PatternFile: @unchecked Sendable {
    // @unchecked: `state` is only touched under its Mutex.
    /// One line: its key, its value (maps), and an id that stays the same while the entry
    /// exists (what `show map` prints and `del map #ID` names).
    public struct Entry: Sendable {
        public var key: String
        public var value: String?
        public var id: UInt64 = 0
        public init(key: String, value: String?) { self.key = key; self.value = value }
    }
    struct State {
        var entries: [Entry]
        var nextID: UInt64 = 1
        var views: [PatternView] = []
        var retired: [(Unmanaged<PatternSet>, Int64)] = []
    }
    public let path: String
    public let isMap: Bool
    private let state: Mutex<State>
    /// Grace period before a replaced set is freed.
    static let graceMs: Int64 = 30_000

    init(path: String, isMap: Bool, entries: [Entry]) {
        self.path = path
        self.isMap = isMap
        var numbered = entries
        for i in numbered.indices { numbered[i].id = UInt64(i + 1) }
        state = Mutex(State(entries: numbered, nextID: UInt64(entries.count + 1)))
    }

    /// A view of the file compiled for a match method (configuration time).
    func view(method: AclMatch, ignoreCase: Bool, output: SampleType?) throws -> PatternView {
        try state.withLock { s throws -> PatternView in
            let set = try PatternSet(method: method, ignoreCase: ignoreCase, keys: s.entries.map(\.key),
                                     values: s.entries.map(\.value), output: output)
            let v = PatternView(set, output: output)
            s.views.append(v)
            return v
        }
    }

    // MARK: runtime API

    public var entries: [Entry] { state.withLock { $0.entries } }

    /// Replaces the entries (add, del, set, clear are built on it); fails, leaving everything
    /// unchanged, when an entry is invalid for one of the file's uses.
    public func update(_ change: (inout [Entry]) -> Void, nowMs: Int64 = MonotonicClock.nowMs()) throws {
        try state.withLock { s throws in
            var entries = s.entries
            change(&entries)
            for i in entries.indices where entries[i].id == 0 { entries[i].id = s.nextID; s.nextID += 1 }
            let sets = try s.views.map { v in
                try PatternSet(method: v.method, ignoreCase: v.ignoreCase, keys: entries.map(\.key),
                               values: entries.map(\.value), output: v.output)
            }
            s.entries = entries
            for (v, set) in zip(s.views, sets) { s.retired.append((v.swap(set), nowMs)) }
            s.retired.removeAll { old in
                if nowMs - old.1 >= PatternFile.graceMs { old.0.release(); return true }
                return false
            }
        }
    }
}

/// Every file of the configuration, by path (the runtime API finds them here).
public final class PatternFiles: @unchecked Sendable {
    // @unchecked: filled once at load, read-only afterwards.
    public private(set) var byPath: [String: PatternFile] = [:]

    init(_ defs: [String: PatternFileDef], maps: Set<String>) {
        for (path, def) in defs {
            byPath[path] = PatternFile(path: path, isMap: maps.contains(path),
                                       entries: def.lines.map { PatternFile.Entry(key: $0.key, value: $0.value) })
        }
    }

    public func file(_ path: String) -> PatternFile? { byPath[path] }
}
