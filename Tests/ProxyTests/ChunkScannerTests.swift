import CUring
import Testing

/// The engine's chunked-body framing scanner (Sources/CUring/rp_chunk.c): where a chunked
/// body ends, whatever way its bytes are cut into reads, and which framings are refused.
@Suite struct ChunkScannerTests {
    enum Outcome: Equatable { case done(Int), more, error }

    /// Scans `bytes` fed `step` bytes at a time; `.done(n)` gives the body's total length.
    static func scan(_ bytes: [UInt8], step: Int = Int.max) -> Outcome {
        var c = rp_chunk()
        rp_chunk_init(&c)
        var offset = 0
        while offset < bytes.count {
            let n = min(step, bytes.count - offset)
            var used = 0
            let r = bytes[offset..<(offset + n)].withUnsafeBufferPointer { rp_chunk_scan(&c, $0.baseAddress, n, &used) }
            if r == Int32(RP_CHUNK_ERROR) { return .error }
            if r == Int32(RP_CHUNK_DONE) { return .done(offset + used) }
            #expect(used == n)
            offset += n
        }
        return .more
    }

    static func check(_ text: String, _ expected: Outcome) {
        let b = Array(text.utf8)
        for step in [Int.max, 1, 2, 3, 7] {
            #expect(scan(b, step: step) == expected, "\(text.debugDescription) in steps of \(step)")
        }
    }

    @Test(arguments: [
        "0\r\n\r\n",
        "5\r\nhello\r\n0\r\n\r\n",
        "5;ext=1\r\nhello\r\n0\r\n\r\n",
        "5 ;ext\r\nhello\r\n0\r\n\r\n",
        "5 \t\r\nhello\r\n0\r\n\r\n",
        "A\r\n0123456789\r\n0\r\n\r\n",
        "a\r\n0123456789\r\n000\r\n\r\n",
        "0000000000000000000005\r\nhello\r\n0\r\n\r\n",        // leading zeros (2.6.12 accepts them)
        "5;a=\"b c\"\r\nhello\r\n0\r\n\r\n",
        "0\r\nX-Trailer: t\r\nOther:\r\n\r\n",
        "0\r\nTransfer-Encodings: x\r\nContent-Lengt: 1\r\nContent-Length-X: 2\r\n\r\n",   // near the framing names
        "3\r\nabc\r\n2\r\nde\r\n0;last\r\nT: 1\r\n\r\n",
    ])
    func accepted(_ body: String) {
        Self.check(body, .done(body.utf8.count))
    }

    @Test func stopsAtTheEndOfTheBody() {
        Self.check("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n", .done(15))
        Self.check("5\r\nhel", .more)
        Self.check("0\r\nT: v\r\n", .more)
    }

    @Test(arguments: [
        ("bare LF after the size", "5\nhello\r\n0\r\n\r\n"),
        ("bare LF after the data", "5\r\nhello\n0\r\n\r\n"),
        ("bare LF ending the body", "5\r\nhello\r\n0\r\n\n"),
        ("bare LF after the last size", "0\n\r\n"),
        ("bare LF after an extension", "5;x\nhello\r\n0\r\n\r\n"),
        ("bare LF in a trailer", "0\r\nT: v\n\r\n"),
        ("CR not followed by LF", "5\r hello\r\n0\r\n\r\n"),
        ("no size", "\r\nhello\r\n0\r\n\r\n"),
        ("not hex", "g\r\n"),
        ("sign", "+5\r\nhello\r\n"),
        ("text after blanks", "5 x\r\nhello\r\n0\r\n\r\n"),
        ("2^52 or more", "10000000000000\r\n"),
        ("data longer than the size", "5\r\nhello!\r\n0\r\n\r\n"),
        ("trailer without a colon", "0\r\n0\r\n\r\n"),
        ("trailer name with a space", "0\r\nX T: v\r\n\r\n"),
        ("folded trailer", "0\r\nT: v\r\n w\r\n\r\n"),
        ("NUL in a trailer", "0\r\nT: a\u{0}b\r\n\r\n"),
        ("bare CR in a trailer", "0\r\nT: a\rb\r\n\r\n"),
        ("Transfer-Encoding trailer", "0\r\nTransfer-Encoding: -1\r\n\r\n"),
        ("Content-Length trailer", "0\r\nX: 1\r\ncontent-LENGTH: 5\r\n\r\n"),
    ] as [(String, String)])
    func refused(_ name: String, _ body: String) {
        let outcome = Self.scan(Array(body.utf8))
        #expect(outcome == .error, "\(name)")
        #expect(Self.scan(Array(body.utf8), step: 1) == .error, "\(name), byte by byte")
    }

    @Test func largestChunkSize() {
        Self.check("fffffffffffff\r\n", .more)
    }
}
