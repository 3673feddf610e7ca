// Stick counters on a table's entries: what `track-sc*` rules, `sc_*`/`src_*` fetches and
// `table_*` converters do. Each call takes the entry's shard lock once and does every update
// under it. Why a lock and not atomics: the key → entry map is shared by all workers and an
// insertion needs the shard lock anyway (track-sc finds or creates its entry there); the
// counters live beside the entry so that same acquisition covers them, and a frequency
// counter's three words must move together. 64 shards keep contention to clients that hash
// alike; none of this runs for a configuration without stick counters.

/// A tracked entry: its shard and index, valid while the tracker holds its reference.
public struct StickRef: Equatable, Sendable {
    var shard: Int32
    var entry: Int32
}

/// What a tracked stream did, counted when it lets its entries go.
struct StickStreamEnd {
    var bytesIn: UInt64 = 0
    var bytesOut: UInt64 = 0
    /// A client error (4xx, denied, tarpitted, failed authentication).
    var clientError = false
    /// A server failure (a server's 5xx other than 501/505).
    var serverFailure = false
}

extension AppSessionTable {
    /// Finds or creates the entry of `key` and takes a reference on it, counting a new
    /// connection (conn_cnt, conn_cur, conn_rate) and, for an HTTP rule, a request
    /// (http_req_cnt, http_req_rate), as HAProxy's stream_track_stkctr does. nil: no key.
    func track(_ key: UnsafeRawBufferPointer, now: Int64, layout: StickCounterLayout, request: Bool) -> StickRef? {
        let k = truncated(key)
        guard k.count > 0 else { return nil }
        let h = Self.hash(k)
        let si = shardIndex(h)
        let timeout = timeoutMillis
        let limit = perShard
        var evicted = false
        let ref = shards[si].state.withLock { s -> StickRef in
            var e: Int
            if let f = Self.find(&s, k, h), s.entries[f].alive(now) {
                e = f
                Self.touch(&s, e)
            } else {
                if let f = Self.find(&s, k, h) { Self.remove(&s, f) }
                if s.count >= limit, let victim = Self.evictable(&s) {
                    if s.entries[victim].expiry > now { evicted = true }
                    Self.remove(&s, victim)
                }
                Self.insert(&s, Entry(key: Array(k), hash: h, server: -1, serverID: 0, expiry: now + timeout))
                e = Int(s.newest)
            }
            s.entries[e].refs += 1
            s.entries[e].expiry = now + timeout
            Self.counters(&s, e) { w in
                layout.add(w, StickDataType.connCnt, 1, now: now)
                layout.add(w, StickDataType.connCur, 1, now: now)
                layout.add(w, StickDataType.connRate, 1, now: now)
                if request {
                    layout.add(w, StickDataType.httpReqCnt, 1, now: now)
                    layout.add(w, StickDataType.httpReqRate, 1, now: now)
                }
            }
            return StickRef(shard: Int32(si), entry: Int32(e))
        }
        if evicted { evictionCounter.add(1, ordering: .relaxed) }
        return ref
    }

    /// Lets a tracked entry go: conn_cur goes down, the stream's bytes and errors are counted,
    /// the entry's idle expiry starts again (HAProxy's stream_store_counters).
    func release(_ r: StickRef, now: Int64, layout: StickCounterLayout, end: StickStreamEnd) {
        let timeout = timeoutMillis
        shards[Int(r.shard)].state.withLock { s in
            let e = Int(r.entry)
            guard e < s.entries.count, s.entries[e].refs > 0 else { return }
            s.entries[e].refs -= 1
            s.entries[e].expiry = now + timeout
            Self.counters(&s, e) { w in
                layout.decrement(w, StickDataType.connCur)
                if end.bytesIn > 0 {
                    layout.add(w, StickDataType.bytesInCnt, end.bytesIn, now: now)
                    layout.add(w, StickDataType.bytesInRate, end.bytesIn, now: now)
                }
                if end.bytesOut > 0 {
                    layout.add(w, StickDataType.bytesOutCnt, end.bytesOut, now: now)
                    layout.add(w, StickDataType.bytesOutRate, end.bytesOut, now: now)
                }
                if end.clientError {
                    layout.add(w, StickDataType.httpErrCnt, 1, now: now)
                    layout.add(w, StickDataType.httpErrRate, 1, now: now)
                }
                if end.serverFailure {
                    layout.add(w, StickDataType.httpFailCnt, 1, now: now)
                    layout.add(w, StickDataType.httpFailRate, 1, now: now)
                }
            }
        }
    }

    /// Runs `body` on a tracked entry's counters (with its reference count).
    func withTracked<R>(_ r: StickRef, _ body: (UnsafeMutableBufferPointer<UInt64>, Int) -> R) -> R {
        // The result leaves through a local: withLock's own result must be Sendable.
        var result: R? = nil
        shards[Int(r.shard)].state.withLock { s in
            let e = Int(r.entry)
            let refs = Int(s.entries[e].refs)
            result = Self.counters(&s, e) { body($0, refs) }
        }
        return result!
    }

    /// Runs `body` on the counters of `key`'s entry; nil when there is none (and `create` is
    /// false: src_inc_gpc0 and friends create it, as HAProxy's smp_create_src_stkctr).
    func withEntry<R>(_ key: UnsafeRawBufferPointer, now: Int64, create: Bool,
                      _ body: (UnsafeMutableBufferPointer<UInt64>, Int) -> R) -> R? {
        let k = truncated(key)
        guard k.count > 0 else { return nil }
        let h = Self.hash(k)
        let timeout = timeoutMillis
        let limit = perShard
        var result: R? = nil
        shard(h).state.withLock { s in
            var found = Self.find(&s, k, h)
            if let f = found, !s.entries[f].alive(now) { Self.remove(&s, f); found = nil }
            if found == nil {
                guard create else { return }
                if s.count >= limit, let victim = Self.evictable(&s) { Self.remove(&s, victim) }
                Self.insert(&s, Entry(key: Array(k), hash: h, server: -1, serverID: 0, expiry: now + timeout))
                found = Int(s.newest)
            }
            let e = found!
            if create { s.entries[e].expiry = now + timeout; Self.touch(&s, e) }
            let refs = Int(s.entries[e].refs)
            result = Self.counters(&s, e) { body($0, refs) }
        }
        return result
    }

    /// The server id of `key`'s entry (table_server_id), nil when none.
    func serverID(_ key: UnsafeRawBufferPointer, now: Int64) -> Int32? {
        let k = truncated(key)
        let h = Self.hash(k)
        return shard(h).state.withLock { s -> Int32? in
            guard let e = Self.find(&s, k, h), s.entries[e].alive(now) else { return nil }
            return s.entries[e].serverID
        }
    }

    /// Sets counter values of `key`'s entry, creating it (`set table NAME key K data.X V`).
    public func setData(_ key: [UInt8], _ values: [(type: Int, value: UInt64)], layout: StickCounterLayout, now: Int64) {
        key.withUnsafeBytes { k in
            _ = withEntry(k, now: now, create: true) { w, _ in
                for v in values { layout.set(w, v.type, v.value, now: now) }
            }
        }
    }

    @inline(__always) static func counters<R>(_ s: inout ShardState, _ e: Int, _ body: (UnsafeMutableBufferPointer<UInt64>) -> R) -> R {
        let w = s.words
        if w == 0 { return body(UnsafeMutableBufferPointer(start: nil, count: 0)) }
        return s.data.withUnsafeMutableBufferPointer { all in
            body(UnsafeMutableBufferPointer(rebasing: all[(e * w)..<(e * w + w)]))
        }
    }
}

extension AppSessionTable {
    /// A tracked entry's key, copied into `arena` (sc_X(N,TABLE) looks it up elsewhere).
    func copyKey(_ r: StickRef, into arena: SampleArena) -> UnsafeRawBufferPointer? {
        let key = shards[Int(r.shard)].state.withLock { s in s.entries[Int(r.entry)].key }
        guard !key.isEmpty, let p = arena.allocate(key.count) else { return nil }
        key.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: key.count) }
        return UnsafeRawBufferPointer(start: p, count: key.count)
    }
}
