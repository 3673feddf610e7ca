// FNV-1a, 64-bit: the body checksum `?hash=1` answers with (cheap, and easy to recompute in a
// test or a shell).

public struct FNV1a64: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        var h = value
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        value = h
    }

    public static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var f = FNV1a64()
        f.update(bytes)
        return f.value
    }

    /// 16 lower-case hex digits.
    public static func hex(_ value: UInt64) -> String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
