/// A request for the stats page (spec §16): GET, HEAD or POST whose path starts with
/// `stats uri` (byte compare, query included), with the options HAProxy 2.6 looks for after
/// the prefix (http_ana.c, http_handle_stats): `;up`, `;no-maint`, `;norefresh`, `;csv`,
/// `;st=CODE` (the result of a POST the page is redirected to) and `scope=TEXT`.
public struct StatsRequest: Equatable, Sendable {
    public enum Format: Equatable, Sendable { case html, csv }
    public var format: Format = .html
    /// `;norefresh`: no Refresh header (only looked for when `stats refresh` is set).
    public var noRefresh = false
    /// `;up`: hide servers that are not UP.
    public var upOnly = false
    /// `;no-maint`: hide servers in maintenance.
    public var hideMaintenance = false
    public var isHead = false
    /// The admin form's POST (`stats admin`).
    public var isPost = false
    /// `;st=CODE`: the outcome of the POST this page follows.
    public var status: StatsActionStatus? = nil
    /// `scope=TEXT`: only the proxies whose name contains TEXT (case-insensitive), at most 20
    /// characters, ended by `;`, `&` or a blank.
    public var scope: String? = nil

    public init() {}

    /// Matches `method` and `target` (raw request-line bytes) against the configured URI.
    /// Allocation-free unless it matches: it runs for every request of a frontend with stats.
    public static func match(method: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer,
                             uri: UnsafeRawBufferPointer) -> StatsRequest? {
        let isGet = equals(method, "GET"), isHead = equals(method, "HEAD"), isPost = equals(method, "POST")
        guard isGet || isHead || isPost else { return nil }
        // An absolute-form target is matched on its path, as HAProxy does for a `/` prefix.
        let path = uri.first == UInt8(ascii: "/") ? pathPart(target) : target
        guard path.count >= uri.count else { return nil }
        for i in 0..<uri.count where path[i] != uri[i] { return nil }
        let rest = UnsafeRawBufferPointer(rebasing: path[uri.count...])
        var r = StatsRequest()
        r.isHead = isHead
        r.isPost = isPost
        if find(rest, ";csv") != nil { r.format = .csv }
        if find(rest, ";norefresh") != nil { r.noRefresh = true }
        if find(rest, ";up") != nil { r.upOnly = true }
        if find(rest, ";no-maint") != nil { r.hideMaintenance = true }
        // HAProxy wants 4 bytes after `;st=` and 2 after `scope=` (its loops stop 8 bytes
        // before the end), so `scope=b` at the very end is no scope.
        if let at = find(rest, ";st="), at + 8 <= rest.count {
            let code = String(decoding: rest[(at + 4)..<(at + 8)], as: UTF8.self)
            r.status = StatsActionStatus(rawValue: code) ?? .unknown
        }
        if let at = find(rest, "scope="), at + 8 <= rest.count {
            var end = at + 6
            while end < rest.count, rest[end] != UInt8(ascii: ";"), rest[end] != UInt8(ascii: "&"), rest[end] != UInt8(ascii: " ") { end += 1 }
            let text = rest[(at + 6)..<min(end, at + 6 + StatsActionStatus.scopeMaxLength)]
            // HAProxy's invalid_char(): only letters, digits and `.-_:` make a scope.
            if text.allSatisfy(isScopeCharacter) { r.scope = String(decoding: text, as: UTF8.self) }
        }
        return r
    }

    /// Convenience for configuration-time Strings (tests, tools).
    public static func match(method: String, target: String, uri: String) -> StatsRequest? {
        let m = Array(method.utf8), t = Array(target.utf8), u = Array(uri.utf8)
        return m.withUnsafeBytes { mb in t.withUnsafeBytes { tb in u.withUnsafeBytes { ub in match(method: mb, target: tb, uri: ub) } } }
    }

    /// `?scope=TEXT` for the links and the redirect (empty without a scope).
    public var scopeQuery: String { scope.map { "?scope=" + $0 } ?? "" }

    static func isScopeCharacter(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: ":"): return true
        default: return false
        }
    }

    /// `http://host/p?q` → `/p?q`; an origin-form target is returned as it is.
    static func pathPart(_ t: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard t.first != UInt8(ascii: "/"), let scheme = find(t, "://") else { return t }
        var i = scheme + 3
        while i < t.count, t[i] != UInt8(ascii: "/") { i += 1 }
        return UnsafeRawBufferPointer(rebasing: t[i...])
    }

    static func equals(_ a: UnsafeRawBufferPointer, _ s: StaticString) -> Bool {
        guard a.count == s.utf8CodeUnitCount else { return false }
        for i in 0..<a.count where a[i] != s.utf8Start[i] { return false }
        return true
    }

    /// The offset of the first occurrence of `needle`, or nil.
    static func find(_ hay: UnsafeRawBufferPointer, _ needle: StaticString) -> Int? {
        let n = needle.utf8CodeUnitCount
        guard hay.count >= n else { return nil }
        outer: for start in 0...(hay.count - n) {
            for j in 0..<n where hay[start + j] != needle.utf8Start[j] { continue outer }
            return start
        }
        return nil
    }
}

/// The outcome of an admin form POST, carried by the redirect as `;st=CODE` and shown by the
/// page as a message (HAProxy's STAT_STATUS_*).
public enum StatsActionStatus: String, Sendable, Equatable {
    case denied = "DENY", done = "DONE", invalidParameters = "ERRP", exceeded = "EXCD"
    case nothing = "NONE", partial = "PART", unknown = "UNKN", invalidRequest = "IVAL"

    static let scopeMaxLength = 20
}
