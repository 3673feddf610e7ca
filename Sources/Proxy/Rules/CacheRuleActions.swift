// `http-request cache-use NAME` and `http-response cache-store NAME` in the rule context: the
// headers the decisions need are read from the message views, the decisions themselves are
// Cache/'s pure policies. A hit is served by the stream layer (Stream/CacheStage.swift) once
// the request rules are done; a response to store is captured by the engine as it is
// forwarded and stored when its exchange ends.

/// What cache-use and cache-store decided for one transaction.
struct CacheTransaction {
    /// The primary key (nil: cache-use did not run, or the request had no Host).
    var key: String? = nil
    var method: CacheMethod = .unsafe
    var http11 = false
    var flags = CacheFlags(cacheable: false, cookieOK: false, ignore: true)
    /// A fresh entry cache-use found, and the index of its cache.
    var hit: CacheEntry? = nil
    var hitCache = -1
    /// The hit answers a conditional request: 304 Not Modified.
    var notModified = false
    /// The response cache-store keeps, until its body is complete.
    var pending: PendingCacheEntry? = nil
}

/// A response being stored: its head now, its body when the exchange ends.
struct PendingCacheEntry {
    var cache: Int
    var head: CacheEntryHead
    /// The body as the server frames it (chunks are decoded before storing).
    var chunked = false
}

extension RuleContext {
    func cacheUse(_ i: Int) {
        guard let st = slot, phase == .request, requestLoaded, i < caches.count else { return }
        let v = request
        let method = CacheMethod(bytes: v.methodBytes)
        st.cache.method = method
        st.cache.http11 = v.versionMinor == 1
        st.cache.flags = CacheRequestPolicy.flags(method: method, http11: v.versionMinor == 1,
                                                  hasAuthorization: Self.has(v, "authorization"),
                                                  cacheControl: Self.values(v, "cache-control"),
                                                  pragma: Self.first(v, "pragma"))
        guard let key = CacheRequestPolicy.key(target: String(decoding: v.uriBytes, as: UTF8.self), host: Self.values(v, "host").first) else { return }
        st.cache.key = key
        if st.cache.flags.ignore { return }
        let now = WallClock.nowMs() / 1000
        guard let e = caches[i].lookup(key, now: now) else { return }
        st.cache.hit = e
        st.cache.hitCache = i
        st.cache.notModified = ConditionalRequest.notModified(
            ifNoneMatch: Self.values(v, "if-none-match"), ifModifiedSince: Self.first(v, "if-modified-since"),
            etag: e.head.etag, lastModified: e.head.lastModified)
    }

    func cacheStore(_ i: Int) {
        guard let st = slot, phase == .response, responseLoaded, i < caches.count else { return }
        if st.cache.hit != nil { return }           // the response came from the cache
        let v = response
        var r = CacheResponseFacts()
        r.status = v.status
        r.cacheControl = Self.values(v, "cache-control")
        r.pragma = Self.first(v, "pragma")
        r.expires = Self.first(v, "expires")
        r.hasETag = Self.has(v, "etag")
        r.hasLastModified = Self.has(v, "last-modified")
        r.hasVary = Self.has(v, "vary")
        r.age = Self.values(v, "age").first
        let cache = caches[i]
        let now = WallClock.nowMs() / 1000
        let decision = CacheResponsePolicy.decide(method: st.cache.method, http11: st.cache.http11, hasKey: st.cache.key != nil,
                                                  flags: st.cache.flags, response: r, cacheMaxAge: cache.config.maxAge, now: now)
        switch decision {
        case .skip: return
        case .invalidate: cache.remove(st.cache.key!)
        case .store(let maxAge, let age):
            let key = st.cache.key!
            guard maxAge > 0 else { cache.remove(key); return }     // stale already: only the old one goes
            var headers: [CacheHeader] = []
            var contentLength: Int? = nil
            for k in 0..<v.entryCount where v.isLive(k) {
                if v.nameIs(k, Self.lower("content-length")) {
                    // kept in its place (a hit's bytes are HAProxy's); a chunked one gets it appended
                    contentLength = Int(String(decoding: v.value(k), as: UTF8.self).trimmedOfBlanks())
                }
                if v.nameIs(k, Self.lower("transfer-encoding")) || v.nameIs(k, Self.lower("age")) { continue }
                headers.append(CacheHeader(name: Array(v.name(k)), value: Array(v.wireValue(k))))
            }
            let lastModified = Self.first(v, "last-modified").flatMap(HTTPDateParser.parse)
                ?? Self.first(v, "date").flatMap(HTTPDateParser.parse) ?? now
            let head = CacheEntryHead(key: key, status: v.status, reason: Array(v.reasonBytes), headers: headers,
                                      contentLength: contentLength != nil, etag: Self.first(v, "etag"),
                                      lastModified: lastModified, storedAt: now, age: age, expire: now + Int64(maxAge))
            // too big already by its announced length: not stored (the old entry stays, as HAProxy)
            if let n = contentLength, n + head.byteCount > cache.maxObjectSize { return }
            cache.remove(key)
            st.cache.pending = PendingCacheEntry(cache: i, head: head)
        }
    }

    // MARK: header values

    private static func lower(_ s: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)
    }

    static func has(_ v: MessageView, _ name: StaticString) -> Bool { v.find(lower(name)) != nil }

    /// The first header's whole value.
    static func first(_ v: MessageView, _ name: StaticString) -> String? {
        v.find(lower(name)).map { String(decoding: v.value($0), as: UTF8.self).trimmedOfBlanks() }
    }

    /// Every comma-separated element of every header `name`, trimmed (HAProxy's
    /// http_find_header without `full`).
    static func values(_ v: MessageView, _ name: StaticString) -> [String] {
        var out: [String] = []
        var i = 0
        while let h = v.find(lower(name), from: i) {
            i = h + 1
            for part in String(decoding: v.value(h), as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false) {
                let t = String(part).trimmedOfBlanks()
                if !t.isEmpty { out.append(t) }
            }
        }
        return out
    }
}
