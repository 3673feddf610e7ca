// Replies the proxy makes itself (deny, tarpit, return, redirect, auth, error pages) are
// built as HAProxy 2.6 builds them: an HTX-like message in the response view (status line,
// headers in HAProxy's order, body), on which http-after-response rules then run, and
// which ReplyWriter serialises the way HAProxy's H1 mux does (lower-case names, its own
// `connection:` header at the end).

/// A local reply loaded in the response view.
struct PreparedReply {
    var status: Int
    var body: UnsafeRawBufferPointer
    /// Termination characters for the log (PR, LR, PT, PH...).
    var term: (UInt8, UInt8)
    /// An empty error file: nothing is sent, the connection is closed.
    var sendNothing = false
    /// The reply must close the connection (a redirect answering a request whose body is
    /// still coming).
    var close = false
    var tarpitMs = 0
    /// A redirect's or auth's reply does not count as an error.
    var isError = true
}

extension RuleContext {
    /// Loads the response view with `kind`'s reply. `requestSide`: the rules were request
    /// rules (the reply replaces the whole exchange) rather than response rules.
    func prepare(_ kind: LocalReplyKind, requestSide: Bool, fe: ProxyRuleProgram?, be: ProxyRuleProgram?,
                 requestHasPendingBody: Bool) -> PreparedReply {
        let phaseChar = requestSide ? UInt8(ascii: "R") : UInt8(ascii: "H")
        switch kind {
        case .deny(let p):
            var r = prepare(p, fe: fe, be: be)
            r.term = (UInt8(ascii: "P"), phaseChar)
            return r
        case .tarpit(let p):
            var r = prepare(p, fe: fe, be: be)
            r.term = (UInt8(ascii: "P"), UInt8(ascii: "T"))
            r.tarpitMs = (be ?? fe)?.tarpitTimeoutMs ?? 0
            return r
        case .returnReply(let p):
            var r = prepare(p, fe: fe, be: be)
            r.term = (UInt8(ascii: "L"), phaseChar)
            r.isError = false
            return r
        case .redirect(let p):
            var r = prepareRedirect(p)
            r.term = (UInt8(ascii: "L"), phaseChar)
            r.close = requestHasPendingBody
            if r.close { response.append(name: HeaderNames.connectionName, value: HeaderNames.closeValue) }
            return r
        case .auth(let realm):
            var r = errorPage(401, fe: fe, be: be)
            appendAuthenticate(realm)
            r.term = (UInt8(ascii: "L"), phaseChar)
            r.isError = false
            return r
        case .internalError:
            // A failed rewrite: HAProxy blames the proxy (PR--/PH--), not an internal error.
            var r = errorPage(500, fe: fe, be: be)
            r.term = (UInt8(ascii: "P"), phaseChar)
            return r
        case .badRequest:
            var r = errorPage(400, fe: fe, be: be)
            r.term = (UInt8(ascii: "P"), phaseChar)
            return r
        case .cacheableCookie(let status):
            var r = errorPage(status, fe: fe, be: be)
            r.term = (UInt8(ascii: "P"), phaseChar)
            return r
        }
    }

    /// An error page of the proxies: the backend's, else the frontend's (http-error reply,
    /// errorfile, errorloc, http-errors section), else HAProxy's.
    func errorPage(_ status: Int, fe: ProxyRuleProgram?, be: ProxyRuleProgram?) -> PreparedReply {
        for p in [be, fe] {
            guard let p else { continue }
            if let r = p.errorReplies[status] { return prepare(r, fe: nil, be: nil) }
            if let m = p.errorPages[status] { return load(m, status: status) }
        }
        return load(BuiltInPages.page(status), status: status)
    }

    private func prepare(_ p: ReplyProgram, fe: ProxyRuleProgram?, be: ProxyRuleProgram?) -> PreparedReply {
        switch p.body {
        case .errorPage(let choice):
            switch choice {
            case .proxyDefault: return errorPage(p.status, fe: fe, be: be)
            case .fixed(let m): return load(m, status: p.status)
            case .section(let pages):
                if let m = pages[p.status] { return load(m, status: p.status) }
                return errorPage(p.status, fe: fe, be: be)
            }
        default: break
        }
        response.loadLocal(status: p.status)
        response.reason = .empty
        _ = response.setStatus(p.status, reason: ReasonPhrases.bytes(p.status))
        var body = UnsafeRawBufferPointer(start: nil, count: 0)
        switch p.body {
        case .raw(let b): body = b.buffer
        case .format(let f): body = render(f) ?? body
        default: break
        }
        for h in p.headers {
            if let v = render(h.value), v.count > 0 { response.append(name: h.name.buffer, value: v) }
        }
        response.append(name: HeaderNames.contentLengthName, value: decimal(body.count))
        if body.count > 0, let ct = p.contentType { response.append(name: HeaderNames.contentTypeName, value: ct.buffer) }
        return PreparedReply(status: p.status, body: body, term: (45, 45))
    }

    private func load(_ m: ErrorPageMessage, status: Int) -> PreparedReply {
        if m.isEmpty {
            response.loadLocal(status: status)
            return PreparedReply(status: status, body: UnsafeRawBufferPointer(start: nil, count: 0), term: (45, 45), sendNothing: true)
        }
        response.loadLocal(status: m.status, versionMinor: m.versionMinor)
        _ = response.setStatus(m.status, reason: m.reason.buffer)
        for h in m.headers { response.append(name: h.name.buffer, value: h.value.buffer) }
        // The log keeps the status the proxy meant (an errorloc 302 for a 503 logs 503).
        return PreparedReply(status: status, body: m.body.buffer, term: (45, 45))
    }

    private func prepareRedirect(_ p: RedirectProgram) -> PreparedReply {
        // The target first (it evaluates samples in the arena), then the location is built.
        let target = render(p.target)
        var w = ArenaWriter(arena)
        let u = request.uriBytes
        switch p.kind {
        case .location:
            if let t = target { w.bytes(t) }
        case .prefix, .scheme:
            let parts = URIParts(u)
            var path = parts.pathQuery.map { UnsafeRawBufferPointer(rebasing: u[$0]) } ?? HeaderNames.slash
            if p.dropQuery {
                var q = 0
                while q < path.count && path[q] != UInt8(ascii: "?") { q += 1 }
                path = UnsafeRawBufferPointer(rebasing: path[0..<q])
            }
            if p.kind == .scheme {
                if let t = target { w.bytes(t) }
                w.byte(UInt8(ascii: ":")); w.byte(UInt8(ascii: "/")); w.byte(UInt8(ascii: "/"))
                if let h = request.find(HeaderNames.host) { w.bytes(request.value(h)) }
            } else if let t = target, !(p.legacy && t.count == 1 && t[0] == UInt8(ascii: "/")) {
                w.bytes(t)
            }
            w.bytes(path)
            if p.appendSlash && w.count > 0 && w.start.load(fromByteOffset: w.count - 1, as: UInt8.self) != UInt8(ascii: "/") {
                w.byte(UInt8(ascii: "/"))
            }
        }
        let location = w.finish(arena) ?? UnsafeRawBufferPointer(start: nil, count: 0)
        response.loadLocal(status: p.code)
        _ = response.setStatus(p.code, reason: RedirectReasons.bytes(p.code))
        response.append(name: HeaderNames.contentLengthName, value: HeaderNames.zero)
        response.append(name: HeaderNames.locationName, value: location)
        if p.code == 302 || p.code == 303 || p.code == 307 {
            response.append(name: HeaderNames.cacheControlName, value: HeaderNames.noCache)
        }
        if let c = p.cookie { response.append(name: HeaderNames.setCookieName, value: c.buffer) }
        var r = PreparedReply(status: p.code, body: UnsafeRawBufferPointer(start: nil, count: 0), term: (45, 45))
        r.isError = false
        return r
    }

    /// `www-authenticate: Basic realm="..."` after the 401 page's headers.
    private func appendAuthenticate(_ realm: StaticBytes) {
        var w = ArenaWriter(arena)
        for c in "Basic realm=\"".utf8 { w.byte(c) }
        w.bytes(realm.buffer)
        w.byte(UInt8(ascii: "\""))
        if let v = w.finish(arena) { response.append(name: HeaderNames.wwwAuthenticateName, value: v) }
    }

    func decimal(_ n: Int) -> UnsafeRawBufferPointer {
        arena.decimal(Int64(n)) ?? HeaderNames.zero
    }
}

/// HAProxy's built-in error pages, parsed once.
enum BuiltInPages {
    static let pages: [Int: ErrorPageMessage] = {
        var d: [Int: ErrorPageMessage] = [:]
        for s in ErrorPageTexts.handledStatuses { d[s] = ErrorPageMessage(ErrorMessage.builtIn(s)!, pool: .process) }
        return d
    }()
    /// The page for a status; statuses HAProxy has no page for use its 500 page.
    static func page(_ status: Int) -> ErrorPageMessage { pages[status] ?? pages[500]! }
}

enum ReasonPhrases {
    static let table: [Int: StaticBytes] = {
        var d: [Int: StaticBytes] = [:]
        for s in 100...599 { d[s] = StaticBytes(Array(ErrorPageTexts.reason(s).utf8), in: .process) }
        return d
    }()
    static let other = StaticBytes(Array("Other".utf8), in: .process)
    static func bytes(_ s: Int) -> UnsafeRawBufferPointer { (table[s] ?? other).buffer }
}

enum RedirectReasons {
    static let moved = StaticBytes(Array("Moved Permanently".utf8), in: .process)
    static let found = StaticBytes(Array("Found".utf8), in: .process)
    static let seeOther = StaticBytes(Array("See Other".utf8), in: .process)
    static let temporary = StaticBytes(Array("Temporary Redirect".utf8), in: .process)
    static let permanent = StaticBytes(Array("Permanent Redirect".utf8), in: .process)
    static func bytes(_ code: Int) -> UnsafeRawBufferPointer {
        switch code {
        case 301: return moved.buffer
        case 303: return seeOther.buffer
        case 307: return temporary.buffer
        case 308: return permanent.buffer
        default: return found.buffer
        }
    }
}

extension HeaderNames {
    nonisolated(unsafe) static let contentLengthName = StaticBytes(Array("content-length".utf8), in: .process).buffer
    nonisolated(unsafe) static let contentTypeName = StaticBytes(Array("content-type".utf8), in: .process).buffer
    nonisolated(unsafe) static let locationName = StaticBytes(Array("location".utf8), in: .process).buffer
    nonisolated(unsafe) static let cacheControlName = StaticBytes(Array("cache-control".utf8), in: .process).buffer
    nonisolated(unsafe) static let setCookieName = StaticBytes(Array("set-cookie".utf8), in: .process).buffer
    nonisolated(unsafe) static let wwwAuthenticateName = StaticBytes(Array("www-authenticate".utf8), in: .process).buffer
    nonisolated(unsafe) static let connectionName = StaticBytes(Array("connection".utf8), in: .process).buffer
    nonisolated(unsafe) static let closeValue = StaticBytes(Array("close".utf8), in: .process).buffer
    nonisolated(unsafe) static let noCache = StaticBytes(Array("no-cache".utf8), in: .process).buffer
    nonisolated(unsafe) static let zero = StaticBytes(Array("0".utf8), in: .process).buffer
    nonisolated(unsafe) static let slash = StaticBytes(Array("/".utf8), in: .process).buffer
}
