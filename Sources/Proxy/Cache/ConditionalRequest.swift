// A conditional request answered from the cache: 304 Not Modified when an If-None-Match
// value matches the entry's ETag (weak comparison, `*` matches anything), or, without any
// If-None-Match, when the entry was not modified after If-Modified-Since (HAProxy 2.6's
// should_send_notmodified_response). Pure.

enum ConditionalRequest {
    /// `ifNoneMatch`: the request's If-None-Match values, one per comma-separated element;
    /// `ifModifiedSince`: its first If-Modified-Since header; `lastModified`: the entry's
    /// Last-Modified (else Date, else when it was stored).
    static func notModified(ifNoneMatch: [String], ifModifiedSince: String?, etag: String?, lastModified: Int64) -> Bool {
        for v in ifNoneMatch {
            if v == "*" { return true }
            guard let etag else { break }
            if etagsMatch(etag, v) { return true }
        }
        if !ifNoneMatch.isEmpty { return false }
        if let ims = ifModifiedSince, let t = HTTPDateParser.parse(ims) { return lastModified <= t }
        return false
    }

    /// http_compare_etags: both valid (`"x"` or `W/"x"`), equal once `W/` is dropped.
    static func etagsMatch(_ a: String, _ b: String) -> Bool {
        guard let x = opaque(a), let y = opaque(b) else { return false }
        return x == y
    }

    private static func opaque(_ t: String) -> Substring? {
        var s = Substring(t)
        if s.hasPrefix("W/") { s = s.dropFirst(2) }
        guard s.count >= 2, s.first == "\"", s.last == "\"" else { return nil }
        return s
    }
}
