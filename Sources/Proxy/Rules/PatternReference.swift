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

/// A pattern reference as HAProxy has them: a map or pattern file, shared by every ACL and
/// map converter that names its path, or the inline patterns of one ACL. Its entries (in
/// order) are what the runtime API shows and changes; its views are the compiled sets.
public final class PatternReference: @unchecked Sendable {
    // @unchecked: `state` is only touched under its Mutex; the rest is immutable.
    /// One entry: its key, its value (maps), and an id that stays the same while the entry
    /// exists (what `show map` prints, HAProxy printing an address, and `del map #0x…` names).
    public struct Entry: Sendable {
        public var key: String
        public var value: String?
        public var id: UInt64 = 0
        public init(key: String, value: String?) { self.key = key; self.value = value }
    }
    struct State {
        var entries: [Entry]
        var views: [PatternView] = []
        var retired: [(Unmanaged<PatternSet>, Int64)] = []
    }
    /// The file's path; nil for an ACL's inline patterns.
    public let path: String?
    /// `#ID` on the runtime API.
    public let uniqueID: Int
    /// HAProxy's description of where it comes from.
    public let display: String
    public let usedByACL: Bool
    public let usedByMap: Bool
    /// A two-column file: `add acl` is refused, as in HAProxy.
    public let hasValues: Bool
    private let state: Mutex<State>
    /// Grace period before a replaced set is freed.
    static let graceMs: Int64 = 30_000
    /// Entry ids, unique in the process; shaped like the addresses HAProxy prints.
    private static let nextEntryID = Atomic<UInt64>(0x55d0_a000_0000)

    init(_ def: PatternRefDef, uniqueID: Int, entries: [Entry]) {
        path = def.path; display = def.display; usedByACL = def.usedByACL; usedByMap = def.usedByMap
        hasValues = def.hasValues; self.uniqueID = uniqueID
        var numbered = entries
        for i in numbered.indices { numbered[i].id = Self.newEntryID() }
        state = Mutex(State(entries: numbered))
    }

    static func newEntryID() -> UInt64 { nextEntryID.add(0x40, ordering: .relaxed).newValue }

    /// Sets replaced less than a grace period ago are still retained here: release them.
    deinit {
        state.withLock { s in
            for (old, _) in s.retired { old.release() }
            s.retired = []
        }
    }

    /// Sets the entries before any view exists (inline patterns, known at compile time); a
    /// definition compiled again (several proxies) keeps the entries it has.
    func seed(_ keys: [String]) {
        state.withLock { s in
            guard s.views.isEmpty else { return }
            s.entries = keys.map { var e = Entry(key: $0, value: nil); e.id = Self.newEntryID(); return e }
        }
    }

    /// A view of the reference compiled for a match method (configuration time).
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

    /// The match methods and case flags of its uses (`get map`/`get acl` print one line each).
    public var uses: [(method: AclMatch, ignoreCase: Bool)] { state.withLock { $0.views.map { ($0.method, $0.ignoreCase) } } }

    /// Replaces the entries (add, del, set, clear are built on it); fails, leaving everything
    /// unchanged, when an entry is invalid for one of the reference's uses.
    public func update(_ change: (inout [Entry]) -> Void, nowMs: Int64 = MonotonicClock.nowMs()) throws {
        try state.withLock { s throws in
            var entries = s.entries
            change(&entries)
            for i in entries.indices where entries[i].id == 0 { entries[i].id = Self.newEntryID() }
            let sets = try s.views.map { v in
                try PatternSet(method: v.method, ignoreCase: v.ignoreCase, keys: entries.map(\.key),
                               values: entries.map(\.value), output: v.output)
            }
            s.entries = entries
            for (v, set) in zip(s.views, sets) { s.retired.append((v.swap(set), nowMs)) }
            s.retired.removeAll { old in
                if nowMs - old.1 >= PatternReference.graceMs { old.0.release(); return true }
                return false
            }
        }
    }
}

/// Every pattern reference of the configuration: files by path, inline patterns by their
/// definition, and the list the runtime API shows (sorted by id, as HAProxy lists them).
public final class PatternReferences: @unchecked Sendable {
    // @unchecked: filled once at load, read-only afterwards.
    public private(set) var byPath: [String: PatternReference] = [:]
    /// By index in GlobalRules.patternRefs.
    private(set) var byDefinition: [PatternReference] = []
    /// Sorted by unique id.
    public private(set) var listed: [PatternReference] = []

    init(_ defs: [PatternRefDef], files: [String: PatternFileDef]) {
        // Ids: those given with `-u` first, then the others in creation order, skipping
        // the ones taken (HAProxy's pattern_finalize_config).
        let taken = Set(defs.compactMap(\.uniqueID))
        var next = 0
        for d in defs {
            var id: Int
            if let u = d.uniqueID { id = u } else {
                while taken.contains(next) { next += 1 }
                id = next; next += 1
            }
            let entries = d.path.flatMap { files[$0] }?.lines.map { PatternReference.Entry(key: $0.key, value: $0.value) } ?? []
            let r = PatternReference(d, uniqueID: id, entries: entries)
            byDefinition.append(r)
            if let p = d.path { byPath[p] = r }
        }
        listed = byDefinition.sorted { $0.uniqueID < $1.uniqueID }
        // Files only add-acl & co. name (no ACL or map reads them): changed, never listed.
        for (path, f) in files where byPath[path] == nil {
            let def = PatternRefDef(path: path, display: "", usedByACL: false, usedByMap: false, hasValues: false, uniqueID: nil)
            byPath[path] = PatternReference(def, uniqueID: -1, entries: f.lines.map { .init(key: $0.key, value: $0.value) })
        }
    }

    public func file(_ path: String) -> PatternReference? { byPath[path] }
    func definition(_ index: Int) -> PatternReference { byDefinition[index] }

    /// `#ID` or a file's path, as the runtime API names references.
    public func lookup(_ name: String) -> PatternReference? {
        if name.hasPrefix("#") {
            guard let id = Int(name.dropFirst()) else { return nil }
            return listed.first { $0.uniqueID == id }
        }
        return byPath[name].flatMap { $0.uniqueID >= 0 ? $0 : nil }
    }
}
