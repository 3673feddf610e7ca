// Splitting a header value into its comma-separated elements (hdr(), hdr_reg()... in ACLs):
// the search for the first comma or double quote, 8 bytes at a time. A Host value is usually
// one element, and every ACL on hdr(host) looks for its end again: the byte-by-byte loop with
// its quote state only starts at the first byte that can change something.

enum HeaderElements {
    /// Offset of the first `,` or `"` in `b` at or after `from`, or `b.count` when there is none.
    @inline(__always) static func firstCommaOrQuote(_ b: UnsafeRawBufferPointer, from: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let commas: UInt64 = 0x2C2C_2C2C_2C2C_2C2C, quotes: UInt64 = 0x2222_2222_2222_2222
        let n = b.count
        var i = from
        while i + 8 <= n {
            // the "has a zero byte" word trick on w^commas and w^quotes: exact for "none in
            // this word", so a word it flags is looked at byte by byte below
            let w = b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let x = w ^ commas, y = w ^ quotes
            if ((x &- ones) & ~x | (y &- ones) & ~y) & highs != 0 { break }
            i += 8
        }
        while i < n {
            let ch = b[i]
            if ch == UInt8(ascii: ",") || ch == UInt8(ascii: "\"") { return i }
            i += 1
        }
        return n
    }
}
