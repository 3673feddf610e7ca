// Variables (`set-var(txn.x)`, `var(sess.y)`): every name the configuration uses is numbered
// at load time, so a variable is an index, not a dictionary lookup. Values of the txn, req,
// res and sess scopes live in the connection's slot state (sess survives keep-alive
// requests, the others are cleared per transaction); proc values are shared by every
// worker behind a lock (they are rare and never on a path that does not ask for them).
// A stored string owns a buffer that is reused for the next value of the same variable, so
// setting variables allocates only while a buffer grows.

import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The numbering of variables, built while compiling the configuration.
final class VariableTable {
    private(set) var refs: [VariableRef] = []
    private var index: [VariableRef: Int] = [:]

    func slot(_ v: VariableRef) -> Int {
        let v = VariableRef(scope: v.scope, name: v.name)   // conditions belong to the set-var, not the variable
        if let i = index[v] { return i }
        refs.append(v); index[v] = refs.count - 1
        return refs.count - 1
    }
    var count: Int { refs.count }
}

/// A variable reference as the runtime uses it.
struct VarSlot: Equatable {
    let scope: VariableRef.Scope
    let index: Int
    /// set-var's conditions (empty: always store).
    var conditions: VarConditions = []
}

/// One stored value.
struct VarValue {
    var set = false
    var type: SampleType = .string
    var int: Int64 = 0
    var hi: UInt64 = 0
    var lo: UInt64 = 0
    var buf: UnsafeMutableRawPointer? = nil
    var cap = 0
    var len = 0

    mutating func store(_ s: Sample) -> Bool {
        type = s.type; int = s.int; hi = s.hi; lo = s.lo
        switch s.type {
        case .string, .binary, .method:
            let n = s.bytes.count
            if n > cap {
                let newCap = max(n, 32, cap * 2)
                guard let p = realloc(buf, newCap) else { set = false; return false }
                buf = p; cap = newCap
            }
            if n > 0 { buf!.copyMemory(from: s.bytes.baseAddress!, byteCount: n) }
            len = n
        default: len = 0
        }
        set = true
        return true
    }

    var sample: Sample {
        var s = Sample(type: type)
        s.int = int; s.hi = hi; s.lo = lo
        if type == .string || type == .binary || type == .method {
            s.bytes = UnsafeRawBufferPointer(start: buf, count: len)
        }
        return s
    }

    mutating func free() { Glibc.free(buf); buf = nil; cap = 0; len = 0; set = false }
}

/// Values of every numbered variable for one scope holder (a connection slot, or the process).
final class VarStore {
    let count: Int
    let values: UnsafeMutablePointer<VarValue>

    init(count: Int) {
        self.count = count
        values = .allocate(capacity: max(count, 1))
        values.initialize(repeating: VarValue(), count: max(count, 1))
    }
    deinit {
        for i in 0..<count { values[i].free() }
        values.deinitialize(count: max(count, 1)); values.deallocate()
    }

    /// Clears the values of the given scopes (the buffers are kept for reuse).
    func clear(scopes: (VariableRef) -> Bool, refs: [VariableRef]) {
        for i in 0..<count where values[i].set && scopes(refs[i]) { values[i].set = false }
    }
    @inline(__always) func clear(index i: Int) { values[i].set = false }
}

/// Process-wide variables (`proc.` scope), shared by the workers.
final class ProcessVariables: @unchecked Sendable {
    // @unchecked: every access to `store` holds `lock`.
    private let lock = Mutex<Void>(())
    private let store: VarStore
    init(count: Int) { store = VarStore(count: count) }

    func set(_ i: Int, _ s: Sample, _ conditions: VarConditions = []) {
        lock.withLock { _ in
            let v = store.values[i]
            if !conditions.isEmpty && !conditions.allow(input: s, exists: true, current: v.set ? v : nil) { return }
            _ = store.values[i].store(s)
        }
    }
    /// The value as `get var` prints it (nil: not set).
    func describe(_ i: Int, _ body: (Sample) -> String) -> String? {
        lock.withLock { _ -> String? in store.values[i].set ? body(store.values[i].sample) : nil }
    }
    func unset(_ i: Int) { lock.withLock { _ in store.values[i].set = false } }
    /// Copies the value into `arena` (the lock is not held once the sample is returned).
    func get(_ i: Int, _ arena: SampleArena) -> Sample? {
        lock.withLock { _ -> Sample? in
            guard store.values[i].set else { return nil }
            var s = store.values[i].sample
            if s.bytes.count > 0 {
                guard let copy = arena.copy(s.bytes) else { return nil }
                s.bytes = copy
            }
            return s
        }
    }
}
