// The session table behind `appsession` and the 2.x `stick-table`: session id (first `len`
// bytes) → server (a StickServer: the server's place in the table's roster of server keys and
// its numeric id, as HAProxy's server_key and server_id), shared by every worker.
//
// 64 shards, each a Mutex around a small open hash: a dictionary from the 64-bit FNV-1a
// hash of the key to the first entry of a collision chain; keys are compared byte for byte
// in place, so a lookup allocates nothing (only an insertion stores the key as [UInt8]).
// Entries of a shard are also on a doubly-linked use list (most recent first): every hit
// refreshes the idle expiry (`timeout`) and moves the entry to the front, so the oldest
// entry is the tail; expiry and eviction both work from the tail. The size bound is split
// evenly between shards; an insertion into a full shard evicts its least recently used
// entry and counts an eviction. Time is passed in (milliseconds) so tests use a fake clock.
//
// Stick counters (AppSessionTable+Counters.swift): an entry may carry `dataWords` counter
// words, kept in the shard beside the entries (index e owns data[e*W ..< e*W+W]) so the one
// shard lock a lookup takes also covers the counters; an entry a stream tracks has `refs` > 0
// and is neither expired, evicted nor cleared until the stream lets it go.

import Synchronization

/// The server an entry designates: `roster` is the index of its key (name, or address with
/// `srvkey addr`) in the table's roster, -1 when unknown; `id` its numeric id (HAProxy's
/// server_id, 1-based), used when the key is unknown to a backend.
public struct StickServer: Equatable, Sendable {
    public var roster: Int32
    public var id: Int32
    public init(roster: Int32, id: Int32) { self.roster = roster; self.id = id }
}

public final class AppSessionTable: Sendable {
    public static let shardCount = 64
    public let keyLength: Int
    public let timeoutMillis: Int64
    public let capacity: Int
    let perShard: Int
    let shards: [Shard]
    let evictionCounter = Atomic<Int>(0)
    /// Counter words per entry (0: the table keeps servers only).
    public let dataWords: Int

    struct Entry {
        var key: [UInt8]
        var hash: UInt64
        var server: Int32
        var serverID: Int32
        var expiry: Int64
        /// HAProxy's server_key: the roster index of the server the entry was learned for
        /// (-1: never learned, as an entry `set table` made). `set table` leaves it as it is.
        var serverKey: Int32 = -1
        var chain: Int32 = -1     // next entry with the same hash
        var newer: Int32 = -1
        var older: Int32 = -1
        /// Streams tracking the entry (HAProxy's ref_cnt).
        var refs: Int32 = 0

        @inline(__always) func alive(_ now: Int64) -> Bool { expiry > now || refs > 0 }
    }

    struct ShardState {
        var heads: [UInt64: Int32] = [:]
        var entries: [Entry] = []
        var free: [Int32] = []
        var newest: Int32 = -1
        var oldest: Int32 = -1
        var count = 0
        /// Counter words, `dataWords` per entry index.
        var data: [UInt64] = []
        var words = 0
    }

    final class Shard: Sendable {
        let state = Mutex(ShardState())
    }

    /// - Parameters: keyLength: bytes of the id kept; timeoutMillis: idle expiry;
    ///   capacity: maximum number of entries (HAProxy's stick-table `size`).
    public init(keyLength: Int, timeoutMillis: Int64, capacity: Int, dataWords: Int = 0) {
        self.keyLength = max(1, keyLength)
        self.timeoutMillis = timeoutMillis
        self.capacity = max(capacity, Self.shardCount)
        self.dataWords = dataWords
        perShard = (self.capacity + Self.shardCount - 1) / Self.shardCount
        shards = (0..<Self.shardCount).map { _ in Shard() }
        if dataWords > 0 { for sh in shards { sh.state.withLock { $0.words = dataWords } } }
    }

    public var evictions: Int { evictionCounter.load(ordering: .relaxed) }
    public var count: Int { shards.reduce(0) { n, s in n + s.state.withLock { $0.count } } }

    @inline(__always) func truncated(_ key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        key.count <= keyLength ? key : UnsafeRawBufferPointer(rebasing: key[0..<keyLength])
    }

    @inline(__always) static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for c in key { h = (h ^ UInt64(c)) &* 0x100000001b3 }
        return h
    }

    /// FNV-1a's top bits barely change between keys that differ in their last characters
    /// (sequential session ids used 6 of the 64 shards): mix before taking them.
    @inline(__always) func shard(_ h: UInt64) -> Shard { shards[shardIndex(h)] }
    @inline(__always) func shardIndex(_ h: UInt64) -> Int { Int(((h ^ (h >> 29)) &* 0xbf58476d1ce4e5b9) >> 58) }

    /// The server of a session id; refreshes its expiry. nil when unknown or expired.
    public func lookupServer(_ key: UnsafeRawBufferPointer, now: Int64) -> StickServer? {
        let k = truncated(key)
        let h = Self.hash(k)
        let timeout = timeoutMillis
        return shard(h).state.withLock { s -> StickServer? in
            guard let e = Self.find(&s, k, h) else { return nil }
            if !s.entries[e].alive(now) { Self.remove(&s, e); return nil }
            s.entries[e].expiry = now + timeout
            Self.touch(&s, e)
            // An entry made by `set table` without a server has roster -1 and id 0: no server.
            return StickServer(roster: s.entries[e].server, id: s.entries[e].serverID)
        }
    }

    /// `lookupServer`'s roster index (a table used by one backend: its server index); nil
    /// for an entry that designates no server.
    public func lookup(_ key: UnsafeRawBufferPointer, now: Int64) -> Int? {
        lookupServer(key, now: now).flatMap { $0.roster >= 0 ? Int($0.roster) : nil }
    }

    /// How `store` treats an existing entry.
    public enum Overwrite: Sendable {
        /// Keep the existing server (appsession: "only insert if lookup fails"), refresh expiry.
        case never
        /// Re-point to the new server.
        case always
        /// Re-point only when `isStale(existingServer)` says so (ringproxy: the server is DOWN).
        case ifStale
    }

    /// Inserts `key → server` (or refreshes/re-points an existing entry). Returns the server
    /// the entry designates afterwards.
    @discardableResult
    public func storeServer(_ key: UnsafeRawBufferPointer, server: StickServer, now: Int64, overwrite: Overwrite = .never,
                            learned: Bool = true, isStale: (StickServer) -> Bool = { _ in false }) -> StickServer {
        put(key, server: server, expiry: now + timeoutMillis, now: now, overwrite: overwrite, learned: learned, isStale: isStale)
    }

    /// `storeServer` with a roster index as the server (id: index + 1).
    @discardableResult
    public func store(_ key: UnsafeRawBufferPointer, server: Int, now: Int64, overwrite: Overwrite = .never,
                      learned: Bool = true, isStale: (Int) -> Bool = { _ in false }) -> Int {
        Int(storeServer(key, server: StickServer(roster: Int32(server), id: Int32(server + 1)), now: now,
                        overwrite: overwrite, learned: learned, isStale: { isStale(Int($0.roster)) }).roster)
    }

    /// An entry learned from a peer: replaces the server and the expiry date whatever they were.
    public func applyRemote(_ key: UnsafeRawBufferPointer, server: StickServer, expiry: Int64, now: Int64) {
        put(key, server: server, expiry: expiry, now: now, overwrite: .always, learned: true, isStale: { _ in false })
    }

    private func put(_ key: UnsafeRawBufferPointer, server: StickServer, expiry: Int64, now: Int64,
                     overwrite: Overwrite, learned: Bool, isStale: (StickServer) -> Bool) -> StickServer {
        let k = truncated(key)
        guard k.count > 0 else { return server }
        let h = Self.hash(k)
        let limit = perShard
        var evicted = false
        let result = shard(h).state.withLock { s -> StickServer in
            if let e = Self.find(&s, k, h), s.entries[e].alive(now) {
                let old = StickServer(roster: s.entries[e].server, id: s.entries[e].serverID)
                var replace = false
                switch overwrite {
                case .never: break
                case .always: replace = true
                case .ifStale: replace = old != server && isStale(old)
                }
                if replace {
                    s.entries[e].server = server.roster; s.entries[e].serverID = server.id
                    if learned { s.entries[e].serverKey = server.roster }
                }
                s.entries[e].expiry = expiry
                Self.touch(&s, e)
                return StickServer(roster: s.entries[e].server, id: s.entries[e].serverID)
            } else if let e = Self.find(&s, k, h) {
                Self.remove(&s, e)   // expired: replaced below
            }
            if s.count >= limit, let victim = Self.evictable(&s) {
                if s.entries[victim].expiry > now { evicted = true }
                Self.remove(&s, victim)
            }
            Self.insert(&s, Entry(key: Array(k), hash: h, server: server.roster, serverID: server.id, expiry: expiry,
                                  serverKey: learned ? server.roster : -1))
            return server
        }
        if evicted { evictionCounter.add(1, ordering: .relaxed) }
        return result
    }

    /// One live entry, copied out (for a peer resynchronisation).
    public struct EntryCopy: Sendable {
        public var key: [UInt8]
        public var server: StickServer
        public var expiry: Int64
    }

    /// The live entries of shard `index` (0..<shardCount), oldest first: a full resync walks
    /// the shards one by one so no lock is held for long.
    public func entries(shard index: Int, now: Int64) -> [EntryCopy] {
        shards[index].state.withLock { s in
            var out: [EntryCopy] = []
            out.reserveCapacity(s.count)
            var e = Int(s.oldest)
            while e >= 0 {
                let x = s.entries[e]
                if x.alive(now) { out.append(EntryCopy(key: x.key, server: StickServer(roster: x.server, id: x.serverID), expiry: x.expiry)) }
                e = Int(x.newer)
            }
            return out
        }
    }

    /// Drops expired entries (oldest first); returns how many.
    @discardableResult
    public func sweep(now: Int64) -> Int {
        var n = 0
        for sh in shards {
            n += sh.state.withLock { s in
                var removed = 0
                var kept = 0
                while s.oldest >= 0 && s.entries[Int(s.oldest)].expiry <= now && kept < s.count {
                    let e = Int(s.oldest)
                    // A tracked entry stays (its stream refreshes it when done): to the front.
                    if s.entries[e].refs > 0 { Self.touch(&s, e); kept += 1; continue }
                    Self.remove(&s, e); removed += 1
                }
                return removed
            }
        }
        return n
    }

    // MARK: shard internals (called with the shard locked)

    /// The least recently used entry no stream tracks (a few are looked at), if any.
    static func evictable(_ s: inout ShardState) -> Int? {
        var e = Int(s.oldest)
        var looked = 0
        while e >= 0 && looked < 16 {
            if s.entries[e].refs == 0 { return e }
            e = Int(s.entries[e].newer); looked += 1
        }
        return nil
    }

    static func find(_ s: inout ShardState, _ k: UnsafeRawBufferPointer, _ h: UInt64) -> Int? {
        guard var e = s.heads[h].map(Int.init) else { return nil }
        while e >= 0 {
            let same = s.entries[e].key.withUnsafeBytes { stored in
                stored.count == k.count && (k.count == 0 || memcmp(stored.baseAddress!, k.baseAddress!, k.count) == 0)
            }
            if same { return e }
            e = Int(s.entries[e].chain)
        }
        return nil
    }

    static func insert(_ s: inout ShardState, _ entry: Entry) {
        var entry = entry
        let e: Int
        entry.chain = s.heads[entry.hash] ?? -1
        if let f = s.free.popLast() { e = Int(f); s.entries[e] = entry } else { e = s.entries.count; s.entries.append(entry) }
        s.heads[entry.hash] = Int32(e)
        if s.words > 0 {
            let need = (e + 1) * s.words
            if s.data.count < need { s.data.append(contentsOf: repeatElement(0, count: need - s.data.count)) }
            for i in (e * s.words)..<need { s.data[i] = 0 }
        }
        linkNewest(&s, e)
        s.count += 1
    }

    static func remove(_ s: inout ShardState, _ e: Int) {
        let h = s.entries[e].hash
        // Unchain.
        if let head = s.heads[h] {
            if Int(head) == e {
                let next = s.entries[e].chain
                if next >= 0 { s.heads[h] = next } else { s.heads[h] = nil }
            } else {
                var p = Int(head)
                while s.entries[p].chain >= 0 && Int(s.entries[p].chain) != e { p = Int(s.entries[p].chain) }
                if Int(s.entries[p].chain) == e { s.entries[p].chain = s.entries[e].chain }
            }
        }
        unlink(&s, e)
        s.entries[e].key = []
        s.free.append(Int32(e))
        s.count -= 1
    }

    static func unlink(_ s: inout ShardState, _ e: Int) {
        let newer = s.entries[e].newer, older = s.entries[e].older
        if newer >= 0 { s.entries[Int(newer)].older = older } else { s.newest = older }
        if older >= 0 { s.entries[Int(older)].newer = newer } else { s.oldest = newer }
        s.entries[e].newer = -1; s.entries[e].older = -1
    }

    static func linkNewest(_ s: inout ShardState, _ e: Int) {
        s.entries[e].newer = -1
        s.entries[e].older = s.newest
        if s.newest >= 0 { s.entries[Int(s.newest)].newer = Int32(e) }
        s.newest = Int32(e)
        if s.oldest < 0 { s.oldest = Int32(e) }
    }

    static func touch(_ s: inout ShardState, _ e: Int) {
        if Int(s.newest) == e { return }
        unlink(&s, e)
        linkNewest(&s, e)
    }
}

#if canImport(Glibc)
import Glibc
#endif
