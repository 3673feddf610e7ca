// Runs a rule set on the message in the rule context, in order: a rule whose condition holds
// runs its action; `allow` ends the rule set; deny, tarpit, return, redirect, auth and
// use-service end rule processing with a reply the proxy makes itself. A rewrite that does not
// fit fails the message (500) unless `strict-mode off` was set (HAProxy's strict mode).

/// What running a rule set decided.
enum RuleOutcome {
    case next
    case stop
    case reply(LocalReplyKind)
    case service
    /// http-request reject: close the client connection without a response.
    case reject
}

/// A reply the proxy makes instead of forwarding (or instead of the server's response).
enum LocalReplyKind {
    case deny(ReplyProgram)
    case tarpit(ReplyProgram)
    case returnReply(ReplyProgram)
    case redirect(RedirectProgram)
    case auth(StaticBytes)
    /// A failed rewrite in strict mode, or another internal error.
    case internalError
    /// A request a rule found malformed (normalize-uri … strict).
    case badRequest
    /// `option checkcache` blocked a response of this status: HAProxy 2.6.12 sends its error
    /// page for that status (the 500 page when it has none), logged PH with the status.
    case cacheableCookie(status: Int)
}

extension RuleContext {
    func run(_ rules: [CompiledRule], of program: ProxyRuleProgram) -> RuleOutcome {
        strict = true
        for r in rules {
            if let c = r.condition, !evaluate(c, program.acls) { continue }
            switch r.action {
            case .allow: ruleEnded(r.origin); return .stop
            case .reject: ruleEnded(r.origin); return .reject
            case .deny(let p): ruleEnded(r.origin); return .reply(.deny(p))
            case .tarpit(let p): ruleEnded(r.origin); return .reply(.tarpit(p))
            case .returnReply(let p): ruleEnded(r.origin); return .reply(.returnReply(p))
            case .redirect(let p):
                if p.ignoreEmpty && p.kind == .location, (render(p.target)?.count ?? 0) == 0 { continue }
                ruleEnded(r.origin)
                return .reply(.redirect(p))
            case .auth(let realm):
                ruleEnded(r.origin)
                return .reply(.auth(realm.count > 0 ? realm : program.realm))
            case .useService: ruleEnded(r.origin); return .service
            case .strictMode(let on): strict = on
            case .cacheUse(let i): cacheUse(i)
            case .cacheStore(let i): cacheStore(i)
            case .normalizeURI(let n):
                switch normalizeURI(n) {
                case .done: break
                case .invalid: return .reply(.badRequest)
                case .failed: if strict { return .reply(.internalError) }
                }
            default:
                if !apply(r.action) && strict { ruleEnded(r.origin); return .reply(.internalError) }
            }
        }
        return .next
    }

    /// Applies a rewriting or bookkeeping action; false when a rewrite failed.
    func apply(_ a: RuleAction) -> Bool {
        guard let v = currentView else { return true }
        switch a {
        case .setHeader(let name, let lower, let fmt):
            guard let value = render(fmt) else { return false }
            lower.withUnsafeBytes { v.deleteAll($0) }
            return v.append(name: name.buffer, value: value)
        case .addHeader(let name, let fmt):
            guard let value = render(fmt) else { return false }
            return v.append(name: name.buffer, value: value)
        case .delHeader(let m):
            for i in 0..<v.entryCount where v.isLive(i) && m.matches(v.name(i), regex, arena) { v.delete(i) }
            return true
        case .replaceHeader(let lower, let re, let fmt, let whole):
            guard let replacement = render(fmt) else { return false }
            return lower.withUnsafeBytes { replaceHeader(v, $0, re, replacement, whole) }
        case .setMethod(let fmt):
            guard phase == .request, let m = render(fmt) else { return phase != .request }
            return v.setMethod(m)
        case .setURI(let fmt):
            guard phase == .request, let u = render(fmt) else { return phase != .request }
            return v.setURI(u) && updateHost(v)
        case .setPath(let fmt), .setPathQ(let fmt), .setQuery(let fmt):
            guard phase == .request, let value = render(fmt) else { return phase != .request }
            return rewriteURI(v, a, value)
        case .replacePath(let re, let fmt), .replacePathQ(let re, let fmt), .replaceURI(let re, let fmt):
            guard phase == .request, let replacement = render(fmt) else { return phase != .request }
            return replaceInURI(v, a, re, replacement)
        case .setStatus(let code, let reason):
            guard phase == .response else { return true }
            return v.setStatus(code, reason: reason.buffer)
        case .setVar(let slotRef, let expr):
            if let s = evaluate(expr) { setVariable(slotRef, s) }
            return true
        case .setTimeout(let kind, let expr):
            applySetTimeout(kind, expr)
            return true
        case .setVarFormat(let slotRef, let fmt):
            if let b = render(fmt) { setVariable(slotRef, .string(b)) }
            return true
        case .unsetVar(let slotRef):
            unsetVariable(slotRef)
            return true
        case .setLogLevel(let level):
            slot?.logLevel = level
            return true
        case .capture(let expr, let i, let request):
            guard let sl = slot, var s = evaluate(expr), SampleCast.convert(&s, to: .string, arena) else { return true }
            if request { if i < sl.requestCaptures.count { sl.requestCaptures[i].set(s.bytes) } }
            else if i < sl.responseCaptures.count { sl.responseCaptures[i].set(s.bytes) }
            return true
        case .patternFile(let p):
            guard let key = render(p.key) else { return true }
            let k = String(decoding: key, as: UTF8.self)
            var value: String? = nil
            if let vf = p.value, let vb = render(vf) { value = String(decoding: vb, as: UTF8.self) }
            try? p.file.update { entries in
                switch p.kind {
                case .addACL:
                    if !entries.contains(where: { $0.key == k }) { entries.append(.init(key: k, value: nil)) }
                case .delACL, .delMap:
                    entries.removeAll { $0.key == k }
                case .setMap:
                    if let i = entries.firstIndex(where: { $0.key == k }) { entries[i].value = value }
                    else { entries.append(.init(key: k, value: value)) }
                }
            }
            return true
        case .trackSC(let n, let key, let table):
            trackStickCounter(n, key, table: table)
            return true
        case .scIncGPC(let gpc, let n):
            incrementTracked(gpc: gpc, counter: n)
            return true
        case .scSetGPT0(let n, let value):
            setTrackedGPT0(counter: n, value)
            return true
        case .setAddress(let t, let e):
            overrideAddress(t, e)
            return true
        default:
            return true
        }
    }

    /// replace-header / replace-value (http_replace_hdrs): a value (or, for replace-value,
    /// each comma-separated element) in which the regex is found is replaced as a whole by
    /// the expanded replacement; separators and other elements are kept as they were.
    private func replaceHeader(_ v: MessageView, _ lower: UnsafeRawBufferPointer, _ re: Regex,
                               _ replacement: UnsafeRawBufferPointer, _ whole: Bool) -> Bool {
        var i = 0
        while let h = v.find(lower, from: i) {
            i = h + 1
            let value = v.value(h)
            var w = ArenaWriter(arena)
            var changed = false
            if whole {
                let m = re.search(value, from: 0, regex)
                if m > 0 {
                    guard RegexReplace.expand(replacement, subject: value, scratch: regex, matched: m, into: &w) else { return false }
                    changed = true
                }
            } else {
                var start = 0
                var copied = 0
                while start <= value.count {
                    var e = start
                    var quoted = false
                    while e < value.count {
                        let c = value[e]
                        if c == UInt8(ascii: "\"") { quoted.toggle() } else if c == UInt8(ascii: ",") && !quoted { break }
                        e += 1
                    }
                    let (a, bb) = Bytes.trim(value, start, e)
                    let elem = UnsafeRawBufferPointer(rebasing: value[a..<bb])
                    let m = re.search(elem, from: 0, regex)
                    if m > 0 {
                        // The blanks around the element go with it (http_replace_header_value).
                        w.bytes(UnsafeRawBufferPointer(rebasing: value[copied..<start]))
                        guard RegexReplace.expand(replacement, subject: elem, scratch: regex, matched: m, into: &w) else { return false }
                        copied = e
                        changed = true
                    }
                    start = e + 1
                    if e >= value.count { break }
                }
                w.bytes(UnsafeRawBufferPointer(rebasing: value[copied...]))
            }
            if changed {
                guard let out = w.finish(arena), v.setValue(h, out) else { return false }
            }
        }
        return true
    }

    /// set-path, set-pathq, set-query (http_replace_req_path/_query): the rest of the URI is kept.
    private func rewriteURI(_ v: MessageView, _ a: RuleAction, _ value: UnsafeRawBufferPointer) -> Bool {
        let u = v.uriBytes
        var w = ArenaWriter(arena)
        switch a {
        case .setPath, .setPathQ:
            let p = URIParts(u).pathQuery ?? 0..<u.count
            var plen = p.count
            if case .setPath = a {
                plen = 0
                while p.lowerBound + plen < p.upperBound && u[p.lowerBound + plen] != UInt8(ascii: "?") { plen += 1 }
            }
            w.bytes(UnsafeRawBufferPointer(rebasing: u[0..<p.lowerBound]))
            w.bytes(value)
            w.bytes(UnsafeRawBufferPointer(rebasing: u[(p.lowerBound + plen)..<p.upperBound]))
        default: // set-query: the '?' is kept (or added when the new query is not empty)
            var q = 0
            while q < u.count && u[q] != UInt8(ascii: "?") { q += 1 }
            if q < u.count {
                w.bytes(UnsafeRawBufferPointer(rebasing: u[0...q]))
                w.bytes(value)
            } else {
                w.bytes(u)
                if value.count > 0 { w.byte(UInt8(ascii: "?")); w.bytes(value) }
            }
        }
        guard let out = w.finish(arena) else { return false }
        return v.setURI(out)
    }

    /// After set-uri/replace-uri: an absolute URI's authority becomes the Host value
    /// (http_update_host; Host headers are replaced, none is added).
    func updateHost(_ v: MessageView) -> Bool {
        let u = v.uriBytes
        guard u.count > 0, u[0] != UInt8(ascii: "/"), !(u.count == 1 && u[0] == UInt8(ascii: "*")) else { return true }
        let auth: UnsafeRawBufferPointer
        let m = v.methodBytes
        if m.count == 7 && Bytes.equal(m, HeaderNames.connect, ignoreCase: false) {
            auth = u
        } else {
            let parts = URIParts(u)
            var a = parts.scheme?.upperBound ?? 0
            var start = a
            while a < u.count && u[a] != UInt8(ascii: "/") { if u[a] == UInt8(ascii: "@") { start = a + 1 }; a += 1 }
            guard a > start else { return false }
            auth = UnsafeRawBufferPointer(rebasing: u[start..<a])
        }
        var i = 0
        while let h = v.find(HeaderNames.host, from: i) {
            i = h + 1
            if !v.setValue(h, auth) { return false }
        }
        return true
    }

    /// replace-path, replace-pathq, replace-uri: when the regex is found in the part, the
    /// whole part is replaced by the expanded format (the rest of the URI is kept).
    private func replaceInURI(_ v: MessageView, _ a: RuleAction, _ re: Regex, _ replacement: UnsafeRawBufferPointer) -> Bool {
        let u = v.uriBytes
        let parts = URIParts(u)
        let range: Range<Int>
        switch a {
        case .replaceURI: range = 0..<u.count
        case .replacePath: guard let r = parts.path(u) else { return true }; range = r
        default: guard let r = parts.pathQuery else { return true }; range = r
        }
        let subject = UnsafeRawBufferPointer(rebasing: u[range])
        let m = re.search(subject, from: 0, regex)
        guard m > 0 else { return true }
        var w = ArenaWriter(arena)
        w.bytes(UnsafeRawBufferPointer(rebasing: u[0..<range.lowerBound]))
        guard RegexReplace.expand(replacement, subject: subject, scratch: regex, matched: m, into: &w) else { return false }
        w.bytes(UnsafeRawBufferPointer(rebasing: u[range.upperBound...]))
        guard let out = w.finish(arena) else { return false }
        if case .replaceURI = a { return v.setURI(out) && updateHost(v) }
        return v.setURI(out)
    }
}
