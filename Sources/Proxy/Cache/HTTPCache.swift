// A `cache` section at run time: its configuration and its store, shared by every worker.
// One lock per cache, held for a map lookup and a list relink (cache-use), or an insert with
// its evictions (the end of a stored response), or a removal (an unsafe request's success).
// A per-worker store would make a hit depend on which worker accepted the connection (HAProxy's
// cache is shared by its threads, under its shctx lock, too); requests in proxies without
// cache-use/cache-store never touch it. Entries are immutable: a hit is served outside the lock.

import Synchronization

// @unchecked: the name bytes are immutable; the store is behind its Mutex.
public final class HTTPCache: @unchecked Sendable {
    public let config: CacheConfig
    /// The name, for res.cache_name (lives as long as the cache).
    let nameBytes: UnsafeRawBufferPointer
    private let store: Mutex<CacheStore>

    public init(config: CacheConfig) {
        self.config = config
        let b = Array(config.name.utf8)
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(b.count, 1), alignment: 1)
        b.withUnsafeBytes { if !$0.isEmpty { p.copyMemory(from: $0) } }
        nameBytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[0..<b.count])
        store = Mutex(CacheStore(capacity: config.totalMaxSize))
    }
    deinit { UnsafeMutableRawPointer(mutating: nameBytes.baseAddress)?.deallocate() }

    var maxObjectSize: Int { config.effectiveMaxObjectSize }

    func lookup(_ key: String, now: Int64) -> CacheEntry? { store.withLock { $0.lookup(key, now: now) } }

    /// Stores a complete response unless it is larger than max-object-size.
    @discardableResult
    func insert(_ e: CacheEntry) -> Bool {
        guard e.head.byteCount + e.body.count <= maxObjectSize else { return false }
        return store.withLock { $0.insert(e) }
    }

    func remove(_ key: String) { store.withLock { $0.remove(key) } }

    /// (entries, bytes used), fresh entries most recently used first.
    func snapshot(now: Int64) -> (entries: [CacheEntry], used: Int) {
        store.withLock { s in (s.snapshot(now: now), s.used) }
    }
}
