// The hash functions HAProxy uses for balancing (1.4 backend.c / standard.h; 2.x hash.c).

enum BalanceHash {
    /// sdbm, the default for `balance uri`, `url_param` and `hdr()`:
    /// hash = c + (hash << 6) + (hash << 16) - hash, over 32-bit unsigned arithmetic.
    @inline(__always)
    static func sdbm(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var h = seed
        for c in bytes { h = UInt32(c) &+ (h << 6) &+ (h << 16) &- h }
        return h
    }

    /// Bob Jenkins' 32-bit integer mix (HAProxy's `full_hash`), used by the consistent ring.
    @inline(__always)
    static func fullHash(_ x: UInt32) -> UInt32 {
        var a = x
        a = (a &+ 0x7ed55d16) &+ (a << 12)
        a = (a ^ 0xc761c23c) ^ (a >> 19)
        a = (a &+ 0x165667b1) &+ (a << 5)
        a = (a &+ 0xd3a2646c) ^ (a << 9)
        a = (a &+ 0xfd7046c5) &+ (a << 3)
        a = (a ^ 0xb55a4f09) ^ (a >> 16)
        return a
    }
}
