// `option checkcache` in the stream: once the response rules and the cookie persistence have
// run on a server's response, CheckCachePolicy decides on the response view (the headers as
// the rules left them, as HAProxy reads them) and a blocked response is replaced by HAProxy
// 2.6.12's answer: the error page of the server's status, logged PH with that status and
// `-1` for Tr, counted as a denied response; an alert goes to the backend's loggers.
import CUring

extension StreamHandler {
    /// true when the response was blocked and the call now carries the replacement.
    func blockCacheableCookie(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ wr: WorkerRules,
                              _ slotIndex: Int, _ head: ResponseHead) -> Bool {
        let ctx = wr.context
        guard ctx.responseLoaded, ctx.phase == .response else { return false }
        let v = ctx.response
        let hasSetCookie = RuleContext.has(v, "set-cookie") || RuleContext.has(v, "set-cookie2")
        guard hasSetCookie else { return false }
        var slot = w.slots[slotIndex]
        let bi = Int(slot.backend)
        guard bi >= 0 else { return false }
        var r = CacheResponseFacts()
        r.status = v.status
        r.cacheControl = RuleContext.values(v, "cache-control")
        r.pragma = RuleContext.first(v, "pragma")
        r.expires = RuleContext.first(v, "expires")
        r.hasETag = RuleContext.has(v, "etag")
        r.hasLastModified = RuleContext.has(v, "last-modified")
        let inserted = slot.responseCookieChar == CookieLogChar.inserted || slot.responseCookieChar == CookieLogChar.updated
        let privateCookie = inserted && configuration.proxies[backends[bi].proxy].cookie?.nocache == true
        guard CheckCachePolicy.blocks(method: slot.cacheMethod, response: r, hasSetCookie: true,
                                      insertedPrivateCookie: privateCookie) else { return false }
        let status = v.status
        // HAProxy's alert, on the backend's loggers (level alert).
        if let log = backends[bi].checkCacheLog {
            let server = slot.decision.server.map { backends[bi].serverNames[$0] } ?? "<dispatch>"
            w.syslog.log(level: 1, to: log, message: "Blocking cacheable cookie in response from instance \(backends[bi].name), server \(server).")
        }
        let fi = Int(slot.frontend)
        let compiled = rules!
        let fp = compiled.proxies[frontends[fi].proxy]
        let bp = compiled.proxies[backends[bi].proxy]
        replaceResponse(.cacheableCookie(status: status), call, w, wr, slotIndex, &slot, frontends[fi], fp: fp, bp: bp)
        // HAProxy logs the server's status, whichever page it sent.
        call.pointee.status_hint = Int32(status)
        w.counters.add(frontends[fi].counterRow, .dresp)      // the backend's is counted with the reply
        if let st = wr.existingSlot(slotIndex) { st.localStatus = status }
        return true
    }
}
