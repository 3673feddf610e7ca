// Whether `http-response cache-store` keeps a response, and for how long, as HAProxy 2.6.12's
// http_action_store_cache, http_check_response_for_cacheability and http_calc_maxage decide.
// Pure: the caller extracts the headers (Cache-Control values one per comma-separated element).

/// The response's headers that matter to the cache.
struct CacheResponseFacts: Equatable, Sendable {
    var status = 200
    var cacheControl: [String] = []
    /// The first Pragma header's whole value.
    var pragma: String? = nil
    /// The first Expires header's whole value.
    var expires: String? = nil
    var hasETag = false
    var hasLastModified = false
    var hasVary = false
    /// The first Age value, as written.
    var age: String? = nil
}

/// What cache-store does.
enum CacheStoreDecision: Equatable, Sendable {
    case skip
    /// A successful unsafe request: the entry stored under its key goes.
    case invalidate
    /// Store it: fresh for `maxAge` seconds from now (the cache's max-age caps it; -1 or 0:
    /// already stale, only the older entry goes), its Age header's value carried on.
    case store(maxAge: Int, age: Int)
}

enum CacheResponsePolicy {
    /// HAProxy's CACHE_ENTRY_MAX_AGE.
    static let entryMaxAge = 2_147_483_648

    static func decide(method: CacheMethod, http11: Bool, hasKey: Bool, flags requestFlags: CacheFlags,
                       response r: CacheResponseFacts, cacheMaxAge: Int, now: Int64) -> CacheStoreDecision {
        guard http11 else { return .skip }
        if method != .get {
            if (200..<400).contains(r.status) && method == .unsafe && hasKey { return .invalidate }
            return .skip
        }
        guard hasKey, r.status == 200, !r.hasVary else { return .skip }
        // A request's no-cache only skips the lookup: its response is stored (2.6.12, 879debee).
        guard let f = flags(requestFlags, r), f.cacheable && f.cookieOK else { return .skip }
        let (effective, explicit) = maxAge(r, cacheMaxAge: cacheMaxAge, now: now)
        var age = 0
        if let text = r.age {
            // A valid positive Age only; a response older than its own max age is stale.
            guard let v = Int64(text.trimmedOfBlanks()), v > 0 else { return .skip }
            age = Int(min(v, Int64(entryMaxAge)))
            if age > explicit { return .skip }
        }
        return .store(maxAge: effective, age: age)
    }

    /// http_check_response_for_cacheability applied to the request's flags; nil: not cacheable.
    static func flags(_ start: CacheFlags, _ r: CacheResponseFacts) -> CacheFlags? {
        var f = start
        if r.status < 200 { return nil }
        if let p = r.pragma, p.lowercased() == "no-cache" { return nil }
        var fresh = false
        for v in r.cacheControl {
            let l = v.lowercased()
            if l == "public" { f.cacheable = true; f.cookieOK = true; continue }
            if l == "private" || l == "no-cache" || l == "no-store" || l == "max-age=0" || l == "s-maxage=0" {
                f.cacheable = false; f.cookieOK = false; continue
            }
            if l.hasPrefix("no-cache=\"set-cookie") { f.cookieOK = false; continue }
            if l.hasPrefix("s-maxage") || l.hasPrefix("max-age") { fresh = true }
        }
        if !fresh { fresh = r.expires != nil }
        // RFC 7234 §3: neither an expiration time nor a validator: not stored.
        if !fresh && !r.hasETag && !r.hasLastModified { f.cacheable = false }
        return f
    }

    /// (the age the entry is kept, capped by the cache's max-age; the response's own max age,
    /// 0 when it gives none). -1: an invalid max-age/s-maxage value (stale at once).
    static func maxAge(_ r: CacheResponseFacts, cacheMaxAge: Int, now: Int64) -> (effective: Int, explicit: Int) {
        var smaxage = -1, maxage = -1, expires = -1
        for v in r.cacheControl {
            if let n = directive(v, "s-maxage") { guard let n else { return (-1, 0) }; smaxage = n }
            if let n = directive(v, "max-age") { guard let n else { return (-1, 0) }; maxage = n }
        }
        if maxage == -1 && smaxage == -1, let e = r.expires {
            // RFC 7234 §5.3: an invalid date is in the past.
            if let t = HTTPDateParser.parse(e) { expires = t >= now ? Int(min(t - now, Int64(Int32.max))) : 0 } else { expires = 0 }
        }
        if smaxage > 0 { return (min(smaxage, cacheMaxAge), smaxage) }
        if maxage > 0 { return (min(maxage, cacheMaxAge), maxage) }
        if expires >= 0 { return (min(expires, cacheMaxAge), expires) }
        return (cacheMaxAge, 0)
    }

    /// `NAME=VALUE` (NAME without case): .some(value) (.some(nil) when VALUE is no number),
    /// nil when the element is another directive. A quoted value is read too.
    static func directive(_ element: String, _ name: String) -> Int?? {
        let e = Array(element.utf8), n = Array(name.utf8)
        guard e.count > n.count, e[n.count] == UInt8(ascii: "=") else { return nil }
        for i in 0..<n.count where e[i] | 0x20 != n[i] | 0x20 { return nil }
        var i = n.count + 1
        if i < e.count && e[i] == UInt8(ascii: "\"") { i += 1 }
        var v = 0, digits = 0
        if i < e.count && (e[i] == UInt8(ascii: "+")) { i += 1 }
        while i < e.count, e[i] >= 48, e[i] <= 57 { v = min(v &* 10 &+ Int(e[i] - 48), Int(Int32.max)); i += 1; digits += 1 }
        if digits == 0 { return .some(nil) }
        return .some(v)
    }
}
