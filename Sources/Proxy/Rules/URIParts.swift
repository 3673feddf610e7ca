// The parts of a request target as HAProxy's http_uri_parser finds them: an origin-form
// path ("/a?b"), an absolute URI ("http://user@host:80/a?b"), an authority (CONNECT
// "host:443") or "*". Ranges are offsets into the target bytes; no allocation.

struct URIParts {
    /// [lo, hi) of each part; `nil` when absent.
    var scheme: Range<Int>? = nil
    var authority: Range<Int>? = nil          // without user info
    var authorityWithUser: Range<Int>? = nil
    /// The path and query ("/a?b"), nil when the target has no path (authority form, "*",
    /// absolute URI without a path).
    var pathQuery: Range<Int>? = nil

    init(_ u: UnsafeRawBufferPointer) {
        let n = u.count
        guard n > 0 else { return }
        if u[0] == UInt8(ascii: "/") { pathQuery = 0..<n; return }
        if n == 1 && u[0] == UInt8(ascii: "*") { return }
        // scheme "://"
        var p = 0
        let c0 = u[0] | 0x20
        guard c0 >= 97 && c0 <= 122 else { authority = 0..<n; authorityWithUser = 0..<n; return }
        p = 1
        while p < n {
            let c = u[p]
            let a = c | 0x20
            if (a >= 97 && a <= 122) || (c >= 48 && c <= 57) || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") { p += 1 } else { break }
        }
        guard p + 2 < n, u[p] == UInt8(ascii: ":"), u[p + 1] == UInt8(ascii: "/"), u[p + 2] == UInt8(ascii: "/") else {
            // authority form (CONNECT host:port): no scheme, no path
            authority = 0..<n
            authorityWithUser = 0..<n
            return
        }
        scheme = 0..<(p + 3)
        var a = p + 3
        let start = a
        var userEnd = start
        while a < n && u[a] != UInt8(ascii: "/") {
            if u[a] == UInt8(ascii: "@") { userEnd = a + 1 }
            a += 1
        }
        authorityWithUser = start..<a
        authority = userEnd..<a
        if a < n { pathQuery = a..<n }
    }

    /// The path without the query.
    func path(_ u: UnsafeRawBufferPointer) -> Range<Int>? {
        guard let pq = pathQuery else { return nil }
        var e = pq.lowerBound
        while e < pq.upperBound && u[e] != UInt8(ascii: "?") { e += 1 }
        return pq.lowerBound..<e
    }

    /// The query after '?', nil when there is no '?'. (HAProxy's `query` works on the whole
    /// target: the first '?' anywhere.)
    static func query(_ u: UnsafeRawBufferPointer) -> Range<Int>? {
        var i = 0
        while i < u.count && u[i] != UInt8(ascii: "?") { i += 1 }
        guard i < u.count else { return nil }
        return (i + 1)..<u.count
    }
}
