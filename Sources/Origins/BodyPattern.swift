// The deterministic body `?size=N` answers with, so a client can check every byte it got.

/// Byte i of a `?size=N` body is `alphabet[(i % 4093) % 64]`: printable, and with a period
/// (4093, prime) that is not a multiple of any buffer size, so a lost, repeated or reordered
/// block of bytes shows up.
public enum BodyPattern {
    public static let period = 4093
    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_".utf8)

    @inline(__always) public static func byte(at index: Int) -> UInt8 {
        alphabet[(index % period) % 64]
    }

    /// The first `count` bytes of the pattern.
    public static func bytes(count: Int) -> [UInt8] {
        (0..<count).map { byte(at: $0) }
    }

    /// One period followed by `maxSlice` more bytes: any run of up to `maxSlice` pattern bytes
    /// starting at offset i is `tiled[i % period ..< i % period + n]` (no per-byte work when sending).
    static let maxSlice = 32 * 1024
    static let tiled: [UInt8] = bytes(count: period + maxSlice)
}
