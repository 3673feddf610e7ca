// The rule engine in the stream layer: per worker, the rule context, the reply writer and the
// connections' rule state; per message, the frontend then backend http-request rules (with
// the legacy redirect rules), the backend then frontend http-response rules, the
// http-after-response rules, and the replies the proxy makes itself. Only configurations
// that use rules create any of this (`CompiledRules.isActive`).

import CUring
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A worker's rule machinery.
final class WorkerRules {
    let context: RuleContext
    let writer = ReplyWriter()
    private var slots: [SlotRuleState?]
    let variableCount: Int
    /// The empty stream state a condition at accept sees (ExpectProxyDecision.swift).
    lazy var acceptSlot = SlotRuleState(variables: variableCount)
    /// A server's PROXY header addresses after set-src/set-dst (StreamAddresses.swift).
    let proxyHeaderAddresses = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: 2)
    deinit { proxyHeaderAddresses.deallocate() }

    init(_ compiled: CompiledRules, worker: Int, slotCount: Int) {
        context = compiled.makeContext(worker: worker)
        slots = Array(repeating: nil, count: slotCount)
        variableCount = compiled.tables.variables.count
    }

    /// The rule state of a connection slot, made on first use and reused afterwards.
    @inline(__always) func slot(_ i: Int) -> SlotRuleState {
        if let s = slots[i] { return s }
        let s = SlotRuleState(variables: variableCount)
        slots[i] = s
        return s
    }
    @inline(__always) func existingSlot(_ i: Int) -> SlotRuleState? { slots[i] }
}

/// What a rule stage did with the message.
enum RuleStageResult { case proceed, answered }

extension StreamHandler {
    /// Sets the context up for a new request and runs the frontend's rules.
    func frontendRequestRules(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ wr: WorkerRules,
                              _ slotIndex: Int, _ slot: inout StreamSlot, _ fe: FrontendPlan, _ head: RequestHead) -> RuleStageResult {
        let ctx = wr.context
        let compiled = rules!
        ctx.beginRequest(head, client: slot.client)
        ctx.request.limitRewrites(headHTX: head.htxBytes, bufferedBody: head.bodyBytesHeld(received: Int(call.pointee.len)), head.limits)
        let state = wr.slot(slotIndex)
        // Trackers of an exchange whose end was not reported are let go first.
        if state.trackers.any { releaseStickTrackers(state, now: w.nowMs, end: StickStreamEnd()) }
        state.beginTransaction(newConnection: call.pointee.request_index == 0, refs: compiled.tables.variables,
                               layout: compiled.captures[fe.proxy], frontend: fe.proxy)
        state.requestID = compiled.requestCounter.add(1, ordering: .relaxed).oldValue
        ctx.slot = state
        ctx.frontend = Int(slot.frontend)
        ctx.listener = Int(call.pointee.listener)
        ctx.requestIndex = Int(call.pointee.request_index)
        ctx.requestLine = w.lines.line(slot: slotIndex, length: slot.requestLineLength)
        ctx.nowMs = w.nowMs
        loadStreamAddresses(call, ctx, compiled)
        if compiled.usesRequestBody, Int(call.pointee.head_len) <= Int(call.pointee.len) {
            // what of the body is in the buffer (all of it when the proxy waited for it)
            let at = Int(call.pointee.head_len)
            ctx.body.raw = UnsafeRawBufferPointer(start: call.pointee.buf + at, count: Int(call.pointee.len) - at)
            ctx.body.chunked = head.framing == .chunked
            if case .contentLength(let n) = head.framing { ctx.body.declaredLength = n }
            ctx.body.available = true
        }
        ctx.uniqueID = UnsafeRawBufferPointer(start: nil, count: 0)
        ctx.content.pp = call.pointee.pp_in
        // `capture request header`: the last value of each, from the request as received.
        for c in compiled.headerCaptures[fe.proxy] {
            var last: UnsafeRawBufferPointer? = nil
            c.name.withUnsafeBytes { n in
                var i = 0
                while let h = ctx.request.find(n, from: i) { last = ctx.request.value(h); i = h + 1 }
            }
            if let last { state.requestCaptures[c.slot].set(last) }
        }
        if let cookie = compiled.configuration.proxies[fe.proxy].rules.captures.cookie {
            captureCookie(ctx, state, cookie.name, cookie.length, response: false)
        }
        if let tp = compiled.tcp[fe.proxy], tcpRulesBeforeHTTP(tp, call, w, wr, slotIndex, &slot) == .answered { return .answered }
        guard let p = compiled.proxies[fe.proxy] else { return .proceed }
        return requestRules(p, call, w, wr, slotIndex, &slot, fe, head, backend: nil)
    }

    /// The backend's request rules, once it is chosen (not for a listen section's own rules).
    func backendRequestRules(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ wr: WorkerRules,
                             _ slotIndex: Int, _ slot: inout StreamSlot, _ fe: FrontendPlan, _ be: BackendPlanInfo,
                             _ head: RequestHead) -> RuleStageResult {
        wr.context.backend = Int(slot.backend)
        if be.proxy != fe.proxy, let tp = rules!.tcp[be.proxy], tcpRulesBeforeHTTP(tp, call, w, wr, slotIndex, &slot, frontend: false) == .answered { return .answered }
        guard be.proxy != fe.proxy, let p = rules!.proxies[be.proxy] else { return .proceed }
        return requestRules(p, call, w, wr, slotIndex, &slot, fe, head, backend: p)
    }

    private func requestRules(_ p: ProxyRuleProgram, _ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext,
                              _ wr: WorkerRules, _ slotIndex: Int, _ slot: inout StreamSlot, _ fe: FrontendPlan,
                              _ head: RequestHead, backend: ProxyRuleProgram?) -> RuleStageResult {
        let ctx = wr.context
        var outcome = ctx.run(p.httpRequest, of: p)
        if case .next = outcome, !p.redirects.isEmpty {
            for r in p.redirects {
                if let c = r.condition, !ctx.evaluate(c, p.acls) { continue }
                if case .redirect(let rp) = r.action { outcome = .reply(.redirect(rp)); break }
            }
        }
        switch outcome {
        case .next, .stop:
            if p.headerNamePolicy != .preserve, !ctx.request.restrictHeaderNames(p.headerNamePolicy) {
                let fp = rules!.proxies[fe.proxy]
                localReply(.deny(p.headerNameDeny), requestSide: true, call, w, wr, slotIndex, &slot, fe, head, fe: fp, be: backend)
                return .answered
            }
            return .proceed
        case .service:
            answerPrometheus(call, w, slotIndex, &slot, fe, head)
            return .answered
        case .reject:
            // As HAProxy's http-request reject: no response, the connection closed, the request
            // counted as denied and logged with PR.
            let state = wr.slot(slotIndex)
            state.termination = (UInt8(ascii: "P"), UInt8(ascii: "R"))
            w.counters.add(fe.counterRow, .dreq)
            let lrow = listenerRow(Int(call.pointee.listener))
            if lrow >= 0 { w.counters.add(lrow, .dreq) }
            slot.closeAfter = true
            w.slots[slotIndex] = slot
            call.pointee.verdict = Int32(RP_DROP.rawValue)
            return .answered
        case .reply(let kind):
            let fp = rules!.proxies[fe.proxy]
            localReply(kind, requestSide: true, call, w, wr, slotIndex, &slot, fe, head, fe: fp, be: backend)
            return .answered
        }
    }

    /// Sends a reply the proxy makes instead of forwarding the request.
    func localReply(_ kind: LocalReplyKind, requestSide: Bool, _ call: UnsafeMutablePointer<rp_head_call>,
                    _ w: WorkerContext, _ wr: WorkerRules, _ slotIndex: Int, _ slot: inout StreamSlot,
                    _ fe: FrontendPlan, _ head: RequestHead, fe fp: ProxyRuleProgram?, be bp: ProxyRuleProgram?) {
        let ctx = wr.context
        let pendingBody = head.framing != .none
        // The reply's formats read the request; the after-response rules read the reply.
        var prepared = ctx.prepare(kind, requestSide: requestSide, fe: fp, be: bp, requestHasPendingBody: pendingBody)
        ctx.phase = .response
        ctx.responseLoaded = true
        ctx.status = prepared.status
        afterResponseRules(wr, fe: fp, be: bp)
        let state = wr.slot(slotIndex)
        state.termination = prepared.term
        state.localStatus = ctx.response.status
        state.localReply = true
        let clientClose = !ConnectionPolicy.clientKeepsAlive(head, mode: fe.clientMode)
        if prepared.sendNothing {
            prepared.close = true
            slot.closeAfter = true
            w.slots[slotIndex] = slot
            respondBytes(call, UnsafeRawBufferPointer(start: nil, count: 0), status: prepared.status, close: true)
            return
        }
        let (bytes, close) = wr.writer.write(ctx.response, body: prepared.body, requestMinor: head.versionMinor,
                                              clientWantsClose: clientClose || prepared.close || (pendingBody && prepared.isError),
                                              httpClose: fp?.httpClose ?? false)
        slot.closeAfter = close
        w.slots[slotIndex] = slot
        respondBytes(call, bytes, status: ctx.response.status, close: close)
        if prepared.isError {
            w.counters.add(fe.counterRow, .dreq)
            let lrow = listenerRow(Int(call.pointee.listener))
            if lrow >= 0 { w.counters.add(lrow, .dreq) }
        }
    }

    /// http-after-response rules: the backend's then the frontend's (once for a listen).
    func afterResponseRules(_ wr: WorkerRules, fe: ProxyRuleProgram?, be: ProxyRuleProgram?) {
        let ctx = wr.context
        if let be, !be.afterResponse.isEmpty {
            if case .reply = ctx.run(be.afterResponse, of: be) {}
        }
        if let fe, fe !== be, !fe.afterResponse.isEmpty {
            if case .reply = ctx.run(fe.afterResponse, of: fe) {}
        }
    }

    /// Response side: captures, http-response rules (backend then frontend), then
    /// http-after-response rules; the view's edits are recorded in `rw`. `.answered` when a
    /// rule replaced the response (deny, return, redirect): the call is already filled.
    func responseRules(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ wr: WorkerRules,
                       _ slotIndex: Int, _ head: ResponseHead, _ rw: HeadRewrite) -> RuleStageResult {
        let ctx = wr.context
        let compiled = rules!
        let slot = w.slots[slotIndex]
        guard let (fp, bp) = loadResponseContext(call, w, wr, slotIndex, head) else { return .proceed }
        let fe = frontends[Int(slot.frontend)]
        let bi = Int(slot.backend)
        if let st = ctx.slot {
            for c in compiled.responseHeaderCaptures[fe.proxy] {
                var last: UnsafeRawBufferPointer? = nil
                c.name.withUnsafeBytes { n in
                    var i = 0
                    while let h = ctx.response.find(n, from: i) { last = ctx.response.value(h); i = h + 1 }
                }
                if let last { st.responseCaptures[c.slot].set(last) }
            }
            if let cookie = compiled.configuration.proxies[fe.proxy].rules.captures.cookie {
                captureCookie(ctx, st, cookie.name, cookie.length, response: true)
            }
        }
        if bi >= 0, let tp = compiled.tcp[backends[bi].proxy], !tp.response.isEmpty,
           tcpResponseRules(tp, call, w, wr, slotIndex, backend: bi) == .answered { return .answered }
        var outcome: RuleOutcome = .next
        if let bp, !bp.httpResponse.isEmpty { outcome = ctx.run(bp.httpResponse, of: bp) }
        if case .reply = outcome {} else if let fp, fp !== bp, !fp.httpResponse.isEmpty {
            outcome = ctx.run(fp.httpResponse, of: fp)
        }
        if case .reply(let kind) = outcome {
            // The server's response is dropped; the reply replaces it.
            var s = w.slots[slotIndex]
            replaceResponse(kind, call, w, wr, slotIndex, &s, fe, fp: fp, bp: bp)
            return .answered
        }
        afterResponseRules(wr, fe: fp, be: bp)
        if ctx.response.overflowed || !ctx.response.emitEdits(response: head, into: rw) {
            var s = w.slots[slotIndex]
            replaceResponse(.internalError, call, w, wr, slotIndex, &s, fe, fp: fp, bp: bp)
            return .answered
        }
        return .proceed
    }

    /// Loads the rule context with a response head (and, when a wait-for-body rule may apply
    /// to it, what of its body is in the buffer); the frontend's and the backend's rule
    /// programs, or nil when the exchange has no frontend.
    func loadResponseContext(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ wr: WorkerRules,
                             _ slotIndex: Int, _ head: ResponseHead) -> (ProxyRuleProgram?, ProxyRuleProgram?)? {
        let ctx = wr.context
        let compiled = rules!
        let slot = w.slots[slotIndex]
        let fi = Int(slot.frontend)
        guard fi >= 0 else { return nil }
        let fe = frontends[fi]
        let bi = Int(slot.backend)
        let bp = bi >= 0 ? compiled.proxies[backends[bi].proxy] : nil
        let fp = compiled.proxies[fe.proxy]
        ctx.arena.reset()
        ctx.formatArena.reset()
        ctx.response.load(response: head)
        ctx.response.limitRewrites(headHTX: head.htxBytes, bufferedBody: head.bodyBytesHeld(received: Int(call.pointee.len)), head.limits)
        ctx.responseLoaded = true
        ctx.requestLoaded = false
        ctx.phase = .response
        ctx.frontend = fi
        ctx.listener = Int(call.pointee.listener)
        ctx.backend = bi
        ctx.server = Int(call.pointee.server)
        ctx.slot = wr.existingSlot(slotIndex)
        restoreStreamAddresses(call, ctx, client: slot.client)
        ctx.content.pp = call.pointee.pp_in
        ctx.requestLine = w.lines.line(slot: slotIndex, length: slot.requestLineLength)
        ctx.responseBody = RequestBodyBytes()
        if fe.responseBodyWait || (bi >= 0 && backends[bi].responseBodyWait), head.headLength <= Int(call.pointee.len) {
            let at = head.headLength
            ctx.responseBody.raw = UnsafeRawBufferPointer(start: call.pointee.buf + at, count: Int(call.pointee.len) - at)
            ctx.responseBody.chunked = head.framing == .chunked
            if case .contentLength(let n) = head.framing { ctx.responseBody.declaredLength = n }
            ctx.responseBody.available = true
        }
        return (fp, bp)
    }

    /// A response rule answered instead of the server (http-response deny, return, redirect).
    func replaceResponse(_ kind: LocalReplyKind, _ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext,
                                 _ wr: WorkerRules, _ slotIndex: Int, _ slot: inout StreamSlot, _ fe: FrontendPlan,
                                 fp: ProxyRuleProgram?, bp: ProxyRuleProgram?) {
        let ctx = wr.context
        // The server's response is gone when the reply is built (its fetches find nothing).
        ctx.responseLoaded = false
        ctx.status = -1
        let prepared = ctx.prepare(kind, requestSide: false, fe: fp, be: bp, requestHasPendingBody: false)
        ctx.responseLoaded = true
        ctx.status = prepared.status
        afterResponseRules(wr, fe: fp, be: bp)
        if let st = wr.existingSlot(slotIndex) {
            st.termination = prepared.term
            st.localStatus = ctx.response.status
        }
        let (bytes, close) = wr.writer.write(ctx.response, body: prepared.body, requestMinor: Int(slot.requestMinor),
                                              clientWantsClose: slot.closeAfter || prepared.sendNothing,
                                              httpClose: fp?.httpClose ?? false)
        slot.closeAfter = close
        w.slots[slotIndex] = slot
        if slot.backend >= 0 && prepared.isError { w.counters.add(backends[Int(slot.backend)].counterRow, .dresp) }
        call.pointee.verdict = Int32(RP_RESPOND.rawValue)
        call.pointee.resp = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        call.pointee.resp_len = UInt32(prepared.sendNothing ? 0 : bytes.count)
        call.pointee.status_hint = Int32(ctx.response.status)
        call.pointee.close_after = close ? 1 : 0
    }

    /// `capture cookie NAME len N`: the first cookie NAME of the request (or the response's
    /// Set-Cookie NAME), as `NAME=value`, truncated.
    private func captureCookie(_ ctx: RuleContext, _ st: SlotRuleState, _ name: String, _ len: Int, response: Bool) {
        let v = response ? ctx.response : ctx.request
        let header = response ? HeaderNames.setCookieName : HeaderNames.cookie
        var i = 0
        while let h = v.find(header, from: i) {
            i = h + 1
            let value = v.value(h)
            var start = 0
            while start < value.count {
                var e = start
                while e < value.count && value[e] != UInt8(ascii: ";") { e += 1 }
                let (a, b) = Bytes.trim(value, start, e)
                let pair = UnsafeRawBufferPointer(rebasing: value[a..<b])
                if pair.count > name.utf8.count, pair[name.utf8.count] == UInt8(ascii: "="),
                   name.utf8.elementsEqual(pair.prefix(name.utf8.count)) {
                    var slot = CaptureSlot(capacity: len)
                    slot.set(pair)
                    if response { st.responseCookie = slot } else { st.requestCookie = slot }
                    return
                }
                if response { break }
                start = e + 1
            }
        }
    }

    /// The statistics page of a proxy (`stats uri`), with its `stats http-request` rules and
    /// the http-after-response rules applied; false when the request is not for it. Without
    /// such rules the page is answered as the stats applet does (answerStats: admin form,
    /// keep-alive).
    func serveStats(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int,
                    _ slot: inout StreamSlot, _ fe: FrontendPlan, _ head: RequestHead, uri: [UInt8],
                    config: ProxyConfig, proxy: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let target = head.slice(head.target)
        guard let req = uri.withUnsafeBytes({ StatsRequest.match(method: head.slice(head.method), target: target, uri: $0) }) else { return false }
        let sp = rules?.proxies[proxy]
        let fp = rules?.proxies[fe.proxy]
        let bp = proxy != fe.proxy ? rules?.proxies[proxy] : nil
        var statsConfig = config.stats
        if let wr = w.rules, let sp, !sp.statsRules.isEmpty {
            switch wr.context.run(sp.statsRules, of: sp) {
            case .stop: statsConfig.auths = []      // `stats http-request allow`: no credentials asked
            case .reply(let kind):
                slot.closeAfter = true
                w.slots[slotIndex] = slot
                localReply(kind, requestSide: true, call, w, wr, slotIndex, &slot, fe, head, fe: fp, be: bp)
                return true
            default: break
            }
        }
        guard let wr = w.rules, !(fp?.afterResponse.isEmpty ?? true) || !(bp?.afterResponse.isEmpty ?? true) else {
            answerStats(call, w, slotIndex, &slot, fe, head, req, bytes, statsConfig: statsConfig)
            return true
        }
        // Through the http-after-response rules (the page, then close): parse the page's head
        // into the response view.
        slot.closeAfter = true
        w.slots[slotIndex] = slot
        let auth = head.findHeader("authorization").map { head.string(head.fields[$0].value) }
        let answer = StatsResponse.answer(req, authorization: auth, config: statsConfig, model: self.statsModel(),
                                          connection: StatsResponse.Connection(http11: head.versionMinor == 1))
        let status = StatsAuth.isAuthorized(auth, config: statsConfig) ? 200 : 401
        let ctx = wr.context
        let rh = w.response
        rh.reset()
        let ok: Bool = answer.withUnsafeBytes { b in
            guard case .complete = ResponseParser.parse(b, into: rh, requestWasHead: head.isHead) else { return false }
            ctx.response.load(response: rh)
            ctx.responseLoaded = true
            ctx.phase = .response
            ctx.status = status
            afterResponseRules(wr, fe: fp, be: bp)
            let body = UnsafeRawBufferPointer(rebasing: b[rh.headLength...])
            let (bytes, close) = wr.writer.write(ctx.response, body: body, requestMinor: head.versionMinor,
                                                  clientWantsClose: true, httpClose: false)
            wr.slot(slotIndex).localStatus = ctx.response.status
            respondBytes(call, bytes, status: ctx.response.status, close: close)
            return true
        }
        if !ok { respond(call, answer, w, status: status, close: true) }
        return true
    }

    /// A page the proxy sends for its own errors (503 when no server can take the request,
    /// 400, 502), through the proxies' errorfiles and http-after-response rules. False when
    /// neither applies: the caller sends its static page.
    func ruledErrorPage(_ status: Int, _ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int,
                        _ fe: FrontendPlan, backend bi: Int, requestMinor: Int, clientClose: Bool,
                        afterResponse: Bool = true) -> (close: Bool, done: Bool) {
        guard let wr = w.rules, let compiled = rules else { return (false, false) }
        let fp = compiled.proxies[fe.proxy]
        let bp = bi >= 0 && backends[bi].proxy != fe.proxy ? compiled.proxies[backends[bi].proxy] : nil
        let usesPages = (fp?.errorPages[status] != nil) || (bp?.errorPages[status] != nil)
        let usesRules = afterResponse && (!(fp?.afterResponse.isEmpty ?? true) || !(bp?.afterResponse.isEmpty ?? true))
        guard usesPages || usesRules else { return (false, false) }
        let ctx = wr.context
        ctx.frontend = Int(call.pointee.frontend)
        ctx.listener = Int(call.pointee.listener)
        ctx.backend = bi
        let prepared = ctx.errorPage(status, fe: fp, be: bp)
        ctx.phase = .response
        ctx.responseLoaded = true
        ctx.requestLoaded = false
        ctx.status = status
        if usesRules { afterResponseRules(wr, fe: fp, be: bp) }
        if prepared.sendNothing {
            respondBytes(call, UnsafeRawBufferPointer(start: nil, count: 0), status: status, close: true)
            return (true, true)
        }
        let (bytes, close) = wr.writer.write(ctx.response, body: prepared.body, requestMinor: requestMinor,
                                              clientWantsClose: clientClose, httpClose: fp?.httpClose ?? false)
        respondBytes(call, bytes, status: status, close: close)
        return (close, true)
    }

    /// Answers with bytes the engine copies now (a reply writer's buffer).
    func respondBytes(_ call: UnsafeMutablePointer<rp_head_call>, _ bytes: UnsafeRawBufferPointer, status: Int, close: Bool) {
        call.pointee.verdict = Int32(RP_RESPOND.rawValue)
        call.pointee.resp = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        call.pointee.resp_len = UInt32(bytes.count)
        call.pointee.status_hint = Int32(status)
        call.pointee.close_after = close ? 1 : 0
    }

    /// The port of a socket address.
    static func socketAddress(_ ss: UnsafePointer<sockaddr_storage>?) -> Int? {
        guard let ss else { return nil }
        switch Int32(ss.pointee.ss_family) {
        case AF_INET: return ss.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        case AF_INET6: return ss.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
        default: return nil
        }
    }
}
