import Testing
@testable import Proxy

/// The HTTP cache's decisions (Sources/Proxy/Cache): request flags and key, what cache-store
/// keeps and for how long, conditional requests, dates, chunked bodies, the LRU store.
@Suite struct CachePolicyTests {
    static let now: Int64 = 1_600_000_000          // 2020-09-13T12:26:40Z

    func get(cc: [String] = [], pragma: String? = nil, auth: Bool = false, http11: Bool = true, method: CacheMethod = .get) -> CacheFlags {
        CacheRequestPolicy.flags(method: method, http11: http11, hasAuthorization: auth, cacheControl: cc, pragma: pragma)
    }

    @Test func requestFlags() {
        #expect(get() == CacheFlags(cacheable: true, cookieOK: true, ignore: false))
        #expect(get(http11: false).ignore)
        #expect(get(method: .unsafe) == CacheFlags(cacheable: false, cookieOK: false, ignore: true))
        #expect(get(method: .safe) == CacheFlags(cacheable: true, cookieOK: true, ignore: true))
        #expect(get(auth: true) == CacheFlags(cacheable: false, cookieOK: false, ignore: true))
        #expect(get(cc: ["no-cache"]) == CacheFlags(cacheable: true, cookieOK: true, ignore: true))
        #expect(get(cc: ["max-age=10"]).ignore && get(cc: ["Max-Stale"]).ignore && get(cc: ["min-fresh=3"]).ignore)
        #expect(get(cc: ["no-store"]) == CacheFlags(cacheable: false, cookieOK: false, ignore: false))
        #expect(get(pragma: "no-cache").ignore)
        #expect(!get(cc: ["public"], pragma: "no-cache").ignore)       // Pragma only counts without Cache-Control
    }

    @Test func key() {
        #expect(CacheRequestPolicy.key(target: "/a?b=1", host: "example.com") == "https://example.com/a?b=1")
        #expect(CacheRequestPolicy.key(target: "/a", host: nil) == nil)
        #expect(CacheRequestPolicy.key(target: "http://h/x", host: "other") == "http://h/x")
    }

    func decide(_ r: CacheResponseFacts, method: CacheMethod = .get, flags: CacheFlags? = nil, maxAge: Int = 20) -> CacheStoreDecision {
        CacheResponsePolicy.decide(method: method, http11: true, hasKey: true, flags: flags ?? get(method: method), response: r,
                                   cacheMaxAge: maxAge, now: Self.now)
    }

    @Test func storedOnlyWithFreshnessOrValidator() {
        #expect(decide(CacheResponseFacts(cacheControl: ["max-age=5"])) == .store(maxAge: 5, age: 0))
        #expect(decide(CacheResponseFacts(cacheControl: ["s-maxage=50", "max-age=5"])) == .store(maxAge: 20, age: 0))
        #expect(decide(CacheResponseFacts(hasETag: true)) == .store(maxAge: 20, age: 0))
        #expect(decide(CacheResponseFacts(hasLastModified: true)) == .store(maxAge: 20, age: 0))
        #expect(decide(CacheResponseFacts()) == .skip)
        #expect(decide(CacheResponseFacts(status: 404, cacheControl: ["max-age=5"])) == .skip)
    }

    @Test func forbiddingDirectives() {
        for cc in [["private"], ["no-store"], ["no-cache"], ["max-age=0"], ["s-maxage=0"], ["max-age=5", "no-cache=\"set-cookie\""]] {
            #expect(decide(CacheResponseFacts(cacheControl: cc)) == .skip, "\(cc)")
        }
        #expect(decide(CacheResponseFacts(cacheControl: ["max-age=5"], pragma: "no-cache")) == .skip)
        #expect(decide(CacheResponseFacts(cacheControl: ["max-age=5"], hasVary: true)) == .skip)
        // `public` makes an Authorization request's response cacheable again, as HAProxy
        #expect(decide(CacheResponseFacts(cacheControl: ["public", "max-age=5"]), flags: get(auth: true)) == .store(maxAge: 5, age: 0))
        // a request's no-cache skips the lookup only: its response is stored (2.6.12)
        #expect(decide(CacheResponseFacts(cacheControl: ["max-age=5"]), flags: get(cc: ["no-cache"])) == .store(maxAge: 5, age: 0))
    }

    @Test func expiresAndAge() {
        let future = "Sun, 13 Sep 2020 12:26:50 GMT", past = "Sun, 13 Sep 2020 12:26:30 GMT"
        #expect(decide(CacheResponseFacts(expires: future)) == .store(maxAge: 10, age: 0))
        #expect(decide(CacheResponseFacts(expires: past)) == .store(maxAge: 0, age: 0))
        #expect(decide(CacheResponseFacts(expires: "garbage")) == .store(maxAge: 0, age: 0))
        // Cache-Control wins over Expires
        #expect(decide(CacheResponseFacts(cacheControl: ["max-age=7"], expires: past)) == .store(maxAge: 7, age: 0))
        #expect(decide(CacheResponseFacts(cacheControl: ["max-age=500"], age: "100")) == .store(maxAge: 20, age: 100))
        #expect(decide(CacheResponseFacts(cacheControl: ["max-age=5"], age: "10")) == .skip)
        #expect(decide(CacheResponseFacts(cacheControl: ["max-age=5"], age: "abc")) == .skip)
        #expect(decide(CacheResponseFacts(cacheControl: ["max-age=5"], age: "0")) == .skip)
    }

    @Test func unsafeMethodsInvalidate() {
        #expect(decide(CacheResponseFacts(status: 200), method: .unsafe) == .invalidate)
        #expect(decide(CacheResponseFacts(status: 302), method: .unsafe) == .invalidate)
        #expect(decide(CacheResponseFacts(status: 500), method: .unsafe) == .skip)
        #expect(decide(CacheResponseFacts(status: 200), method: .safe) == .skip)
        #expect(decide(CacheResponseFacts(status: 200, cacheControl: ["max-age=5"]), method: .head) == .skip)
    }

    @Test func conditionalRequests() {
        let lm: Int64 = 1_602_800_604                  // Thu, 15 Oct 2020 22:23:24 GMT
        func nm(_ inm: [String] = [], _ ims: String? = nil, etag: String? = "\"etag\"") -> Bool {
            ConditionalRequest.notModified(ifNoneMatch: inm, ifModifiedSince: ims, etag: etag, lastModified: lm)
        }
        #expect(nm(["*"]) && nm(["\"etag\""]) && nm(["W/\"etag\""]) && nm(["W/\"wrong\"", "W/\"etag\""]))
        #expect(!nm(["\"wrong\""]) && !nm(["etag"]) && !nm(["\"etag\""], etag: nil))
        // an If-None-Match that does not match hides If-Modified-Since
        #expect(!nm(["\"wrong\""], "Thu, 22 Oct 2020 23:00:00 GMT"))
        #expect(nm([], "Thu, 15 Oct 2020 22:23:24 GMT") && nm([], "Thu, 22 Oct 2020 23:00:00 GMT"))
        #expect(!nm([], "Thu, 15 Oct 2020 00:00:01 GMT") && !nm([], "not a date"))
    }

    @Test func httpDates() {
        #expect(HTTPDateParser.parse("Thu, 15 Oct 2020 22:23:24 GMT") == 1_602_800_604)
        #expect(HTTPDateParser.parse("Thursday, 15-Oct-20 22:23:24 GMT") == 1_602_800_604)
        #expect(HTTPDateParser.parse("Thu Oct 15 22:23:24 2020") == 1_602_800_604)
        #expect(HTTPDateParser.parse("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(HTTPDateParser.parse("Thu, 15 Oct 2020 22:23:24 UTC") == nil)
        #expect(HTTPDateParser.parse("yesterday") == nil)
    }

    @Test func chunkedBodies() {
        func decode(_ s: String) -> String? {
            Array(s.utf8).withUnsafeBytes { ChunkedBodyDecoder.decode($0) }.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(decode("1\r\na\r\n3;ext=1\r\nbcd\r\n0\r\n\r\n") == "abcd")
        #expect(decode("A\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n") == "0123456789")
        #expect(decode("3\r\nab") == nil)
        #expect(decode("3\r\nabc\r\n") == nil)                     // no last chunk
        #expect(decode("zz\r\n") == nil)
    }

    func entry(_ key: String, body: Int, expire: Int64 = now + 60) -> CacheEntry {
        CacheEntry(head: CacheEntryHead(key: key, status: 200, reason: Array("OK".utf8), headers: [], contentLength: true,
                                        etag: nil, lastModified: 0, storedAt: Self.now, age: 0, expire: expire),
                   body: [UInt8](repeating: 65, count: body))
    }

    @Test func storeIsAnLRUBoundedByBytes() {
        let size = entry("a", body: 1000).size
        var s = CacheStore(capacity: size * 3)
        var stored: [Bool] = []
        for k in ["a", "b", "c"] { stored.append(s.insert(entry(k, body: 1000))) }
        #expect(stored == [true, true, true] && s.count == 3 && s.used == size * 3)
        let a = s.lookup("a", now: Self.now)                    // a is now the most recent: b goes first
        let d = s.insert(entry("d", body: 1000))
        let b = s.lookup("b", now: Self.now), a2 = s.lookup("a", now: Self.now)
        #expect(a != nil && d && b == nil && a2 != nil && s.count == 3)
        let huge = s.insert(entry("huge", body: size * 4))
        #expect(!huge)
        s.remove("a")
        #expect(s.count == 2 && s.used == size * 2)
        // an expired entry is dropped when looked up
        let old = s.insert(entry("old", body: 10, expire: Self.now))
        let oldFound = s.lookup("old", now: Self.now)
        #expect(old && oldFound == nil && s.count == 2)
        // storing under a key replaces the entry
        let c = s.insert(entry("c", body: 500))
        let c2 = s.lookup("c", now: Self.now)
        #expect(c && c2?.body.count == 500 && s.used == size + entry("c", body: 500).size)
    }

    @Test func cacheRefusesObjectsOverItsLimit() {
        var c = CacheConfig(name: "c", location: SourceLocation(file: "t", line: 1))
        c.totalMaxSize = 1 << 20
        c.maxObjectSize = 2000
        let cache = HTTPCache(config: c)
        #expect(cache.insert(entry("small", body: 1000)))
        #expect(!cache.insert(entry("big", body: 2000)))
        #expect(cache.lookup("small", now: Self.now) != nil && cache.lookup("big", now: Self.now) == nil)
        #expect(String(decoding: cache.nameBytes, as: UTF8.self) == "c")
    }

    @Test func configuration() throws {
        let text = """
            defaults
             mode http
            backend b
             filter cache c
             http-request cache-use c if { path_beg /a }
             http-response cache-store c
             http-response set-header X-Hit %[res.cache_hit] if { res.cache_name c }
             server s 127.0.0.1:80
            cache c
             total-max-size 4
             max-object-size 10000
             max-age 30
             process-vary off
             max-secondary-entries 5

            """
        let cfg = try #require(ConfigTestSupport.parse(text))
        let c = try #require(cfg.caches.first)
        #expect(c.name == "c" && c.totalMaxSize == 4 << 20 && c.maxObjectSize == 10000 && c.maxAge == 30 && c.maxSecondaryEntries == 5)
        #expect(cfg.proxy(named: "b")?.cacheFilters.map(\.name) == ["c"])
        var d = CacheConfig(name: "d", location: c.location)
        d.totalMaxSize = 1 << 20
        #expect(d.effectiveMaxObjectSize == 4096 && d.maxAge == 60)
    }

    @Test func configurationErrors() {
        let cases: [(String, String)] = [
            ("cache c\n max-age 5\n", "Size not specified for cache 'c'"),
            ("cache c\n total-max-size 1\n max-object-size 600000\n", "limited to an half"),
            ("cache c\n total-max-size 1\n process-vary on\n", "'process-vary on' is not supported"),
            ("cache c\n total-max-size x\n", "total-max-size wrong value"),
            ("cache c\n total-max-size 1\ncache c\n total-max-size 1\n", "Duplicate cache name 'c'"),
            ("cache c\n total-max-size 1\n" + ConfigTestSupport.backend(" http-request cache-use nope\n server s 127.0.0.1:80"), "unable to find the cache 'nope'"),
            ("cache c\n total-max-size 1\n" + ConfigTestSupport.backend(" http-response cache-store\n server s 127.0.0.1:80"), "expects a cache name"),
            ("cache c\n total-max-size 1\n" + ConfigTestSupport.backend(" filter compression\n server s 127.0.0.1:80"), "'filter compression' is not implemented"),
            ("cache c\n total-max-size 1\n" + ConfigTestSupport.backend(" filter cache d\n server s 127.0.0.1:80"), "unable to find the cache 'd'"),
        ]
        for (text, needle) in cases {
            let errors = ConfigTestSupport.errors(text)
            #expect(errors.contains { $0.description.contains(needle) }, "\(needle): \(errors)")
        }
    }
}

extension CachePolicyTests {
    @Test func showCacheListsFreshEntries() {
        var c = CacheConfig(name: "my_cache", location: SourceLocation(file: "t", line: 1))
        c.totalMaxSize = 1 << 20
        let cache = HTTPCache(config: c)
        _ = cache.insert(entry("https://h/a", body: 100))
        _ = cache.insert(entry("https://h/gone", body: 100, expire: Self.now - 1))
        let lines = CacheListing.text([cache], now: Self.now).split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.first?.contains(": my_cache (shctx:0x") == true, "\(lines)")
        #expect(lines.count > 1 && lines[1].contains(" hash:\(CacheListing.hash("https://h/a")) vary:0x") && lines[1].hasSuffix(", refcount:0, expire:60"), "\(lines)")
        #expect(lines.first?.hasSuffix("available blocks:1023)") == true, "\(lines)")
    }
}
