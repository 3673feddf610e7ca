// `server … redir PREFIX`: a GET or HEAD request that lands on such a server is not forwarded;
// the client gets HAProxy's 302 to PREFIX followed by the request's path and query, and the
// connection closes (checked on the wire with 2.6.12: lower-case headers in this order; the
// log names the server, `-1` for Tc and Tr, and `LC--`).

enum ServerRedirect {
    /// The 302 for a request target, or nil when the target has no path (`*`, an authority),
    /// in which case HAProxy forwards the request.
    static func response(prefix: [UInt8], target: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let path = pathStart(target) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(100 + prefix.count + target.count)
        out += Array("HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: ".utf8)
        out += prefix
        out += target[path...]
        out += Array("\r\nconnection: close\r\n\r\n".utf8)
        return out
    }

    /// Where the path begins: at 0 for an origin-form target, after `scheme://authority` for an
    /// absolute one; nil without a path.
    static func pathStart(_ t: UnsafeRawBufferPointer) -> Int? {
        guard let first = t.first else { return nil }
        if first == UInt8(ascii: "/") { return 0 }
        var i = 0
        while i + 2 < t.count, !(t[i] == UInt8(ascii: ":") && t[i + 1] == UInt8(ascii: "/") && t[i + 2] == UInt8(ascii: "/")) { i += 1 }
        guard i + 2 < t.count else { return nil }
        var j = i + 3
        while j < t.count, t[j] != UInt8(ascii: "/") { j += 1 }
        return j < t.count ? j : nil
    }
}
