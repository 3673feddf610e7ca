// Walking list-valued headers (RFC 9110 §5.6.1: `#element`) without allocating: every
// comma-separated element of every occurrence of a header, blank-trimmed, as a ByteRange.
// Quoted strings are not interpreted (a comma inside quotes splits too), as HAProxy does
// for the headers it reads this way (Connection, Transfer-Encoding, Content-Length, Host).

extension MessageHead {
    /// Calls `body` for each non-empty, blank-trimmed element of the comma list in `value`.
    /// Stops early and returns false when `body` returns false.
    @inline(__always) @discardableResult
    public func forEachElement(of value: ByteRange, _ body: (ByteRange) -> Bool) -> Bool {
        var i = Int(value.lo)
        let end = Int(value.hi)
        while i < end {
            var lo = i
            while lo < end && ByteClass.isBlank(bytes[lo]) { lo += 1 }
            var hi = lo
            while hi < end && bytes[hi] != asciiComma { hi += 1 }
            i = hi + 1
            while hi > lo && ByteClass.isBlank(bytes[hi - 1]) { hi -= 1 }
            if hi > lo, !body(ByteRange(lo, hi)) { return false }
        }
        return true
    }

    /// Calls `body` for every element of every header named `lower` (ASCII lower case), in
    /// order; `body` returns false to stop.
    public func forEachValue(ofHeader lower: StaticString, _ body: (ByteRange) -> Bool) {
        var i = 0
        while i < headerCount {
            if equalsLowercased(fields[i].name, lower) {
                if !forEachElement(of: fields[i].value, body) { return }
            }
            i += 1
        }
    }

    /// Whether any element of any header `lower` equals `token` (case-insensitive).
    public func headerHasToken(_ lower: StaticString, _ token: StaticString) -> Bool {
        var found = false
        forEachValue(ofHeader: lower) { r in
            if equalsLowercased(r, token) { found = true; return false }
            return true
        }
        return found
    }

    /// Case-insensitive comparison of a range with runtime bytes given in lower case
    /// (configured header names).
    @inline(__always) public func equalsLowercased(_ r: ByteRange, bytes lower: UnsafeRawBufferPointer) -> Bool {
        guard r.count == lower.count else { return false }
        var i = 0
        while i < lower.count {
            if ByteClass.lower(bytes[Int(r.lo) + i]) != lower[i] { return false }
            i += 1
        }
        return true
    }
}
