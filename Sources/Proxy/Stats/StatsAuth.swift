/// HTTP Basic authentication against the `stats auth user:password` lines. Only runs for
/// stats requests, so it may allocate.
public enum StatsAuth {
    /// True when no `stats auth` is configured, or `authorization` (the header value) is
    /// `Basic base64(user:password)` for one of them.
    public static func isAuthorized(_ authorization: String?, config: StatsConfig) -> Bool {
        if config.auths.isEmpty { return true }
        guard let value = authorization else { return false }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let decoded = Base64.decode(parts[1].trimmingSpaces()) else { return false }
        guard let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else { return false }
        let user = String(decoding: decoded[..<colon], as: UTF8.self)
        let pass = String(decoding: decoded[(colon + 1)...], as: UTF8.self)
        return config.auths.contains { $0.user == user && $0.password == pass }
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return s
    }
}
