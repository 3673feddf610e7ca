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
// the response could be stored. Log character: N P D I R (U, date refresh, is not produced).

public struct CookieResponseContext: Sendable {
    /// The server that answered.
    public var server: Int
    /// The request cookie designated this server and it was used (not redispatched).
    public var direct: Bool
    public var requestIsPost: Bool
    public init(server: Int, direct: Bool, requestIsPost: Bool) {
        self.server = server; self.direct = direct; self.requestIsPost = requestIsPost
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
        guard insertMode, !ctx.direct, !(foundOurs && config.preserve),
              !config.postonly || ctx.requestIsPost else { return flag }
        appendSetCookie(ctx.server, at: resp.endOfHeaders, rewrite)
        flag = CookieLogChar.inserted
        if config.nocache && CacheabilityRule.mayBeStored(resp, requestIsPost: ctx.requestIsPost) {
            rewrite.appendHeader(at: resp.endOfHeaders, line: "Cache-control: private\r\n")
        }
        return flag
    }

    private func appendSetCookie(_ server: Int, at end: Int, _ rewrite: HeadRewrite) {
        let m = rewrite.mark
        rewrite.put("Set-Cookie: ")
        name.withUnsafeBytes { rewrite.put($0) }
        if let ck = serverCookies[server] {
            rewrite.put(byte: UInt8(ascii: "="))
            ck.withUnsafeBytes { rewrite.put($0) }
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
