// `option checkcache`: a response a shared cache could store must not carry a server's
// Set-Cookie (HAProxy 2.6.12, http_wait_for_response and http_process_res_common, checked
// side by side). The flags are the cache's TX_CACHEABLE / TX_CACHE_COOK:
// - a safe request (GET, HEAD, OPTIONS, TRACE) starts cacheable; request headers
//   (Authorization, Cache-Control, Pragma) do not matter here;
// - a status other than RFC 7231's heuristically cacheable ones clears both;
// - then CacheResponsePolicy.flags (the response's Cache-Control, Pragma, Expires and
//   validators: `public` makes even a POST's or a 302's response cacheable again);
// - a cookie `nocache` inserted with `Cache-control: private` clears both.
// Blocked when still cacheable with cookies and the server sent Set-Cookie or Set-Cookie2.
// Pure: the caller extracts the headers.

enum CheckCachePolicy {
    static func blocks(method: CacheMethod, response r: CacheResponseFacts,
                       hasSetCookie: Bool, insertedPrivateCookie: Bool) -> Bool {
        guard hasSetCookie, !insertedPrivateCookie else { return false }
        let start = method != .unsafe && heuristicallyCacheable(r.status)
        guard let f = CacheResponsePolicy.flags(CacheFlags(cacheable: start, cookieOK: start, ignore: false), r) else { return false }
        return f.cacheable && f.cookieOK
    }

    /// RFC 7231 §6.1's statuses cacheable by default.
    static func heuristicallyCacheable(_ status: Int) -> Bool {
        switch status {
        case 200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501: return true
        default: return false
        }
    }
}
