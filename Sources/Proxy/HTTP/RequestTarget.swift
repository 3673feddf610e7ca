// The pieces of a request target (RFC 9112 §3.2), as ranges: path, query, and the host the
// request is for. Origin-form `/p?q`, absolute-form `http://host:port/p?q`, authority-form
// (CONNECT `host:port`) and asterisk-form (`*`) are told apart by their first bytes.

extension RequestHead {
    /// For an absolute-form target, the scheme (without `://`); nil otherwise.
    public var absoluteScheme: ByteRange? {
        let lo = Int(target.lo), hi = Int(target.hi)
        guard hi > lo, ByteClass.lower(bytes[lo]) &- 97 < 26 else { return nil }
        var i = lo + 1
        while i < hi {
            let c = bytes[i]
            if c == asciiColon { break }
            let isSchemeChar = ByteClass.lower(c) &- 97 < 26 || ByteClass.isDigit(c) || c == 43 || c == 45 || c == 46
            if !isSchemeChar { return nil }
            i += 1
        }
        guard i + 3 <= hi, bytes[i] == asciiColon, bytes[i + 1] == 47, bytes[i + 2] == 47 else { return nil }
        return ByteRange(lo, i)
    }

    /// For an absolute-form target, the authority (`userinfo@host:port`), possibly empty.
    public var absoluteAuthority: ByteRange? {
        guard let scheme = absoluteScheme else { return nil }
        let lo = Int(scheme.hi) + 3
        var i = lo
        let hi = Int(target.hi)
        while i < hi, bytes[i] != 47, bytes[i] != 63, bytes[i] != 35 { i += 1 }   // '/', '?', '#'
        return ByteRange(lo, i)
    }

    /// The path: for origin-form the target up to `?`; for absolute-form the part after the
    /// authority up to `?` (empty when there is none); asterisk-form: `*`; CONNECT: empty.
    public var path: ByteRange {
        var lo = Int(target.lo)
        let hi = Int(target.hi)
        if let authority = absoluteAuthority {
            lo = Int(authority.hi)
        } else if hi > lo, bytes[lo] != 47, bytes[lo] != 42 {
            return ByteRange(hi, hi)                                                 // authority-form
        }
        var i = lo
        while i < hi, bytes[i] != 63, bytes[i] != 35 { i += 1 }
        return ByteRange(lo, i)
    }

    /// The query (after `?`, up to `#` or the end), or nil when there is no `?`.
    public var query: ByteRange? {
        let p = path
        let hi = Int(target.hi)
        guard Int(p.hi) < hi, bytes[Int(p.hi)] == 63 else { return nil }
        var i = Int(p.hi) + 1
        while i < hi, bytes[i] != 35 { i += 1 }
        return ByteRange(Int(p.hi) + 1, i)
    }

    /// The host the request is for: the Host header's value, else the host and port of an
    /// absolute-form target (userinfo removed), else the target of a CONNECT; nil if none.
    public var host: ByteRange? {
        if let i = findHeader("host") { return fields[i].value }
        if let authority = absoluteAuthority { return RequestTarget.hostPort(self, authority) }
        let lo = Int(target.lo), hi = Int(target.hi)
        if hi > lo, bytes[lo] != 47, bytes[lo] != 42 { return target }
        return nil
    }
}

enum RequestTarget {
    /// The authority without `userinfo@`.
    @inline(__always) static func hostPort(_ head: MessageHead, _ authority: ByteRange) -> ByteRange {
        var i = Int(authority.hi)
        while i > Int(authority.lo) {
            if head.bytes[i - 1] == 64 { return ByteRange(i, Int(authority.hi)) }          // '@'
            i -= 1
        }
        return authority
    }

    /// Splits `host[:port]` or `[v6]:port` into the host and the port digits (maybe empty).
    @inline(__always) static func split(_ head: MessageHead, _ r: ByteRange) -> (host: ByteRange, port: ByteRange) {
        var i = Int(r.hi)
        while i > Int(r.lo) {
            let c = head.bytes[i - 1]
            if c == asciiColon { return (ByteRange(Int(r.lo), i - 1), ByteRange(i, Int(r.hi))) }
            if !ByteClass.isDigit(c) { break }
            i -= 1
        }
        return (r, ByteRange(Int(r.hi), Int(r.hi)))
    }

    /// The port as a number (leading zeros allowed); 0 for no port, -1 if not a number.
    @inline(__always) static func portNumber(_ head: MessageHead, _ r: ByteRange) -> Int {
        if r.isEmpty { return 0 }
        guard r.count <= 5, let n = MessageHeaders.decimal(head, r) else { return -1 }
        return Int(n)
    }

    /// Whether an absolute-form authority and a Host value designate the same host and port
    /// (case-insensitive host; the scheme's default port counts as no port).
    static func sameHost(_ head: MessageHead, authority: ByteRange, host: ByteRange, scheme: ByteRange?) -> Bool {
        let a = split(head, hostPort(head, authority))
        let h = split(head, host)
        guard a.host.count == h.host.count, !a.host.isEmpty else { return false }
        var i = 0
        while i < a.host.count {
            if ByteClass.lower(head.bytes[Int(a.host.lo) + i]) != ByteClass.lower(head.bytes[Int(h.host.lo) + i]) { return false }
            i += 1
        }
        var defaultPort = 0
        if let scheme {
            if head.equalsLowercased(scheme, "http") { defaultPort = 80 }
            else if head.equalsLowercased(scheme, "https") { defaultPort = 443 }
        }
        var pa = portNumber(head, a.port), ph = portNumber(head, h.port)
        if pa < 0 || ph < 0 { return false }
        if pa == defaultPort { pa = 0 }
        if ph == defaultPort { ph = 0 }
        return pa == ph
    }
}
