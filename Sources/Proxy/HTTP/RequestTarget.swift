// The pieces of a request target (RFC 9112 §3.2), as ranges: path, query, and the host the
// request is for. Told apart by the first byte as HAProxy 2.6 does (http_uri_parser_init):
// `/…` is origin-form, `*` asterisk-form, anything else absolute-form (`scheme://authority…`,
// the scheme a letter then letters, digits, `+`, `-`, `.`) or, without `://`, authority-form.
// The authority runs up to the first `/` (so `http://h?q` has the authority `h?q`, as in
// HAProxy), and its host is what follows the last `@`.

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

    /// For an absolute-form target, the authority (`userinfo@host:port`, up to the first `/`),
    /// possibly empty.
    public var absoluteAuthority: ByteRange? {
        guard let scheme = absoluteScheme else { return nil }
        return RequestTarget.authority(self, from: Int(scheme.hi) + 3)
    }

    /// The authority HAProxy checks against Host: an absolute-form target's, or the whole of
    /// an authority-form target up to `/`; userinfo removed. nil for origin and asterisk forms.
    public var targetAuthority: ByteRange? {
        let lo = Int(target.lo), hi = Int(target.hi)
        guard hi > lo, bytes[lo] != 47, bytes[lo] != 42 else { return nil }           // '/', '*'
        let a = absoluteAuthority ?? RequestTarget.authority(self, from: lo)
        return RequestTarget.hostPort(self, a)
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

    /// From `lo` up to the first `/` of the target.
    @inline(__always) static func authority(_ head: RequestHead, from lo: Int) -> ByteRange {
        var i = lo
        let hi = Int(head.target.hi)
        while i < hi, head.bytes[i] != 47 { i += 1 }
        return ByteRange(lo, i)
    }

    /// Splits `host[:port]` or `[v6]:port` into the host and the port digits: port nil when
    /// there is no `:` before the final digits, empty for `host:` (HAProxy's http_get_host_port).
    @inline(__always) static func split(_ head: MessageHead, _ r: ByteRange) -> (host: ByteRange, port: ByteRange?) {
        var i = Int(r.hi)
        while i > Int(r.lo), ByteClass.isDigit(head.bytes[i - 1]) { i -= 1 }
        guard i > Int(r.lo), head.bytes[i - 1] == asciiColon else { return (r, nil) }
        return (ByteRange(Int(r.lo), i - 1), ByteRange(i, Int(r.hi)))
    }

    /// Whether `port` is the default one: an empty port always is; with a scheme, 80 for
    /// `http` and 443 for `https`; without one (CONNECT), 80 and 443.
    @inline(__always) static func isDefaultPort(_ head: MessageHead, _ port: ByteRange, scheme: ByteRange?) -> Bool {
        if port.isEmpty { return true }
        let is80 = head.equalsLowercased(port, "80"), is443 = head.equalsLowercased(port, "443")
        guard let scheme else { return is80 || is443 }
        return (is80 && head.equalsLowercased(scheme, "http")) || (is443 && head.equalsLowercased(scheme, "https"))
    }

    @inline(__always) static func equalCaseInsensitive(_ head: MessageHead, _ a: ByteRange, _ b: ByteRange) -> Bool {
        guard a.count == b.count else { return false }
        var i = 0
        while i < a.count {
            if ByteClass.lower(head.bytes[Int(a.lo) + i]) != ByteClass.lower(head.bytes[Int(b.lo) + i]) { return false }
            i += 1
        }
        return true
    }

    /// HAProxy 2.6's check of a non-CONNECT request's authority against its Host value
    /// (h1_headers_to_hdr_list, h1_validate_mismatch_authority): equal (case-insensitive), or
    /// with a scheme, equal hosts where a missing port and the scheme's default port agree.
    static func authorityMatchesHost(_ head: RequestHead, authority: ByteRange, host: ByteRange, scheme: ByteRange?) -> Bool {
        if equalCaseInsensitive(head, authority, host) { return true }
        guard let scheme else { return false }
        let a = split(head, authority), h = split(head, host)
        if a.port == nil && h.port == nil { return false }
        if let p = a.port, !isDefaultPort(head, p, scheme: scheme) { return false }
        if let p = h.port, !isDefaultPort(head, p, scheme: scheme) { return false }
        return equalCaseInsensitive(head, a.host, h.host)
    }

    /// HAProxy 2.6's check of a CONNECT target (h1_validate_connect_authority): `host:port`
    /// with a port (else .badTarget); a Host header names the same host and port, or the same
    /// host without a port when the port is 80 or 443 (else .hostMismatch). A Host port of 80
    /// or 443 is cut (HAProxy forwards and matches `Host: h`; an empty port stays).
    static func checkConnect(_ head: RequestHead, hostIndex: Int) -> ParseError? {
        guard let authority = head.targetAuthority else { return .badTarget }
        let a = split(head, authority)
        guard let port = a.port, !port.isEmpty else { return .badTarget }
        guard hostIndex >= 0 else { return nil }
        let h = split(head, head.fields[hostIndex].value)
        if let hp = h.port, !hp.isEmpty {
            guard equalCaseInsensitive(head, h.host, a.host), head.slice(hp).elementsEqual(head.slice(port)) else { return .hostMismatch }
            if isDefaultPort(head, port, scheme: nil) { cutHostPort(head, hostIndex, h.host) }
            return nil
        }
        return isDefaultPort(head, port, scheme: nil) && equalCaseInsensitive(head, h.host, a.host) ? nil : .hostMismatch
    }

    /// HAProxy 2.6's scheme-based normalisation (http_scheme_based_normalize): an
    /// absolute-form target whose port is the scheme's default (or empty) loses it, and
    /// the Host header loses its own port when that is the scheme's default (or empty) too.
    static func normalise(_ head: RequestHead, hostIndex: Int) {
        guard let scheme = head.absoluteScheme, let authority = head.absoluteAuthority else { return }
        let a = split(head, hostPort(head, authority))
        guard let port = a.port, isDefaultPort(head, port, scheme: scheme) else { return }
        head.targetPortCut = ByteRange(Int(port.lo) - 1, Int(port.hi))
        guard hostIndex >= 0 else { return }
        let h = split(head, head.fields[hostIndex].value)
        if let hp = h.port, isDefaultPort(head, hp, scheme: scheme) { cutHostPort(head, hostIndex, h.host) }
    }

    /// The Host value becomes `host`; the `:port` after it is recorded as cut.
    @inline(__always) static func cutHostPort(_ head: RequestHead, _ hostIndex: Int, _ host: ByteRange) {
        let v = head.fields[hostIndex].value
        head.hostPortCut = ByteRange(Int(host.hi), Int(v.hi))
        head.fields[hostIndex].value = ByteRange(Int(v.lo), Int(host.hi))
    }
}
