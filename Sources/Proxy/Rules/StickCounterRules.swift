// Stick counters in the rule engine: `track-sc*` starts tracking an entry for the stream,
// `sc-inc-gpc*`/`sc-set-gpt0` change a tracked entry, the `sc*_`/`src_` fetches and the
// `table_*` converters read (or change) entries. A stream's trackers live in its slot's
// rule state (three fixed places, nothing allocated per request) and are let go when the
// exchange ends (StreamHandler.releaseStickTrackers).

/// A compiled stick-counter fetch.
struct StickQuery {
    enum Source {
        /// A tracked counter (sc0..2), optionally read in another table by its key.
        case counter(Int, table: Int?)
        /// The client address in a table (src_*).
        case client(table: Int)
    }
    let source: Source
    let datum: StickDatum
}

/// A stream's tracked counters (sc0, sc1, sc2): table index (-1: not tracked) and entry.
struct StickTrackers {
    var tables: (Int32, Int32, Int32) = (-1, -1, -1)
    var refs: (StickRef, StickRef, StickRef) = (StickRef(shard: 0, entry: 0), StickRef(shard: 0, entry: 0), StickRef(shard: 0, entry: 0))
    var any = false

    func table(_ n: Int) -> Int {
        switch n { case 0: Int(tables.0); case 1: Int(tables.1); default: Int(tables.2) }
    }
    func ref(_ n: Int) -> StickRef {
        switch n { case 0: refs.0; case 1: refs.1; default: refs.2 }
    }
    mutating func set(_ n: Int, table: Int, ref: StickRef) {
        switch n {
        case 0: tables.0 = Int32(table); refs.0 = ref
        case 1: tables.1 = Int32(table); refs.1 = ref
        default: tables.2 = Int32(table); refs.2 = ref
        }
        any = true
    }
}

extension RuleContext {
    /// track-scN KEY [table T]: the first track of a counter in a stream wins (HAProxy).
    func trackStickCounter(_ n: Int, _ key: SampleExpr, table ti: Int) {
        guard let sl = slot, sl.trackers.table(n) < 0, let set = tables.stick else { return }
        guard let s = evaluate(key), let k = stickKey(s, set.infos[ti]) else { return }
        let info = set.infos[ti]
        guard let ref = set.tables[ti].track(k, now: nowMs, layout: info.counters, request: true) else { return }
        sl.trackers.set(n, table: ti, ref: ref)
        stickCounterTouched(table: ti, ref: ref)
    }

    /// sc-inc-gpc0(N) / sc-inc-gpc1(N): +1 on the counter and its rate.
    func incrementTracked(gpc: Int, counter n: Int) {
        guard let sl = slot, let set = tables.stick else { return }
        let ti = sl.trackers.table(n)
        guard ti >= 0 else { return }
        let layout = set.infos[ti].counters
        let type = gpc == 0 ? StickDataType.gpc0 : StickDataType.gpc1
        let now = nowMs
        set.tables[ti].withTracked(sl.trackers.ref(n)) { w, _ in
            layout.add(w, type, 1, now: now)
            layout.add(w, StickDataType.rateOf(type)!, 1, now: now)
        }
        stickCounterTouched(table: ti, ref: sl.trackers.ref(n))
    }

    /// sc-set-gpt0(N) VALUE.
    func setTrackedGPT0(counter n: Int, _ value: SampleExpr) {
        guard let sl = slot, let set = tables.stick else { return }
        let ti = sl.trackers.table(n)
        guard ti >= 0, var s = evaluate(value), SampleCast.convert(&s, to: .int, arena) else { return }
        let layout = set.infos[ti].counters
        let now = nowMs
        let v = UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: s.int))
        set.tables[ti].withTracked(sl.trackers.ref(n)) { w, _ in layout.set(w, StickDataType.gpt0, v, now: now) }
        stickCounterTouched(table: ti, ref: sl.trackers.ref(n))
    }

    /// A stick-counter fetch.
    func stickFetch(_ q: StickQuery) -> Sample? {
        guard let set = tables.stick else { return nil }
        switch q.source {
        case .counter(let n, let other):
            let ti = slot?.trackers.table(n) ?? -1
            if q.datum == .tracked { return .bool(ti >= 0) }
            guard ti >= 0, let sl = slot else { return nil }
            if let other, other != ti {
                guard let k = set.tables[ti].copyKey(sl.trackers.ref(n), into: arena) else { return nil }
                return keyed(set, other, k, q.datum)
            }
            let layout = set.infos[ti].counters
            let now = nowMs
            return set.tables[ti].withTracked(sl.trackers.ref(n)) { w, refs in Self.datum(q.datum, w, refs, layout, now) }
        case .client(let ti):
            guard let a = address(client), let k = stickKey(a, set.infos[ti]) else { return nil }
            return keyed(set, ti, k, q.datum)
        }
    }

    /// table_X(T) / in_table(T) on the sample `s`.
    func stickConvert(_ s: inout Sample, table ti: Int, _ datum: StickDatum) -> Bool {
        guard let set = tables.stick, let k = stickKey(s, set.infos[ti]) else { return false }
        guard let r = keyed(set, ti, k, datum) else { return false }
        s = r
        return true
    }

    /// A datum of `key`'s entry: 0 when there is none (in_table: false), nothing when the
    /// table does not store it (as HAProxy's fetches and converters).
    private func keyed(_ set: StickTableSet, _ ti: Int, _ k: UnsafeRawBufferPointer, _ d: StickDatum) -> Sample? {
        let t = set.tables[ti]
        let layout = set.infos[ti].counters
        let now = nowMs
        switch d {
        case .inTable:
            return .bool(t.withEntry(k, now: now, create: false) { _, _ in true } ?? false)
        case .serverID:
            guard set.infos[ti].storesServer else { return nil }
            return .int(Int64(t.serverID(k, now: now) ?? 0))
        default:
            var create = false
            if case .increment = d { create = true }
            guard let r = t.withEntry(k, now: now, create: create, { w, refs in Self.datum(d, w, refs, layout, now) }) else {
                return .int(0)
            }
            return r
        }
    }

    private static func datum(_ d: StickDatum, _ w: UnsafeMutableBufferPointer<UInt64>, _ refs: Int,
                              _ layout: StickCounterLayout, _ now: Int64) -> Sample? {
        switch d {
        case .value(let type):
            return layout.value(UnsafeBufferPointer(w), type, now: now).map { .int(Int64(truncatingIfNeeded: $0)) }
        case .kilobytes(let type):
            return layout.value(UnsafeBufferPointer(w), type, now: now).map { .int(Int64(truncatingIfNeeded: $0 >> 10)) }
        case .trackers: return .int(Int64(refs))
        case .tracked, .inTable: return .bool(true)
        case .serverID: return nil
        case .increment(let type):
            let rate = StickDataType.rateOf(type)!
            guard layout.has(type) || layout.has(rate) else { return nil }
            layout.add(w, type, 1, now: now)
            layout.add(w, rate, 1, now: now)
            return .int(Int64(truncatingIfNeeded: layout.value(UnsafeBufferPointer(w), type, now: now) ?? 0))
        case .clear(let type):
            guard let old = layout.value(UnsafeBufferPointer(w), type, now: now) else { return nil }
            layout.set(w, type, 0, now: now)
            return .int(Int64(truncatingIfNeeded: old))
        }
    }

    /// The key of a sample in a table of the given type, in the arena; nil when the sample
    /// does not convert (HAProxy's smp_to_stkey).
    func stickKey(_ s: Sample, _ info: StickTableInfo) -> UnsafeRawBufferPointer? {
        let size = StickKeyCanonical.scratchSize(info.keyType, length: info.keyLength)
        var s = s
        switch s.type {
        case .ipv4, .ipv6:
            let a: ClientAddress = s.type == .ipv4 ? .v4(s.ipv4)
                : .v6(UInt32(s.hi >> 32), UInt32(truncatingIfNeeded: s.hi), UInt32(s.lo >> 32), UInt32(truncatingIfNeeded: s.lo))
            if info.keyType == .string {
                guard SampleCast.convert(&s, to: .string, arena) else { return nil }
                return s.bytes
            }
            guard let p = arena.allocate(size) else { return nil }
            let out = UnsafeMutableRawBufferPointer(start: p, count: size)
            guard let n = StickKeyCanonical.client(a, type: info.keyType, length: info.keyLength, into: out) else { return nil }
            return UnsafeRawBufferPointer(start: p, count: n)
        case .int, .bool:
            if info.keyType == .integer || info.keyType == .ip {
                guard let p = arena.allocate(4) else { return nil }
                let out = UnsafeMutableRawBufferPointer(start: p, count: 4)
                return UnsafeRawBufferPointer(start: p, count: StickKeyCanonical.put32(UInt32(truncatingIfNeeded: s.int), out))
            }
            fallthrough
        default:
            guard SampleCast.convert(&s, to: .string, arena) else { return nil }
            guard let p = arena.allocate(size) else { return nil }
            let out = UnsafeMutableRawBufferPointer(start: p, count: size)
            guard let n = StickKeyCanonical.string(s.bytes, type: info.keyType, length: info.keyLength, into: out) else { return s.bytes }
            return n > 0 ? UnsafeRawBufferPointer(start: p, count: n) : nil
        }
    }
}
