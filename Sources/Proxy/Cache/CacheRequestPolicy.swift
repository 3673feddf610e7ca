// Whether a request may be answered from the cache and whether its response may be stored, as
// HAProxy 2.6 decides it in cache-use (http_action_req_cache_use) and
// http_check_request_for_cacheability. Pure: the caller extracts the headers.

/// The request's method, as the cache sees it.
enum CacheMethod: Equatable, Sendable {
    case get, head
    /// OPTIONS and TRACE: safe, never stored, never invalidate.
    case safe
    /// Anything else (POST, PUT, DELETE...): a success invalidates the stored entry (RFC 7234 §4.4).
    case unsafe

    init(_ method: String) { self.init(bytes: method.utf8) }

    /// From the request line's bytes: no String is made on the request path.
    init<Bytes: Sequence>(bytes method: Bytes) where Bytes.Element == UInt8 {
        if method.elementsEqual("GET".utf8) { self = .get }
        else if method.elementsEqual("HEAD".utf8) { self = .head }
        else if method.elementsEqual("OPTIONS".utf8) || method.elementsEqual("TRACE".utf8) { self = .safe }
        else { self = .unsafe }
    }
}

/// HAProxy's TX_CACHEABLE, TX_CACHE_COOK and TX_CACHE_IGNORE for one transaction.
struct CacheFlags: Equatable, Sendable {
    /// The response may be stored (TX_CACHEABLE).
    var cacheable: Bool
    /// A Set-Cookie does not forbid storing it (TX_CACHE_COOK).
    var cookieOK: Bool
    /// Neither looked up nor stored (TX_CACHE_IGNORE).
    var ignore: Bool
}

enum CacheRequestPolicy {
    /// `cacheControl`: the request's Cache-Control values, one per comma-separated element;
    /// `pragma`: its first Pragma header's whole value.
    static func flags(method: CacheMethod, http11: Bool, hasAuthorization: Bool,
                      cacheControl: [String], pragma: String?) -> CacheFlags {
        let safe = method != .unsafe
        var f = CacheFlags(cacheable: safe, cookieOK: safe, ignore: false)
        if !http11 || (method != .get && method != .head) { f.ignore = true }
        if hasAuthorization { f.cacheable = false; f.cookieOK = false; f.ignore = true }
        for v in cacheControl {
            let l = v.lowercased()
            if l.hasPrefix("max-age") || l.hasPrefix("no-cache") || l.hasPrefix("max-stale") || l.hasPrefix("min-fresh") {
                f.ignore = true
            } else if l.hasPrefix("no-store") {
                f.cacheable = false; f.cookieOK = false
            }
        }
        // RFC 7234 §5.4: Pragma: no-cache counts only without Cache-Control.
        if cacheControl.isEmpty, let p = pragma, p.lowercased() == "no-cache" { f.ignore = true }
        return f
    }

    /// The primary key: the absolute URI, or "https://" + Host + the origin-form target
    /// (HAProxy hashes the same string). nil without a Host for a relative target: not cached.
    static func key(target: String, host: String?) -> String? {
        if target.isEmpty { return nil }
        if !target.hasPrefix("/") && target.contains("://") { return target }
        guard let host else { return nil }
        return "https://" + host + target
    }
}
