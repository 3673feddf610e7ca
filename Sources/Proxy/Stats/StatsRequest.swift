/// A request for the stats page (spec §16): GET, HEAD or POST whose URI starts with
/// `stats uri` (byte compare, query included), with the options found after the prefix.
public struct StatsRequest: Equatable, Sendable {
    public enum Format: Equatable, Sendable { case html, csv }
    public var format: Format = .html
    /// `;norefresh`: no Refresh header.
    public var noRefresh = false
    /// `;up`: hide servers that are not UP.
    public var upOnly = false
    public var isHead = false

    /// Matches `method` and `target` (raw request-line bytes) against the configured URI.
    /// Allocation-free: it runs for every request of a frontend with stats enabled.
    public static func match(method: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer,
                             uri: UnsafeRawBufferPointer) -> StatsRequest? {
        let isGet = equals(method, "GET"), isHead = equals(method, "HEAD"), isPost = equals(method, "POST")
        guard isGet || isHead || isPost, target.count >= uri.count else { return nil }
        for i in 0..<uri.count where target[i] != uri[i] { return nil }
        let rest = UnsafeRawBufferPointer(rebasing: target[uri.count...])
        var r = StatsRequest()
        r.isHead = isHead
        if contains(rest, ";csv") { r.format = .csv }
        if contains(rest, ";norefresh") { r.noRefresh = true }
        if contains(rest, ";up") { r.upOnly = true }
        return r
    }

    /// Convenience for configuration-time Strings (tests, tools).
    public static func match(method: String, target: String, uri: String) -> StatsRequest? {
        let m = Array(method.utf8), t = Array(target.utf8), u = Array(uri.utf8)
        return m.withUnsafeBytes { mb in t.withUnsafeBytes { tb in u.withUnsafeBytes { ub in match(method: mb, target: tb, uri: ub) } } }
    }

    static func equals(_ a: UnsafeRawBufferPointer, _ s: StaticString) -> Bool {
        guard a.count == s.utf8CodeUnitCount else { return false }
        for i in 0..<a.count where a[i] != s.utf8Start[i] { return false }
        return true
    }

    static func contains(_ hay: UnsafeRawBufferPointer, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard hay.count >= n else { return false }
        outer: for start in 0...(hay.count - n) {
            for j in 0..<n where hay[start + j] != needle.utf8Start[j] { continue outer }
            return true
        }
        return false
    }
}
