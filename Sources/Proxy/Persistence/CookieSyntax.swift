// Cookie header syntax as HAProxy parses it (1.4.9+ `find_cookie_value_end`, 2.6 the same):
// a value may be double-quoted (delimiters inside quotes do not end it), and `;` or `,`
// end a value in a request `Cookie` header.

enum CookieSyntax {
    /// End of a cookie value starting at `s` (exclusive end `e`): the first `;` or `,`
    /// outside double quotes, or `e`.
    @inline(__always)
    static func valueEnd(_ b: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Int {
        var i = s
        var quoted = false, escaped = false
        while i < e {
            let c = b[i]
            if escaped { escaped = false }
            else if quoted {
                if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { quoted = false }
            } else if c == UInt8(ascii: "\"") { quoted = true }
            else if c == UInt8(ascii: ",") || c == UInt8(ascii: ";") { return i }
            i += 1
        }
        return i
    }

    /// One `name = value` item starting after the delimiter at `prev`: the positions HAProxy
    /// calls att_beg, att_end, equal, val_beg, val_end and next.
    struct Item {
        var attBeg = 0, attEnd = 0, equal = 0, valBeg = 0, valEnd = 0, next = 0
        var hasEqual: Bool { equal != next }
    }

    @inline(__always)
    static func item(_ b: UnsafePointer<UInt8>, after prev: Int, end: Int) -> Item {
        var it = Item()
        var a = prev + 1
        while a < end && Bytes.isSpace(b[a]) { a += 1 }
        it.attBeg = a
        var eq = a, attEnd = a
        while eq < end {
            let c = b[eq]
            if c == UInt8(ascii: "=") || c == UInt8(ascii: ",") || c == UInt8(ascii: ";") { break }
            eq += 1
            if Bytes.isSpace(c) { continue }
            attEnd = eq
        }
        it.attEnd = attEnd
        it.equal = eq
        if eq < end && b[eq] == UInt8(ascii: "=") {
            var vb = eq + 1
            while vb < end && Bytes.isSpace(b[vb]) { vb += 1 }
            let nx = valueEnd(b, vb, end)
            var ve = nx
            while ve > vb && Bytes.isSpace(b[ve - 1]) { ve -= 1 }
            it.valBeg = vb; it.valEnd = ve; it.next = nx
        } else {
            it.valBeg = eq; it.valEnd = eq; it.next = eq
        }
        return it
    }

    /// Whether b[lo..<hi] equals `name` exactly (case-sensitive, same length).
    @inline(__always)
    static func isName(_ b: UnsafePointer<UInt8>, _ lo: Int, _ hi: Int, _ name: [UInt8]) -> Bool {
        guard hi - lo == name.count else { return false }
        for k in 0..<name.count where b[lo + k] != name[k] { return false }
        return true
    }
}

/// The persistence characters of the httplog termination state (3rd and 4th characters).
public enum CookieLogChar {
    // request side (3rd)
    public static let none = UInt8(ascii: "N")
    public static let invalid = UInt8(ascii: "I")
    public static let down = UInt8(ascii: "D")
    public static let valid = UInt8(ascii: "V")
    /// maxidle: last seen too long ago.
    public static let expired = UInt8(ascii: "E")
    /// maxlife: first seen too long ago.
    public static let old = UInt8(ascii: "O")
    // response side (4th)
    public static let notSeen = UInt8(ascii: "N")
    public static let passive = UInt8(ascii: "P")
    public static let deleted = UInt8(ascii: "D")
    public static let inserted = UInt8(ascii: "I")
    public static let rewritten = UInt8(ascii: "R")
    public static let updated = UInt8(ascii: "U")
    /// What the log prints when the backend has no cookie option (HAProxy prints `--`).
    public static let unused = UInt8(ascii: "-")
}
