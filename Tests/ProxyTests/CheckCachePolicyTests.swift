import Testing
@testable import Proxy

/// `option checkcache`'s decision (Sources/Proxy/Cache/CheckCachePolicy.swift). Each case
/// was answered by HAProxy 2.6.12 side by side (blocked: PH--, or passed through).
@Suite struct CheckCachePolicyTests {
    func blocks(_ method: CacheMethod = .get, status: Int = 200, cc: [String] = [], pragma: String? = nil,
                expires: String? = nil, etag: Bool = false, lastModified: Bool = false,
                setCookie: Bool = true, insertedPrivate: Bool = false) -> Bool {
        var r = CacheResponseFacts()
        r.status = status; r.cacheControl = cc; r.pragma = pragma; r.expires = expires
        r.hasETag = etag; r.hasLastModified = lastModified
        return CheckCachePolicy.blocks(method: method, response: r, hasSetCookie: setCookie, insertedPrivateCookie: insertedPrivate)
    }

    @Test func freshOrValidatedResponsesWithACookieAreBlocked() {
        #expect(blocks(cc: ["max-age=60"]))
        #expect(blocks(etag: true))
        #expect(blocks(lastModified: true))
        #expect(blocks(expires: "Thu, 01 Jan 2030 00:00:00 GMT"))
        #expect(blocks(cc: ["public", "max-age=60"]))
    }

    @Test func withoutFreshnessOrValidatorNothingIsBlocked() {
        #expect(!blocks())
        #expect(!blocks(cc: ["public"]))
    }

    @Test func noCookieNothingBlocked() {
        #expect(!blocks(cc: ["max-age=60"], setCookie: false))
    }

    @Test func responseDirectivesThatForbidStoring() {
        #expect(!blocks(cc: ["private", "max-age=60"]))
        #expect(!blocks(cc: ["no-store"], etag: true))
        #expect(!blocks(cc: ["no-cache"], etag: true))
        #expect(!blocks(cc: ["max-age=0"], etag: true))
        #expect(!blocks(cc: ["max-age=60", "no-cache=\"set-cookie\""]))
        #expect(!blocks(cc: ["max-age=60"], pragma: "no-cache"))
    }

    @Test func statuses() {
        for s in [200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501] { #expect(blocks(status: s, cc: ["max-age=60"]), "status \(s)") }
        for s in [100, 201, 302, 304, 400, 403, 500, 502, 503] { #expect(!blocks(status: s, cc: ["max-age=60"]), "status \(s)") }
    }

    @Test func methods() {
        #expect(blocks(.head, cc: ["max-age=60"]))
        #expect(blocks(.safe, cc: ["max-age=60"]))            // OPTIONS, TRACE
        #expect(!blocks(.unsafe, cc: ["max-age=60"]))         // POST, PUT, DELETE...
        #expect(blocks(.unsafe, cc: ["public", "max-age=60"]))  // `public` makes it cacheable again
    }

    @Test func aNocacheInsertedCookieMakesItPrivate() {
        #expect(!blocks(cc: ["max-age=60"], insertedPrivate: true))
    }
}
