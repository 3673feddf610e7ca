// Character classes of RFC 9110/9112 as bit masks: no tables to allocate, branch-free tests.

@usableFromInline let asciiCR: UInt8 = 13
@usableFromInline let asciiLF: UInt8 = 10
@usableFromInline let asciiSP: UInt8 = 32
@usableFromInline let asciiHTAB: UInt8 = 9
@usableFromInline let asciiColon: UInt8 = 58
@usableFromInline let asciiComma: UInt8 = 44

enum ByteClass {
    // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    // Bit i of tcharLow is byte i (0..63), bit i of tcharHigh is byte 64+i (64..127).
    // (Computed once from the list above; HTTPParserTests checks them against it.)
    static let tcharLow: UInt64 = 0x03ff_6cfa_0000_0000
    static let tcharHigh: UInt64 = 0x57ff_ffff_c7ff_fffe

    /// A token character (header names, methods, codings).
    @inline(__always) static func isTokenChar(_ c: UInt8) -> Bool {
        if c < 64 { return tcharLow & (1 << UInt64(c)) != 0 }
        if c < 128 { return tcharHigh & (1 << UInt64(c - 64)) != 0 }
        return false
    }

    /// A byte allowed in a request target: visible ASCII (HAProxy 2.6 refuses CTLs, spaces
    /// and bytes above 0x7E there).
    @inline(__always) static func isTargetChar(_ c: UInt8) -> Bool { c > 0x20 && c < 0x7F }

    /// Optional whitespace (SP / HTAB).
    @inline(__always) static func isBlank(_ c: UInt8) -> Bool { c == asciiSP || c == asciiHTAB }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }

    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { (c &- 65) < 26 ? c | 0x20 : c }
}
