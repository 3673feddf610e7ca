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

/// Standard base64 (RFC 4648) decoding, padding optional; nil on any invalid character.
public enum Base64 {
    public static func decode<S: StringProtocol>(_ s: S) -> [UInt8]? {
        var out: [UInt8] = []
        var acc: UInt32 = 0, bits = 0
        for c in s.utf8 {
            let v: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="): continue
            default: return nil
            }
            acc = (acc << 6) | v
            bits += 6
            if bits >= 8 { bits -= 8; out.append(UInt8((acc >> UInt32(bits)) & 0xff)) }
        }
        return out
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var v: UInt32 = 0
            for k in 0..<3 { v = (v << 8) | (k < n ? UInt32(bytes[i + k]) : 0) }
            for k in 0..<4 { out.append(k <= n ? table[Int((v >> UInt32(18 - 6 * k)) & 63)] : UInt8(ascii: "=")) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
