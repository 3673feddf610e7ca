// What the runtime API (`show|clear|set table`) and a reload's hand-over need from a session
// table: list the live entries, remove one or all, set one. Each call locks one shard at a
// time, as a lookup does; none of this runs on the request path.

extension AppSessionTable {
    /// One live entry: key bytes, server index in the backend, ms until it expires.
    public struct Snapshot: Sendable, Equatable {
        public var key: [UInt8]
        public var server: Int
        /// The roster index of the server the entry was learned for (server_key), -1: none.
        public var serverKey: Int = -1
        public var expiresInMs: Int64
        /// A stable number for the entry (HAProxy prints the entry's address).
        public var id: UInt64
        /// Streams tracking it (HAProxy's `use=`).
        public var use: Int = 0
        /// Its counter words (StickCounterLayout reads them).
        public var data: [UInt64] = []
    }

    /// Every live entry, sorted by key (HAProxy walks its tree in key order).
    public func snapshot(now: Int64) -> [Snapshot] {
        var out: [Snapshot] = []
        for (si, sh) in shards.enumerated() {
            sh.state.withLock { s in
                var e = s.newest
                while e >= 0 {
                    let entry = s.entries[Int(e)]
                    if entry.alive(now) {
                        let w = s.words
                        out.append(Snapshot(key: entry.key, server: Int(entry.server), serverKey: Int(entry.serverKey),
                                            expiresInMs: max(0, entry.expiry - now),
                                            id: UInt64(si) << 32 | UInt64(e), use: Int(entry.refs),
                                            data: w > 0 ? Array(s.data[(Int(e) * w)..<(Int(e) * w + w)]) : []))
                    }
                    e = entry.older
                }
            }
        }
        return out.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    /// Removes the entry of `key`; false when there is none.
    @discardableResult
    public func remove(_ key: [UInt8]) -> Bool {
        key.withUnsafeBytes { k in
            let t = truncated(k)
            let h = Self.hash(t)
            return shard(h).state.withLock { s -> Bool in
                // An entry a stream tracks stays, as in HAProxy.
                guard let e = Self.find(&s, t, h), s.entries[e].refs == 0 else { return false }
                Self.remove(&s, e)
                return true
            }
        }
    }

    /// Removes every entry.
    public func removeAll() {
        for sh in shards {
            sh.state.withLock { s in
                var e = Int(s.oldest)
                while e >= 0 {
                    let next = Int(s.entries[e].newer)
                    if s.entries[e].refs == 0 { Self.remove(&s, e) }
                    e = next
                }
            }
        }
    }

    /// Creates or re-points the entry of `key` (`set table`, a reload's hand-over); the entry
    /// expires `ttlMs` from now (default: the table's timeout).
    public func set(_ key: [UInt8], server: Int, now: Int64, ttlMs: Int64? = nil) {
        key.withUnsafeBytes { k in
            _ = store(k, server: server, now: now - (ttlMs.map { timeoutMillis - $0 } ?? 0), overwrite: .always, learned: false)
        }
    }
}
