// Sample fetches, compiled: each kind of SampleCatalog with its arguments resolved at load
// (header names lower-cased into bytes, variables numbered, userlists found, constants
// parsed). Evaluating one reads the worker's RuleContext and allocates nothing: strings
// point into the message, the arena or the variable store.
//
// Multi-valued fetches (headers, cookies, url parameters) follow HAProxy: with no explicit
// occurrence an ACL tries every value, any other use takes the last one (the first for
// url_param); an occurrence N > 0 is the Nth value, N < 0 counts from the end.

#if canImport(Glibc)
import Glibc
#endif

enum Fetch {
    case constant(Sample)
    case missing
    case date(offset: Int64, unit: Int)          // unit: 0 s, 1 ms, 2 us
    case rand(Int64)
    case uuid
    case thread, nbthread
    case variable(VarSlot, Sample?)
    case src, srcPort, dst, dstPort, soID, soName
    case connectionAddress(ConnectionAddressField)   // fc_src… (AddressLevels.swift)
    case timeout(TimeoutFetch)              // StreamTimeouts.swift
    case feName, feID, beName, beID, srvName, srvID
    case nbsrv(Int)                              // -1: the current backend
    case server(ServerFetch, Int)                // srv_sess_rate & co of a server (global index; ServerFetches.swift)
    case proxyCounter(ProxyCounterFetch, Int)    // fe_conn & co of a frontend/backend counter row (ProxyCounterFetches.swift)
    case method, path, pathq, query, url, base(withQuery: Bool), base32, url32, urlIP, urlPort
    case urlParam(name: [UInt8], delim: UInt8, int: Bool)
    /// hdr/req.hdr/res.hdr (full: fhdr); name nil: every header.
    case header(FetchDirection, name: [UInt8]?, occurrence: Int, full: Bool, kind: HeaderValueKind)
    case headerCount(FetchDirection, name: [UInt8]?, full: Bool)
    case headerNames(FetchDirection, delim: [UInt8])
    case cookie(FetchDirection, name: [UInt8]?, kind: HeaderValueKind)
    case cookieCount(FetchDirection, name: [UInt8]?)
    case version(FetchDirection)
    case httpAuth(Int), httpAuthGroup(Int), httpAuthType, httpAuthUser, httpAuthPass
    case httpFirstReq, protoHTTP
    case captureReqHdr(Int), captureResHdr(Int), captureReqMethod, captureReqURI, captureReqVer, captureResVer
    case uniqueID
    case status
    /// res.cache_hit, res.cache_name (CacheRuleActions).
    case cacheHit, cacheName
    case stick(StickQuery)
    /// req.body, req.body_len, req.body_size, req.body_param (RequestBodyFetch.swift).
    case requestBody, requestBodyLength, requestBodySize
    /// res.body, res.body_len, res.body_size (RequestBodyFetch.swift).
    case responseBody, responseBodyLength, responseBodySize
    case requestBodyParam(name: [UInt8], caseInsensitive: Bool)
    /// req.ssl_*: the TLS ClientHello in the stream's first bytes (TLSClientHelloFetch.swift).
    case tlsHello(TLSHelloField)
    /// req.rdp_cookie([NAME]), req.rdp_cookie_cnt([NAME]) (RDPCookieFetch.swift).
    case rdpCookie(name: [UInt8]?, count: Bool)
    /// req.len, req.payload*, res.*, wait_end, last_rule_* (BufferFetch.swift).
    case content(ContentFetch)
}

/// What a header value becomes: the text, an integer (hdr_val), an address (hdr_ip).
enum HeaderValueKind { case text, integer, address }

/// Iteration state of a multi-valued fetch.
struct FetchCursor {
    /// Header entry, and position inside its value for comma-separated values.
    var entry = 0
    var offset = 0
    var done = false
    /// ACL use: every value in turn. Otherwise a single value.
    let iterate: Bool
    init(iterate: Bool) { self.iterate = iterate }
}

extension RuleContext {
    /// The value of a fetch; for multi-valued fetches used by ACLs, call again with the same
    /// cursor until it returns nil.
    func fetch(_ f: Fetch, _ c: inout FetchCursor) -> Sample? {
        switch f {
        case .header(let d, let name, let occ, let full, let kind):
            return headerValue(d, name, occ, full, kind, &c)
        case .cookie(let d, let name, let kind):
            return cookieValue(d, name, kind, &c)
        case .urlParam(let name, let delim, let int):
            return urlParamValue(name, delim, int, &c)
        case .requestBodyParam(let name, let ci):
            return bodyParamValue(name, ci, &c)
        default:
            if c.done { return nil }
            c.done = true
            return single(f)
        }
    }

    private func single(_ f: Fetch) -> Sample? {
        switch f {
        case .constant(let s): return s
        case .missing: return nil
        case .date(let offset, let unit):
            var tv = timeval()
            gettimeofday(&tv, nil)
            switch unit {
            case 1: return .int((Int64(tv.tv_sec) + offset) * 1000 + Int64(tv.tv_usec) / 1000)
            case 2: return .int((Int64(tv.tv_sec) + offset) * 1_000_000 + Int64(tv.tv_usec))
            default: return .int(Int64(tv.tv_sec) + offset)
            }
        case .rand(let range):
            let r = Int64(UInt32.random(in: 0...UInt32.max))
            return .int(range > 0 ? (r * range) >> 32 : r)
        case .uuid:
            guard let p = arena.allocate(36) else { return nil }
            var w = ArenaWriterAt(p)
            var bytes = (UInt64.random(in: 0...UInt64.max), UInt64.random(in: 0...UInt64.max))
            withUnsafeMutableBytes(of: &bytes) { b in
                b[6] = (b[6] & 0x0F) | 0x40
                b[8] = (b[8] & 0x3F) | 0x80
                let hex: StaticString = "0123456789abcdef"
                for i in 0..<16 {
                    if i == 4 || i == 6 || i == 8 || i == 10 { w.byte(UInt8(ascii: "-")) }
                    w.byte(hex.utf8Start[Int(b[i] >> 4)]); w.byte(hex.utf8Start[Int(b[i] & 15)])
                }
            }
            return .string(UnsafeRawBufferPointer(start: p, count: 36))
        case .thread: return .int(Int64(worker))
        case .nbthread: return .int(Int64(tables.workers))
        case .variable(let v, let dflt):
            return variable(v) ?? dflt
        case .src: return address(client)
        case .srcPort: return client == .none ? nil : .int(Int64(clientPort))
        case .dst: return address(local)
        case .dstPort: return local == .none ? nil : .int(Int64(localPort))
        case .connectionAddress(let f): return connectionAddress(f)
        case .soID:
            // the bind line's `id`, or the one HAProxy numbers it with (1 when the listener is unknown)
            return .int(Int64(listener >= 0 && listener < tables.listenerIDs.count ? tables.listenerIDs[listener] : 1))
        case .timeout(let t): return timeoutFetch(t)
        case .soName:
            // the bind line's `name` (none: no sample, as HAProxy's smp_fetch_so_name)
            guard listener >= 0 && listener < tables.listenerNameBytes.count, let n = tables.listenerNameBytes[listener] else { return nil }
            return stringConstant(n)
        case .requestBody, .requestBodyLength, .requestBodySize,
             .responseBody, .responseBodyLength, .responseBodySize: return bodySample(f)
        case .tlsHello(let field): return tlsHelloSample(field)
        case .rdpCookie(let name, let count): return rdpCookieSample(name: name, count: count)
        case .content(let cf): return contentSample(cf)
        case .feName: return stringConstant(tables.frontendNameBytes[frontend])
        case .feID: return .int(Int64(tables.frontendIDs[frontend]))
        case .beName:
            if backend < 0 { return stringConstant(tables.frontendNameBytes[frontend]) }
            return stringConstant(tables.backendNameBytes[backend])
        case .beID:
            if backend < 0 { return .int(Int64(tables.frontendIDs[frontend])) }
            return .int(Int64(tables.backendIDs[backend]))
        case .srvName:
            guard server >= 0, backend >= 0 else { return nil }
            return stringConstant(tables.serverNameBytes[backend][server - tables.serverBase[backend]])
        case .srvID:
            guard server >= 0, backend >= 0 else { return nil }
            return .int(Int64(server - tables.serverBase[backend] + 1))
        case .server(let f, let g): return serverSample(f, g)
        case .proxyCounter(let f, let row): return proxyCounterSample(f, row)
        case .nbsrv(let b):
            let be = b >= 0 ? b : backend
            guard be >= 0, let st = tables.states else { return nil }
            var n = 0
            let base = tables.serverBase[be]
            for i in 0..<tables.serverNameBytes[be].count where st.isUsable(base + i) { n += 1 }
            return .int(Int64(n))
        case .method:
            // HAProxy keeps the parsed method of a known one (set-method does not change what
            // `method` returns then); another method is read from the current start line.
            guard let v = requestView else { return capturedMethod() }
            var s = Sample(type: .method)
            s.bytes = KnownMethods.isKnown(originalMethod) ? originalMethod : v.methodBytes
            return s
        case .path, .pathq:
            guard let v = requestView else { return nil }
            let u = v.uriBytes
            let parts = URIParts(u)
            guard let r = (f.isPathQ ? parts.pathQuery : parts.path(u)) else { return nil }
            return .string(UnsafeRawBufferPointer(rebasing: u[r]))
        case .query:
            guard let v = requestView else { return nil }
            let u = v.uriBytes
            guard let r = URIParts.query(u) else { return nil }
            return .string(UnsafeRawBufferPointer(rebasing: u[r]))
        case .url:
            guard let v = requestView else { return nil }
            return .string(v.uriBytes)
        case .base(let withQuery):
            return base(withQuery: withQuery)
        case .base32:
            guard let v = requestView else { return nil }
            var h: UInt32 = 0
            if let i = v.find(HeaderNames.host) {
                for c in v.value(i) { h = UInt32(c) &+ (h << 6) &+ (h << 16) &- h }
            }
            let u = v.uriBytes
            if let r = URIParts(u).path(u), r.count > 0, u[r.lowerBound] == UInt8(ascii: "/") {
                for k in r { h = UInt32(u[k]) &+ (h << 6) &+ (h << 16) &- h }
            }
            return .int(Int64(Hashes.fullAvalanche(h)))
        case .url32:
            guard let v = requestView else { return nil }
            var h: UInt32 = 0
            if let i = v.find(HeaderNames.host) {
                for c in v.value(i) { h = UInt32(c) &+ (h << 6) &+ (h << 16) &- h }
            }
            for c in v.uriBytes { h = UInt32(c) &+ (h << 6) &+ (h << 16) &- h }
            return .int(Int64(Hashes.fullAvalanche(h)))
        case .urlIP, .urlPort:
            guard let v = requestView else { return nil }
            let u = v.uriBytes
            guard let a = URIParts(u).authority else { return nil }
            let auth = UnsafeRawBufferPointer(rebasing: u[a])
            var colon = auth.count
            for k in 0..<auth.count where auth[k] == UInt8(ascii: ":") { colon = k; break }
            // HAProxy's url2sa reads only a numeric host: a name gives no address and no port.
            guard let ip = TextAddress.ipv4(UnsafeRawBufferPointer(rebasing: auth[0..<colon])) else { return nil }
            if case .urlIP = f { return .ipv4(ip) }
            if colon == auth.count { return .int(80) }
            return .int(TextNumber.readInt64(UnsafeRawBufferPointer(rebasing: auth[(colon + 1)...])))
        case .headerCount(let d, let name, let full):
            guard let v = view(d) else { return nil }
            var n = 0
            for i in 0..<v.entryCount where v.isLive(i) {
                if let name, !name.withUnsafeBytes({ v.nameIs(i, $0) }) { continue }
                if full { n += 1 } else { n += Self.countElements(v.value(i)) }
            }
            return .int(Int64(n))
        case .headerNames(let d, let delim):
            guard let v = view(d) else { return nil }
            var w = ArenaWriter(arena)
            var first = true
            for i in 0..<v.entryCount where v.isLive(i) {
                if !first { delim.withUnsafeBytes { w.bytes($0) } }
                first = false
                // HTX keeps header names in lower case: HAProxy lists them so.
                for c in v.name(i) { w.byte(Bytes.lower(c)) }
            }
            return w.finish(arena).map { .string($0) }
        case .cookieCount(let d, let name):
            var c = FetchCursor(iterate: true)
            var n = 0
            while cookieValue(d, name, .text, &c) != nil { n += 1 }
            guard view(d) != nil else { return nil }
            return .int(Int64(n))
        case .version(let d):
            if d == .request {
                guard let v = requestView else { return nil }
                return versionSample(v.versionMinor)
            }
            guard let v = view(.response) else { return nil }
            return versionSample(v.versionMinor)
        case .httpAuth(let l):
            guard let (user, pass) = basicCredentials() else { return .bool(false) }
            return .bool(tables.userlists[l].check(user: user, password: pass, scratch: crypt) != nil)
        case .httpAuthGroup(let l):
            // The user name once the credentials are valid; the ACL checks its groups.
            guard let (user, pass) = basicCredentials(), tables.userlists[l].check(user: user, password: pass, scratch: crypt) != nil else { return nil }
            return .string(user)
        case .httpAuthType:
            guard let v = requestView, let i = v.find(HeaderNames.authorization) else { return nil }
            let value = v.value(i)
            var e = 0
            while e < value.count && value[e] != 32 { e += 1 }
            return .string(UnsafeRawBufferPointer(rebasing: value[0..<e]))
        case .httpAuthUser, .httpAuthPass:
            guard let (user, pass) = basicCredentials() else { return nil }
            if case .httpAuthUser = f { return .string(user) }
            return .string(pass)
        case .httpFirstReq: return .bool(requestIndex == 0)
        case .stick(let q): return stickFetch(q)
        case .protoHTTP: return .bool(true)
        case .captureReqHdr(let i):
            guard let s = slot, i < s.requestCaptures.count, s.requestCaptures[i].isSet else { return nil }
            return s.requestCaptures[i].bytes.withUnsafeBytes { b in arena.copy(b).map { .string($0) } }
        case .captureResHdr(let i):
            guard let s = slot, i < s.responseCaptures.count, s.responseCaptures[i].isSet else { return nil }
            return s.responseCaptures[i].bytes.withUnsafeBytes { b in arena.copy(b).map { .string($0) } }
        case .captureReqMethod: return capturedMethod().map { var s = $0; s.type = .string; return s }
        case .captureReqURI:
            let (_, u, _) = RequestLineParts.split(requestLine)
            guard let u else { return nil }
            return .string(u)
        case .captureReqVer:
            let (_, _, ver) = RequestLineParts.split(requestLine)
            guard let ver, ver.count == 8 else { return nil }
            return .string(UnsafeRawBufferPointer(rebasing: ver[5..<8]))
        case .captureResVer:
            guard status >= 0 || responseLoaded else { return nil }
            return versionSample(response.versionMinor)
        case .uniqueID:
            guard let id = uniqueIDValue() else { return nil }
            return .string(id)
        case .status:
            if phase == .response, responseLoaded { return .int(Int64(response.status)) }
            return status >= 0 ? .int(Int64(status)) : nil
        case .cacheHit:
            return .bool(slot?.cache.hit != nil)
        case .cacheName:
            guard let st = slot, st.cache.hit != nil, st.cache.hitCache >= 0 else { return nil }
            return .string(caches[st.cache.hitCache].nameBytes)
        default:
            return nil
        }
    }

    // MARK: helpers

    /// The request view, when the request is being processed.
    @inline(__always) var requestView: MessageView? { requestLoaded && phase == .request ? request : nil }

    @inline(__always) func address(_ a: ClientAddress) -> Sample? {
        switch a {
        case .v4(let x): return .ipv4(x)
        case .v6(let a, let b, let c, let d): return .ipv6(UInt64(a) << 32 | UInt64(b), UInt64(c) << 32 | UInt64(d))
        case .none: return nil
        }
    }

    @inline(__always) func stringConstant(_ b: StaticBytes) -> Sample { .string(b.buffer) }

    func versionSample(_ minor: Int) -> Sample {
        .string(minor == 1 ? HeaderNames.version11.buffer : HeaderNames.version10.buffer)
    }

    func capturedMethod() -> Sample? {
        let (m, _, _) = RequestLineParts.split(requestLine)
        guard let m else { return nil }
        var s = Sample(type: .method); s.bytes = m; return s
    }

    func base(withQuery: Bool) -> Sample? {
        guard let v = requestView else { return nil }
        let u = v.uriBytes
        let parts = URIParts(u)
        guard let hi = v.find(HeaderNames.host), v.value(hi).count > 0 else {
            guard let r = (withQuery ? parts.pathQuery : parts.path(u)) else { return nil }
            return .string(UnsafeRawBufferPointer(rebasing: u[r]))
        }
        var w = ArenaWriter(arena)
        w.bytes(v.value(hi))
        if let r = (withQuery ? parts.pathQuery : parts.path(u)), r.count > 0, u[r.lowerBound] == UInt8(ascii: "/") {
            w.bytes(UnsafeRawBufferPointer(rebasing: u[r]))
        }
        return w.finish(arena).map { .string($0) }
    }

    func variable(_ v: VarSlot) -> Sample? {
        if v.scope == .proc { return tables.processVariables.get(v.index, arena) }
        guard let s = slot, s.vars.values[v.index].set else { return nil }
        return s.vars.values[v.index].sample
    }

    /// `Authorization: Basic base64(user:pass)` decoded into the arena.
    func basicCredentials() -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)? {
        guard let v = requestView, let i = v.find(HeaderNames.authorization) else { return nil }
        let value = v.value(i)
        guard value.count > 6, Bytes.equalPrefix(value, 0, HeaderNames.basic.buffer, ignoreCase: true) else { return nil }
        var k = 6
        while k < value.count && value[k] == 32 { k += 1 }
        guard let decoded = Base64Codec.decode(UnsafeRawBufferPointer(rebasing: value[k...]), arena) else { return nil }
        for c in 0..<decoded.count where decoded[c] == UInt8(ascii: ":") {
            return (UnsafeRawBufferPointer(rebasing: decoded[0..<c]), UnsafeRawBufferPointer(rebasing: decoded[(c + 1)...]))
        }
        return nil
    }

    /// Number of comma-separated elements in a value (an empty value counts as one).
    static func countElements(_ v: UnsafeRawBufferPointer) -> Int {
        var n = 1
        var quoted = false
        for c in v {
            if c == UInt8(ascii: "\"") { quoted.toggle() }
            else if c == UInt8(ascii: ",") && !quoted { n += 1 }
        }
        return n
    }

    // MARK: headers

    /// The next value of a header fetch (see the file comment for occurrences).
    private func headerValue(_ d: FetchDirection, _ name: [UInt8]?, _ occ: Int, _ full: Bool, _ kind: HeaderValueKind,
                             _ c: inout FetchCursor) -> Sample? {
        guard let v = view(d) else { return nil }
        if c.done { return nil }
        if occ == 0 && c.iterate {
            // ACL: every value in turn (hdr_ip/hdr_val skip values that do not convert).
            while let raw = nextHeaderElement(v, name, full, &c) {
                if let s = typed(raw, kind) { return s }
            }
            c.done = true
            return nil
        }
        c.done = true
        if occ > 0 {
            var k = 0
            var it = FetchCursor(iterate: true)
            while let raw = nextHeaderElement(v, name, full, &it) {
                k += 1
                if k == occ { return typed(raw, kind) }
            }
            return nil
        }
        // Last value, or counted from the end.
        let back = occ == 0 ? 1 : -occ
        var total = 0
        var it = FetchCursor(iterate: true)
        while nextHeaderElement(v, name, full, &it) != nil { total += 1 }
        guard total >= back else { return nil }
        let want = total - back + 1
        var k = 0
        it = FetchCursor(iterate: true)
        while let raw = nextHeaderElement(v, name, full, &it) {
            k += 1
            if k == want { return typed(raw, kind) }
        }
        return nil
    }

    @inline(__always) private func typed(_ raw: UnsafeRawBufferPointer, _ kind: HeaderValueKind) -> Sample? {
        switch kind {
        case .text: return .string(raw)
        case .integer: return .int(TextNumber.readInt64(raw))
        case .address: return Self.headerAddress(raw)
        }
    }

    /// hdr_ip: an IPv4 address (optionally with ":port") or an IPv6 address.
    static func headerAddress(_ raw: UnsafeRawBufferPointer) -> Sample? {
        var k = 0
        while k < raw.count && (raw[k] == UInt8(ascii: ".") || (raw[k] >= 48 && raw[k] <= 57)) { k += 1 }
        if k > 0, let a = TextAddress.ipv4(UnsafeRawBufferPointer(rebasing: raw[0..<k])) {
            if k == raw.count { return .ipv4(a) }
            if raw[k] == UInt8(ascii: ":") {
                let port = UnsafeRawBufferPointer(rebasing: raw[(k + 1)...])
                if port.count > 0 && port.allSatisfy({ $0 >= 48 && $0 <= 57 }) && port.count <= 5 {
                    let p = TextNumber.readInt64(port)
                    if p <= 65535 { return .ipv4(a) }
                }
            }
        }
        if let (h, l) = TextAddress.ipv6(raw) { return .ipv6(h, l) }
        return nil
    }

    /// The next comma-separated element (or whole value when `full`) of the named headers.
    private func nextHeaderElement(_ v: MessageView, _ name: [UInt8]?, _ full: Bool, _ c: inout FetchCursor) -> UnsafeRawBufferPointer? {
        while c.entry < v.entryCount {
            let i = c.entry
            let matches = v.isLive(i) && (name.map { n in n.withUnsafeBytes { v.nameIs(i, $0) } } ?? true)
            if !matches { c.entry += 1; c.offset = 0; continue }
            let value = v.value(i)
            if full {
                c.entry += 1; c.offset = 0
                return value
            }
            if c.offset > value.count { c.entry += 1; c.offset = 0; continue }
            // One element: up to the next unquoted comma, trimmed. The bytes before the first
            // comma or quote change nothing: skip them a word at a time (most values have neither).
            var e = HeaderElements.firstCommaOrQuote(value, from: c.offset)
            var quoted = false
            while e < value.count {
                let ch = value[e]
                if ch == UInt8(ascii: "\"") { quoted.toggle() } else if ch == UInt8(ascii: ",") && !quoted { break }
                e += 1
            }
            let (a, b) = Bytes.trim(value, c.offset, e)
            c.offset = e + 1
            if e >= value.count { c.entry += 1; c.offset = 0 }
            return UnsafeRawBufferPointer(rebasing: value[a..<b])
        }
        return nil
    }

    // MARK: cookies

    /// Request: every `name=value` of every Cookie header; response: the first pair of
    /// every Set-Cookie header. Sample use takes the last match.
    private func cookieValue(_ d: FetchDirection, _ name: [UInt8]?, _ kind: HeaderValueKind, _ c: inout FetchCursor) -> Sample? {
        guard let v = view(d) else { return nil }
        if c.done { return nil }
        let response = v === response
        if c.iterate {
            while let raw = nextCookie(v, name, response, &c) { if let s = typed(raw, kind) { return s } }
            c.done = true
            return nil
        }
        c.done = true
        var last: UnsafeRawBufferPointer? = nil
        var it = FetchCursor(iterate: true)
        while let raw = nextCookie(v, name, response, &it) {
            last = raw
            if name == nil { break }          // no name: the first cookie
        }
        return last.flatMap { typed($0, kind) }
    }

    private func nextCookie(_ v: MessageView, _ name: [UInt8]?, _ response: Bool, _ c: inout FetchCursor) -> UnsafeRawBufferPointer? {
        let hname = response ? HeaderNames.setCookie : HeaderNames.cookie
        while c.entry < v.entryCount {
            let i = c.entry
            guard v.isLive(i), v.nameIs(i, hname) else { c.entry += 1; c.offset = 0; continue }
            let value = v.value(i)
            while c.offset < value.count {
                // One "name=value" pair, ';'-separated (the first one only for Set-Cookie).
                var a = c.offset
                while a < value.count && (value[a] == 32 || value[a] == 9) { a += 1 }
                var e = a
                while e < value.count && value[e] != UInt8(ascii: ";") { e += 1 }
                c.offset = response ? value.count + 1 : e + 1
                var eq = a
                while eq < e && value[eq] != UInt8(ascii: "=") { eq += 1 }
                guard eq < e else { continue }
                var ne = eq
                while ne > a && (value[ne - 1] == 32 || value[ne - 1] == 9) { ne -= 1 }
                let n = UnsafeRawBufferPointer(rebasing: value[a..<ne])
                if let name, !(name.count == n.count && name.withUnsafeBytes({ Bytes.equal($0, n, ignoreCase: false) })) { continue }
                var vs = eq + 1
                var ve = e
                while vs < ve && (value[vs] == 32 || value[vs] == 9) { vs += 1 }
                while ve > vs && (value[ve - 1] == 32 || value[ve - 1] == 9) { ve -= 1 }
                if ve - vs >= 2 && value[vs] == UInt8(ascii: "\"") && value[ve - 1] == UInt8(ascii: "\"") { vs += 1; ve -= 1 }
                return UnsafeRawBufferPointer(rebasing: value[vs..<ve])
            }
            c.entry += 1; c.offset = 0
        }
        return nil
    }

    // MARK: url parameters

    private func urlParamValue(_ name: [UInt8], _ delim: UInt8, _ int: Bool, _ c: inout FetchCursor) -> Sample? {
        guard let v = requestView, !c.done else { return nil }
        let u = v.uriBytes
        if c.entry == 0 {
            // Parameters start after the first delimiter ('?' by default).
            var i = 0
            while i < u.count && u[i] != delim { i += 1 }
            guard i < u.count else { c.done = true; return nil }
            c.offset = i + 1
            c.entry = 1
        }
        @inline(__always) func isDelim(_ ch: UInt8) -> Bool { ch == UInt8(ascii: "&") || ch == UInt8(ascii: ";") || ch == delim }
        var pos = c.offset
        while pos < u.count {
            var end = pos
            while end < u.count && !isDelim(u[end]) { end += 1 }
            let next = end + 1
            var valueStart = -1
            if name.isEmpty {
                var eq = pos
                while eq < end && u[eq] != UInt8(ascii: "=") { eq += 1 }
                if eq < end { valueStart = eq + 1 }
            } else if end - pos > name.count && u[pos + name.count] == UInt8(ascii: "=")
                        && name.withUnsafeBytes({ Bytes.equalPrefix(u, pos, $0, ignoreCase: false) }) {
                valueStart = pos + name.count + 1
            }
            pos = next
            if valueStart >= 0 {
                c.offset = pos
                if !c.iterate { c.done = true }
                let raw = UnsafeRawBufferPointer(rebasing: u[valueStart..<end])
                return int ? .int(TextNumber.readInt64(raw)) : .string(raw)
            }
        }
        c.done = true
        return nil
    }
}

/// The methods HAProxy's parser knows (find_http_meth).
enum KnownMethods {
    static func isKnown(_ m: UnsafeRawBufferPointer) -> Bool {
        switch m.count {
        case 3: return Bytes.equal(m, HeaderNames.get, ignoreCase: false) || Bytes.equal(m, HeaderNames.put, ignoreCase: false)
        case 4: return Bytes.equal(m, HeaderNames.head, ignoreCase: false) || Bytes.equal(m, HeaderNames.post, ignoreCase: false)
        case 5: return Bytes.equal(m, HeaderNames.trace, ignoreCase: false)
        case 6: return Bytes.equal(m, HeaderNames.delete, ignoreCase: false)
        case 7: return Bytes.equal(m, HeaderNames.options, ignoreCase: false) || Bytes.equal(m, HeaderNames.connect, ignoreCase: false)
        default: return false
        }
    }
}

extension HeaderNames {
    nonisolated(unsafe) static let get = StaticBytes(Array("GET".utf8), in: .process).buffer
    nonisolated(unsafe) static let put = StaticBytes(Array("PUT".utf8), in: .process).buffer
    nonisolated(unsafe) static let head = StaticBytes(Array("HEAD".utf8), in: .process).buffer
    nonisolated(unsafe) static let post = StaticBytes(Array("POST".utf8), in: .process).buffer
    nonisolated(unsafe) static let trace = StaticBytes(Array("TRACE".utf8), in: .process).buffer
    nonisolated(unsafe) static let delete = StaticBytes(Array("DELETE".utf8), in: .process).buffer
    nonisolated(unsafe) static let options = StaticBytes(Array("OPTIONS".utf8), in: .process).buffer
}

extension Fetch {
    var isPathQ: Bool { if case .pathq = self { return true }; return false }
}

/// A writer at a fixed place (known length).
struct ArenaWriterAt {
    let p: UnsafeMutableRawPointer
    var n = 0
    init(_ p: UnsafeMutableRawPointer) { self.p = p }
    @inline(__always) mutating func byte(_ b: UInt8) { p.storeBytes(of: b, toByteOffset: n, as: UInt8.self); n += 1 }
}

/// `METHOD SP URI SP VERSION` of the saved request line.
enum RequestLineParts {
    static func split(_ l: UnsafeRawBufferPointer) -> (UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?) {
        guard l.count > 0 else { return (nil, nil, nil) }
        var i = 0
        while i < l.count && l[i] != 32 { i += 1 }
        let m = UnsafeRawBufferPointer(rebasing: l[0..<i])
        while i < l.count && l[i] == 32 { i += 1 }
        let us = i
        while i < l.count && l[i] != 32 { i += 1 }
        let u = UnsafeRawBufferPointer(rebasing: l[us..<i])
        while i < l.count && l[i] == 32 { i += 1 }
        let v = i < l.count ? UnsafeRawBufferPointer(rebasing: l[i...]) : nil
        return (m, u, v)
    }
}

/// Header names and constant strings used by fetches, as bytes that live forever.
enum HeaderNames {
    nonisolated(unsafe) static let host = StaticBytes(Array("host".utf8), in: .process).buffer
    nonisolated(unsafe) static let authorization = StaticBytes(Array("authorization".utf8), in: .process).buffer
    nonisolated(unsafe) static let cookie = StaticBytes(Array("cookie".utf8), in: .process).buffer
    nonisolated(unsafe) static let setCookie = StaticBytes(Array("set-cookie".utf8), in: .process).buffer
    static let basic = StaticBytes(Array("basic ".utf8), in: .process)
    static let version10 = StaticBytes(Array("1.0".utf8), in: .process)
    static let version11 = StaticBytes(Array("1.1".utf8), in: .process)
}

/// HAProxy's hash helpers.
enum Hashes {
    /// full_hash: Bob Jenkins' 32-bit integer avalanche.
    @inline(__always) static func fullAvalanche(_ x: UInt32) -> UInt32 {
        var a = x
        a = (a &+ 0x7ed55d16) &+ (a << 12)
        a = (a ^ 0xc761c23c) ^ (a >> 19)
        a = (a &+ 0x165667b1) &+ (a << 5)
        a = (a &+ 0xd3a2646c) ^ (a << 9)
        a = (a &+ 0xfd7046c5) &+ (a << 3)
        a = (a ^ 0xb55a4f09) ^ (a >> 16)
        // HAProxy's tools.h spreads the result with a large prime (the balance hashes do not).
        return a &* 3221225473
    }
}
