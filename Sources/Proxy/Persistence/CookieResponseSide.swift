// Response side of cookie persistence (HAProxy's manage_server_side_cookies and the
// insertion in http_process_res_common).
//
// A server `Set-Cookie` of our name: kept with `preserve`; deleted (whole line) in insert
// mode when a server was chosen, or with `indirect` on a direct hit; in rewrite mode its
// value becomes the server's cookie; in prefix mode `SRV~` is put in front of its value.
// Then, in insert mode, when the access was not direct (no/invalid cookie, DOWN server,
// redispatch), `Set-Cookie: NAME=VALUE; path=/[; domain=D]...[; HttpOnly][; Secure][; ATTR]`
// is appended after all the server's headers (the expiring form when the server has no
// cookie), followed by `Cache-control: private` under `nocache` when CacheabilityRule says
// the response could be stored. Log character: N P D I R U.
//
// Dates (HAProxy 2.6 http_process_res_common): the cookie is also (re)inserted on a direct
// hit when its last-seen date has passed or is missing under maxidle, when it has no
// first-seen date under maxlife, or when it carries one without maxlife (and a dated
// cookie without maxidle/maxlife is re-sent plain) — log U. The value is then
// `SRV|<now>` (maxidle or maxlife) `|<first seen, or now>` (maxlife).

public struct CookieResponseContext: Sendable {
    /// The server that answered.
    public var server: Int
    /// The request cookie designated this server and it was used (not redispatched).
    public var direct: Bool
    public var requestIsPost: Bool
    /// The request cookie's dates (CookieRequestResult), UNIX seconds, 0: none.
    public var lastDate: Int64
    public var firstDate: Int64
    /// UNIX seconds for the dates (nil: read the clock when needed).
    public var wallSeconds: Int64?
    public init(server: Int, direct: Bool, requestIsPost: Bool,
                lastDate: Int64 = 0, firstDate: Int64 = 0, wallSeconds: Int64? = nil) {
        self.server = server; self.direct = direct; self.requestIsPost = requestIsPost
        self.lastDate = lastDate; self.firstDate = firstDate; self.wallSeconds = wallSeconds
    }
}

extension CookiePersistence {
    /// Edits the response head; returns the 4th log character.
    public func processResponse(_ resp: ResponseHead, _ ctx: CookieResponseContext, rewrite: HeadRewrite) -> UInt8 {
        if resp.status < 200 { return CookieLogChar.notSeen }
        var flag = CookieLogChar.notSeen
        var foundOurs = false
        var h = 0
        let base = resp.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        while let i = resp.findHeader("set-cookie", from: h) {
            h = i + 1
            let v = resp.fields[i].value
            let it = CookieSyntax.item(base, after: Int(v.lo) - 1, end: Int(v.hi))
            guard it.hasEqual, CookieSyntax.isName(base, it.attBeg, it.attEnd, name) else { continue }
            foundOurs = true
            flag = CookieLogChar.passive
            if config.preserve { continue }
            if insertMode || (ctx.direct && config.indirect) {
                rewrite.delete(resp.fields[i].line)
                flag = CookieLogChar.deleted
            } else if let ck = serverCookies[ctx.server], rewriteMode || prefixMode {
                let m = rewrite.mark
                ck.withUnsafeBytes { rewrite.put($0) }
                if rewriteMode {
                    rewrite.edit(at: it.valBeg, cutTo: it.valEnd, from: m)
                } else {
                    rewrite.put(byte: UInt8(ascii: "~"))
                    rewrite.edit(at: it.valBeg, cutTo: it.valBeg, from: m)
                }
                flag = CookieLogChar.rewritten
            }
        }
        guard insertMode, !(foundOurs && config.preserve),
              !config.postonly || ctx.requestIsPost else { return flag }
        let dated = maxIdleSeconds | maxLifeSeconds != 0
        let now = (dated || ctx.lastDate != 0) ? (ctx.wallSeconds ?? CookieDate.wallClockSeconds()) : 0
        guard !ctx.direct || datesNeedWriting(ctx, now) else { return flag }
        appendSetCookie(ctx, dated: dated, now: now, at: resp.endOfHeaders, rewrite)
        // Same server, only the dates changed: U; otherwise I.
        flag = serverCookies[ctx.server] != nil && ctx.direct ? CookieLogChar.updated : CookieLogChar.inserted
        if config.nocache && CacheabilityRule.mayBeStored(resp, requestIsPost: ctx.requestIsPost) {
            rewrite.appendHeader(at: resp.endOfHeaders, line: "Cache-control: private\r\n")
        }
        return flag
    }

    /// A direct hit gets a new cookie anyway when its dates must change.
    private func datesNeedWriting(_ ctx: CookieResponseContext, _ now: Int64) -> Bool {
        ((maxIdleSeconds != 0 || ctx.lastDate != 0) && (ctx.lastDate == 0 || ctx.lastDate - now < 0))
            || (maxLifeSeconds != 0 && ctx.firstDate == 0)
            || (maxLifeSeconds == 0 && ctx.firstDate != 0)
    }

    private func appendSetCookie(_ ctx: CookieResponseContext, dated: Bool, now: Int64, at end: Int, _ rewrite: HeadRewrite) {
        let m = rewrite.mark
        rewrite.put("Set-Cookie: ")
        name.withUnsafeBytes { rewrite.put($0) }
        if let ck = serverCookies[ctx.server] {
            rewrite.put(byte: UInt8(ascii: "="))
            ck.withUnsafeBytes { rewrite.put($0) }
            if dated {
                rewrite.put(byte: UInt8(ascii: "|"))
                CookieDate.put(units: CookieDate.units(writing: now), rewrite)
                if maxLifeSeconds != 0 {
                    rewrite.put(byte: UInt8(ascii: "|"))
                    let first = ctx.firstDate != 0 ? ctx.firstDate >> 2 : CookieDate.units(writing: now)
                    CookieDate.put(units: first, rewrite)
                }
            }
            rewrite.put("; path=/")
        } else {
            rewrite.put("=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/")
        }
        for d in config.domains { rewrite.put("; domain="); rewrite.put(d) }
        if config.httponly { rewrite.put("; HttpOnly") }
        if config.secure { rewrite.put("; Secure") }
        for a in config.attrs { rewrite.put("; "); rewrite.put(a) }
        rewrite.put("\r\n")
        rewrite.edit(at: end, cutTo: end, from: m)
    }
}
