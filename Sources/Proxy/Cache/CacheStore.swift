// The entries of one cache: a map by key and a least-recently-used list, bounded by bytes
// (total-max-size). A lookup that finds an expired entry removes it (as HAProxy's
// entry_exist); storing past the bound evicts the least recently used entries first. Not
// synchronised: HTTPCache holds it under its lock.

struct CacheStore {
    let capacity: Int
    private(set) var used = 0
    private var nodes: [String: Node] = [:]
    /// Most recently used first.
    private var head: Node? = nil
    private var tail: Node? = nil

    final class Node {
        let entry: CacheEntry
        var prev: Node? = nil
        var next: Node? = nil
        init(_ e: CacheEntry) { entry = e }
    }

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { nodes.count }

    /// The fresh entry stored under `key`, now the most recently used.
    mutating func lookup(_ key: String, now: Int64) -> CacheEntry? {
        guard let n = nodes[key] else { return nil }
        guard n.entry.head.expire > now else { remove(key); return nil }
        unlink(n); pushFront(n)
        return n.entry
    }

    /// Stores `e` in place of any entry under its key; false when it cannot fit at all.
    @discardableResult
    mutating func insert(_ e: CacheEntry) -> Bool {
        remove(e.head.key)
        guard e.size <= capacity else { return false }
        while used + e.size > capacity, let last = tail { remove(last.entry.head.key) }
        let n = Node(e)
        nodes[e.head.key] = n
        pushFront(n)
        used += e.size
        return true
    }

    mutating func remove(_ key: String) {
        guard let n = nodes.removeValue(forKey: key) else { return }
        unlink(n)
        used -= n.entry.size
    }

    /// Every entry, most recently used first (for `show cache`); expired ones are dropped.
    mutating func snapshot(now: Int64) -> [CacheEntry] {
        var out: [CacheEntry] = []
        var n = head
        var expired: [String] = []
        while let x = n {
            if x.entry.head.expire > now { out.append(x.entry) } else { expired.append(x.entry.head.key) }
            n = x.next
        }
        for k in expired { remove(k) }
        return out
    }

    private mutating func unlink(_ n: Node) {
        if let p = n.prev { p.next = n.next } else { head = n.next }
        if let x = n.next { x.prev = n.prev } else { tail = n.prev }
        n.prev = nil; n.next = nil
    }

    private mutating func pushFront(_ n: Node) {
        n.next = head
        head?.prev = n
        head = n
        if tail == nil { tail = n }
    }
}
