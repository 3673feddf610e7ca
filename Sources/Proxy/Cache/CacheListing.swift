// `show cache` (runtime API): HAProxy 2.6's listing, one line per cache then one per fresh
// entry. Addresses are the objects' (HAProxy prints its pointers; not comparable); the hash is
// a 32-bit FNV-1a of the key (HAProxy: the first 32 bits of its SHA-1); sizes and blocks count
// 1 KiB blocks as HAProxy's shared context does.

enum CacheListing {
    static let blockSize = 1024

    static func text(_ caches: [HTTPCache], now: Int64) -> String {
        var out = ""
        for c in caches {
            let (entries, used) = c.snapshot(now: now)
            let id = address(UInt(bitPattern: ObjectIdentifier(c)))
            let total = c.config.totalMaxSize / blockSize
            let available = max(0, total - (used + blockSize - 1) / blockSize)
            out += "\(id): \(c.config.name) (shctx:\(address(UInt(bitPattern: ObjectIdentifier(c)) &+ 0x40)), available blocks:\(available))\n"
            for e in entries {
                let size = e.head.byteCount + e.body.count
                out += "\(address(UInt(bitPattern: ObjectIdentifier(e)))) hash:\(hash(e.head.key)) vary:0x\(String(repeating: "0", count: 40))"
                out += " size:\(size) (\((size + blockSize - 1) / blockSize) blocks), refcount:0, expire:\(e.head.expire - now)\n"
            }
        }
        return out
    }

    static func hash(_ key: String) -> UInt32 {
        var h: UInt32 = 0x811c9dc5
        for b in key.utf8 { h = (h ^ UInt32(b)) &* 0x01000193 }
        return h
    }

    static func address(_ v: UInt) -> String { "0x" + String(v, radix: 16) }
}
