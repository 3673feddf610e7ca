// Session-id persistence: `appsession NAME len N timeout T [request-learn] [prefix]
// [mode path-parameters|query-string]` (1.4) and the 2.x `stick-table` + `stick on
// req.cook(X)` / `stick on urlp(X,;)` / `stick store-response res.cook(X)` rules, both
// driving one AppSessionTable.
//
// Request: the sources are tried in order (cookies first, then the URL); the first id found
// in the table whose server is usable places the request. Appsession URL ids are only looked
// for in GET/HEAD/POST requests, in `;name=value` path parameters (name without regard to
// case, scanning from the last parameter) or `?name=value&` query parameters; with
// request-learn they are not looked for when the request carried the cookie.
// Learning: with request-learn / `stick on` / `stick store-request`, the request's id is
// stored for the server that is finally used; from responses, a Set-Cookie of the name
// (`stick store-response res.cook`). An existing entry is not re-pointed (1.4's "only insert
// if lookup fails") EXCEPT when its server is not usable: ringproxy then re-points it to the
// server that took over, so the client stays there after the old one comes back (2.x stick
// tables behave the same; 1.4 sent the client back and lost its session a second time).

public final class SessionPersistence: Sendable {
    enum Source: Sendable {
        case cookie(name: [UInt8], prefix: Bool)
        /// `;name=value` parameters after the first `;` of the path, up to `?`.
        case pathParameter(name: [UInt8], ignoreCase: Bool, getHeadPostOnly: Bool)
        /// `name=value` parameters after `?`, `&`-separated.
        case queryParameter(name: [UInt8], ignoreCase: Bool, getHeadPostOnly: Bool)
        case source
    }

    let match: [Source]
    let storeRequest: [Source]
    let responseCookie: (name: [UInt8], prefix: Bool)?
    /// appsession with request-learn: the URL is not searched when the cookie was present.
    let urlOnlyWithoutCookie: Bool
    public let table: AppSessionTable
    /// The table's place in the StickTableSet (what peers updates name), its key type and the
    /// backend's servers ↔ the table's StickServers.
    let tableIndex: Int
    let keyType: StickKeyType
    let keyLength: Int
    let map: StickServerMap

    /// Default bound of an appsession table (1.4 had none).
    public static let defaultAppSessionCapacity = 1_000_000

    /// An appsession with a table of its own (servers are numbered as the backend's).
    public convenience init(appSession c: AppSessionConfig, capacity: Int = SessionPersistence.defaultAppSessionCapacity) {
        let table = AppSessionTable(keyLength: c.length, timeoutMillis: Int64(c.timeout), capacity: capacity)
        self.init(appSession: c, table: table, index: 0, keyType: .string, keyLength: c.length, map: .identity(servers: 1 << 16))
    }

    /// An appsession on a table of the configuration's StickTableSet.
    public convenience init(appSession c: AppSessionConfig, binding b: StickTableBinding) {
        self.init(appSession: c, table: b.table, index: b.index, keyType: .string, keyLength: b.info.keyLength, map: b.map)
    }

    init(appSession c: AppSessionConfig, table: AppSessionTable, index: Int, keyType: StickKeyType, keyLength: Int, map: StickServerMap) {
        let name = Array(c.cookieName.utf8)
        let cookie = Source.cookie(name: name, prefix: c.prefix)
        let url: Source = c.mode == .pathParameters
            ? .pathParameter(name: name, ignoreCase: true, getHeadPostOnly: true)
            : .queryParameter(name: name, ignoreCase: true, getHeadPostOnly: true)
        match = [cookie, url]
        storeRequest = c.requestLearn ? [cookie, url] : []
        responseCookie = (name, c.prefix)
        urlOnlyWithoutCookie = c.requestLearn
        self.table = table
        tableIndex = index; self.keyType = keyType; self.keyLength = keyLength; self.map = map
    }

    /// `stick` rules with a table of their own (servers are numbered as the backend's).
    public convenience init(stickTable t: StickTableConfig, rules: [StickRule]) {
        let type = StickKeyType(configName: t.type)
        let length = type.fixedSize ?? t.length
        let table = AppSessionTable(keyLength: length, timeoutMillis: Int64(t.expire ?? 0) > 0 ? Int64(t.expire!) : Int64.max / 4,
                                    capacity: t.size > 0 ? t.size : Self.defaultAppSessionCapacity)
        self.init(rules: rules, table: table, index: 0, keyType: type, keyLength: length, map: .identity(servers: 1 << 16))
    }

    /// `stick` rules on a table of the configuration's StickTableSet.
    public convenience init(rules: [StickRule], binding b: StickTableBinding) {
        self.init(rules: rules, table: b.table, index: b.index, keyType: b.info.keyType, keyLength: b.info.keyLength, map: b.map)
    }

    init(rules: [StickRule], table: AppSessionTable, index: Int, keyType: StickKeyType, keyLength: Int, map: StickServerMap) {
        var m: [Source] = [], s: [Source] = []
        var resp: (name: [UInt8], prefix: Bool)? = nil
        for r in rules {
            let src: Source
            switch r.fetch {
            case .requestCookie(let n), .responseCookie(let n): src = .cookie(name: Array(n.utf8), prefix: false)
            case .urlParam(let n, let delim):
                src = delim == ";" ? .pathParameter(name: Array(n.utf8), ignoreCase: false, getHeadPostOnly: false)
                                   : .queryParameter(name: Array(n.utf8), ignoreCase: false, getHeadPostOnly: false)
            case .source: src = .source
            }
            switch r.kind {
            case .on: m.append(src); s.append(src)
            case .match: m.append(src)
            case .storeRequest: s.append(src)
            case .storeResponse:
                if case .responseCookie(let n) = r.fetch { resp = (Array(n.utf8), false) }
            }
        }
        match = m; storeRequest = s; responseCookie = resp
        urlOnlyWithoutCookie = false
        self.table = table
        tableIndex = index; self.keyType = keyType; self.keyLength = keyLength; self.map = map
    }

    // MARK: the table, through the backend's server numbering

    /// The usable-or-not server of an id (nil: unknown, expired, or no server of this backend).
    @inline(__always) func lookupServer(_ k: UnsafeRawBufferPointer, now: Int64, updates: StickUpdateQueue?) -> Int? {
        guard let s = table.lookupServer(k, now: now) else { return nil }
        updates?.record(table: tableIndex, key: k, server: s)     // a hit refreshes the entry: peers learn it
        return map.server(s)
    }

    @inline(__always) func storeServer(_ k: UnsafeRawBufferPointer, server: Int, now: Int64, overwrite: AppSessionTable.Overwrite,
                                       states: some ServerStates, updates: StickUpdateQueue?) {
        let map = self.map
        let s = table.storeServer(k, server: map.stickServer(server), now: now, overwrite: overwrite,
                                  isStale: { old in map.server(old).map { !states.isUsable($0) } ?? true })
        updates?.record(table: tableIndex, key: k, server: s)
    }

    /// Where the request's session id was found (valid while the request head is).
    public struct RequestKey: Equatable, Sendable {
        public var range: ByteRange
        /// The id is to be stored for the server finally used.
        public var learn: Bool
        /// Source `.source`: the key is the client address, not bytes of the head.
        public var isClientAddress: Bool
        public static let none = RequestKey(range: .empty, learn: false, isClientAddress: false)
        public var isNone: Bool { range.isEmpty && !isClientAddress }
    }

    public struct RequestResult: Sendable {
        /// Usable server the session designates.
        public var server: Int?
        /// The id to learn afterwards (or `.none`).
        public var key: RequestKey
    }

    public func processRequest(_ req: RequestHead, client: ClientAddress, states: some ServerStates, now: Int64,
                               updates: StickUpdateQueue? = nil) -> RequestResult {
        var result = RequestResult(server: nil, key: .none)
        var cookieSeen = false
        for src in match {
            let isCookie: Bool
            if case .cookie = src { isCookie = true } else { isCookie = false }
            if urlOnlyWithoutCookie && cookieSeen && !isCookie { continue }
            guard let r = find(src, req, client) else { continue }
            if isCookie { cookieSeen = true }
            var key = RequestKey(range: r, learn: storeRequest.contains { same($0, src) }, isClientAddress: isClient(src))
            if let s = withKey(key, req, client, { lookupServer($0, now: now, updates: updates) }) {
                if states.isUsable(s) {
                    result.server = s
                    result.key = key
                    return result
                }
                // Known id on a DOWN server: it will be re-pointed to the server chosen now.
                key.learn = true
                result.key = key
            } else if result.key.isNone {
                result.key = key
            }
        }
        // Ids only present in store rules (`stick store-request`) are learned too.
        if !result.key.learn {
            for src in storeRequest {
                if let r = find(src, req, client) { result.key = RequestKey(range: r, learn: true, isClientAddress: isClient(src)); break }
            }
        }
        return result
    }

    /// Records the server finally used for the request's id (request-learn / store-request),
    /// re-pointing an entry whose server is not usable.
    public func learn(_ key: RequestKey, request: RequestHead, client: ClientAddress, server: Int,
                      states: some ServerStates, now: Int64, updates: StickUpdateQueue? = nil) {
        guard key.learn else { return }
        _ = withKey(key, request, client) { k -> Int? in
            storeServer(k, server: server, now: now, overwrite: .ifStale, states: states, updates: updates)
            return nil
        }
    }

    /// After a redispatch: the id now belongs to the new server whatever it said before.
    public func repoint(_ key: RequestKey, request: RequestHead, client: ClientAddress, server: Int, now: Int64,
                        updates: StickUpdateQueue? = nil) {
        guard !key.isNone else { return }
        _ = withKey(key, request, client) { k -> Int? in
            storeServer(k, server: server, now: now, overwrite: .always, states: AllUsable(), updates: updates)
            return nil
        }
    }

    /// Learns from the server's Set-Cookie of the configured name.
    public func processResponse(_ resp: ResponseHead, server: Int, states: some ServerStates, now: Int64,
                                updates: StickUpdateQueue? = nil) {
        guard let rc = responseCookie else { return }
        let base = resp.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var h = 0
        while let i = resp.findHeader("set-cookie", from: h) {
            h = i + 1
            let v = resp.fields[i].value
            let it = CookieSyntax.item(base, after: Int(v.lo) - 1, end: Int(v.hi))
            guard it.hasEqual, nameMatches(base, it.attBeg, it.attEnd, rc.name, prefix: rc.prefix),
                  it.valEnd > it.valBeg else { continue }
            let value = UnsafeRawBufferPointer(rebasing: resp.bytes[it.valBeg..<it.valEnd])
            _ = withStringKey(value) { k -> Int? in
                storeServer(k, server: server, now: now, overwrite: .ifStale, states: states, updates: updates)
                return nil
            }
        }
    }

    // MARK: finding ids

    private func isClient(_ s: Source) -> Bool { if case .source = s { return true }; return false }

    private func same(_ a: Source, _ b: Source) -> Bool {
        switch (a, b) {
        case (.cookie(let x, _), .cookie(let y, _)): return x == y
        case (.pathParameter(let x, _, _), .pathParameter(let y, _, _)): return x == y
        case (.queryParameter(let x, _, _), .queryParameter(let y, _, _)): return x == y
        case (.source, .source): return true
        default: return false
        }
    }

    /// The key as the table keeps it: a client address or a string converted to the table's
    /// type (HAProxy's sample casts); no key when the conversion fails.
    private func withKey<T>(_ key: RequestKey, _ req: RequestHead, _ client: ClientAddress, _ body: (UnsafeRawBufferPointer) -> T?) -> T? {
        if key.isClientAddress {
            return withUnsafeTemporaryAllocation(byteCount: StickKeyCanonical.scratchSize(keyType, length: keyLength), alignment: 8) { scratch in
                guard let n = StickKeyCanonical.client(client, type: keyType, length: keyLength, into: scratch), n > 0 else { return nil }
                return body(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
            }
        }
        return withStringKey(req.slice(key.range), body)
    }

    @inline(__always) private func withStringKey<T>(_ value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> T?) -> T? {
        if keyType == .string { return body(value) }
        return withUnsafeTemporaryAllocation(byteCount: StickKeyCanonical.scratchSize(keyType, length: keyLength), alignment: 8) { scratch in
            guard let n = StickKeyCanonical.string(value, type: keyType, length: keyLength, into: scratch), n > 0 else { return nil }
            return body(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
        }
    }

    private func nameMatches(_ b: UnsafePointer<UInt8>, _ lo: Int, _ hi: Int, _ name: [UInt8], prefix: Bool) -> Bool {
        if !prefix { return CookieSyntax.isName(b, lo, hi, name) }
        guard hi - lo >= name.count else { return false }
        return CookieSyntax.isName(b, lo, lo + name.count, name)
    }

    /// The range of the id for one source, or nil.
    private func find(_ src: Source, _ req: RequestHead, _ client: ClientAddress) -> ByteRange? {
        switch src {
        case .source:
            return client == .none ? nil : .empty
        case .cookie(let name, let prefix):
            let base = req.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var h = 0
            while let i = req.findHeader("cookie", from: h) {
                h = i + 1
                let v = req.fields[i].value
                var prev = Int(v.lo) - 1
                let end = Int(v.hi)
                while prev < end {
                    let it = CookieSyntax.item(base, after: prev, end: end)
                    if it.hasEqual && it.valEnd > it.valBeg && nameMatches(base, it.attBeg, it.attEnd, name, prefix: prefix) {
                        return ByteRange(it.valBeg, it.valEnd)
                    }
                    prev = it.next
                }
            }
            return nil
        case .pathParameter(let name, let ic, let ghp), .queryParameter(let name, let ic, let ghp):
            if ghp && !req.isGetHeadPost { return nil }
            var isPath = false
            if case .pathParameter = src { isPath = true }
            return Self.urlParameter(req, name, ignoreCase: ic, pathParameters: isPath)
        }
    }

    /// `;name=value` (path parameters, from the last one backwards) or `?name=value&`.
    static func urlParameter(_ req: RequestHead, _ name: [UInt8], ignoreCase: Bool, pathParameters: Bool) -> ByteRange? {
        let t = req.target
        let lo = Int(t.lo), hi = Int(t.hi)
        let b = req.bytes
        var q = lo
        while q < hi && b[q] != UInt8(ascii: "?") { q += 1 }
        let (start, end, sep): (Int, Int, UInt8)
        if pathParameters {
            var s = lo
            while s < q && b[s] != UInt8(ascii: ";") { s += 1 }
            guard s < q else { return nil }
            (start, end, sep) = (s + 1, q, UInt8(ascii: ";"))
        } else {
            guard q < hi else { return nil }
            (start, end, sep) = (q + 1, hi, UInt8(ascii: "&"))
        }
        @inline(__always) func test(_ p: Int, _ e: Int) -> ByteRange? {
            guard e - p > name.count, b[p + name.count] == UInt8(ascii: "=") else { return nil }
            for k in 0..<name.count {
                let x = b[p + k], y = name[k]
                if ignoreCase ? Bytes.lower(x) != Bytes.lower(y) : x != y { return nil }
            }
            let r = ByteRange(p + name.count + 1, e)
            return r.isEmpty ? nil : r
        }
        if pathParameters {
            // From the last parameter backwards.
            var e = end
            var p = end - 1
            while p >= start - 1 {
                if p == start - 1 || b[p] == sep {
                    if let r = test(p + 1, e) { return r }
                    e = p
                }
                p -= 1
            }
        } else {
            var p = start
            while p < end {
                var e = p
                while e < end && b[e] != sep { e += 1 }
                if let r = test(p, e) { return r }
                p = e + 1
            }
        }
        return nil
    }
}

/// Every server usable (a redispatch re-points whatever the old server's state).
struct AllUsable: ServerStates {
    @inline(__always) func isUsable(_ index: Int) -> Bool { true }
}
