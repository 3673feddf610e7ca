// The commonest ACL regex, `^(www.example.com)` or `^www.example.com` (HAProxy configurations
// route on Host this way), needs no regex engine: it is "the subject starts with these bytes,
// `.` standing for any byte but a line end". Recognised once when the Regex is compiled; a
// match through PCRE2 costs several hundred instructions, this about one per byte. Captures
// are never needed by `matches` (searches that read them still go through PCRE2).

struct RegexAnchoredLiteral: Sendable {
    /// The pattern's bytes after `^` and without the group's parentheses; `.` is a wildcard.
    /// Letters are lower case when caseless.
    let bytes: [UInt8]
    let caseless: Bool

    /// The literal form of `pattern`, or nil when it uses anything else than `^`, one optional
    /// group around everything, ASCII letters, digits, `-`, `_`, `/`, `:` and `.`.
    init?(pattern: String, caseless: Bool) {
        var p = Array(pattern.utf8)
        guard p.count >= 2, p[0] == UInt8(ascii: "^") else { return nil }
        p.removeFirst()
        if p.first == UInt8(ascii: "(") {
            guard p.count >= 3, p.last == UInt8(ascii: ")") else { return nil }
            p = Array(p[1..<(p.count - 1)])
        }
        guard !p.isEmpty else { return nil }
        for c in p {
            let plain = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: "/")
                || c == UInt8(ascii: ":") || c == UInt8(ascii: ".")
            guard plain else { return nil }
        }
        bytes = caseless ? p.map { ($0 >= 65 && $0 <= 90) ? $0 | 0x20 : $0 } : p
        self.caseless = caseless
    }

    /// true/false when the answer is certain; nil when a wildcard meets a byte PCRE2 may count as
    /// a line end (LF, CR, VT, FF, NEL: which ones depends on how the library was built), so the
    /// caller asks PCRE2.
    @inline(__always) func matches(_ subject: UnsafeRawBufferPointer) -> Bool? {
        let n = bytes.count
        guard subject.count >= n else { return false }
        return bytes.withUnsafeBufferPointer { p -> Bool? in
            var i = 0
            while i < n {
                let want = p[i]
                var c = subject[i]
                if want == UInt8(ascii: ".") {
                    if c == 10 || c == 13 || c == 11 || c == 12 || c == 0x85 { return nil }
                } else {
                    if caseless && c >= 65 && c <= 90 { c |= 0x20 }
                    if c != want { return false }
                }
                i += 1
            }
            return true
        }
    }
}
