// Configuration words are Swift Strings, but HAProxy's words are bytes: `str(\xE0)` is the
// single byte E0, not valid UTF-8. The lexer keeps such bytes by mapping each byte of an
// invalid UTF-8 sequence to a code point of Plane 16's private use area (U+10FE80 + byte −
// 0x80); the rule compiler maps them back when it turns a literal into bytes. Valid text
// (every real configuration) goes through unchanged, and all of this happens at load time.

enum ConfigBytes {
    static let base: UInt32 = 0x10FE00

    /// A word from its bytes, losslessly.
    static func string(_ bytes: [UInt8]) -> String {
        // Fast path: valid UTF-8 without a code point of our private range.
        if let s = String(validating: bytes, as: UTF8.self), !s.utf8.contains(0xF4) { return s }
        var out = String.UnicodeScalarView()
        var parser = Unicode.UTF8.ForwardParser()
        var it = bytes.makeIterator()
        var consumed = 0
        loop: while true {
            switch parser.parseScalar(from: &it) {
            case .valid(let e):
                let scalar = Unicode.UTF8.decode(e)
                // A literal private-use code point of our range would be read back as a byte:
                // keep it out of the range by taking its bytes one by one as well.
                if scalar.value >= base + 0x80 && scalar.value <= base + 0xFF {
                    for k in 0..<e.count { out.append(Unicode.Scalar(base + UInt32(bytes[consumed + k]))!) }
                } else {
                    out.append(scalar)
                }
                consumed += e.count
            case .error(let length):
                for k in 0..<length { out.append(Unicode.Scalar(base + UInt32(bytes[consumed + k]))!) }
                consumed += length
            case .emptyInput:
                break loop
            }
        }
        return String(out)
    }

    /// The bytes a word stands for (inverse of `string`).
    static func bytes(_ s: String) -> [UInt8] {
        if !s.utf8.contains(0xF4) { return Array(s.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            if u.value >= base + 0x80 && u.value <= base + 0xFF { out.append(UInt8(u.value - base)) }
            else { out.append(contentsOf: String(u).utf8) }
        }
        return out
    }
}
