// `http-request|http-response wait-for-body time T [at-least N] [if|unless COND]`: whether a
// message's body is awaited before its rules run. HAProxy waits at the rule, in order; ringproxy
// decides before the rule set runs (the engine then keeps reading and calls again), so that no
// earlier rule runs twice: each wait-for-body rule's condition is evaluated on the message as
// received, and the message waits while one whose condition holds is not satisfied (its body
// whole, N bytes of it in, the buffer full, or the peer gone). The first such rule's T bounds
// the wait: then a request gets a 408 (cR), a response is replaced by a 504 (logged sR, as HAProxy).
// Only configurations with such a rule pay for any of this (FrontendPlan.bodyWaitProxies,
// responseBodyWait flags).

import CUring

enum BodyWaitRules {
    /// The bytes of the body's data in `raw` (the bytes after the head), as HAProxy counts
    /// them for `at-least` (a chunked body's data without its framing).
    static func dataBytes(_ raw: UnsafeRawBufferPointer, _ framing: BodyFraming) -> Int {
        switch framing {
        case .contentLength(let n): return min(raw.count, Int(clamping: n))
        case .chunked:
            var n = 0
            ChunkedBody.forEachData(raw) { n += $0.count }
            return n
        case .untilClose: return raw.count
        case .none: return 0
        }
    }

    /// Whether the body is all in `raw`.
    static func isWhole(_ raw: UnsafeRawBufferPointer, _ framing: BodyFraming) -> Bool {
        switch framing {
        case .contentLength(let n): return Int64(raw.count) >= n
        case .chunked: return ChunkedBody.isComplete(raw)
        case .untilClose: return false
        case .none: return true
        }
    }

    /// The time of the first of `rules`' wait-for-body rules whose condition holds and whose
    /// `at-least` is not reached (`have` data bytes), or nil. The body is known not whole.
    static func pending(_ ctx: RuleContext, _ p: ProxyRuleProgram, _ rules: [CompiledRule], have: Int) -> Int? {
        for r in rules {
            guard case .waitForBody(let ms, let atLeast) = r.action else { continue }
            if let c = r.condition, !ctx.evaluate(c, p.acls) { continue }
            if atLeast > 0 && have >= atLeast { continue }
            return ms
        }
        return nil
    }

    /// Whether any of `rules` is a wait-for-body rule.
    static func any(_ rules: [HTTPRuleDef]) -> Bool {
        rules.contains { if case .waitForBody = $0.action { return true } else { return false } }
    }
}

extension StreamHandler {
    /// http-request wait-for-body: the time to wait for the request's body (the first rule of
    /// the frontend, then of the backends it can reach, that applies), or nil. The context is
    /// loaded for the conditions as the frontend's rules will see it (the variables as the
    /// connection's previous request left them).
    func requestBodyWait(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int,
                         _ fe: FrontendPlan, _ head: RequestHead, body: UnsafeRawBufferPointer) -> Int? {
        guard let wr = w.rules, let compiled = rules else { return nil }
        let ctx = wr.context
        ctx.beginRequest(head, client: Self.clientAddress(call.pointee.client))
        ctx.slot = wr.slot(slotIndex)
        ctx.frontend = Int(call.pointee.frontend)
        ctx.listener = Int(call.pointee.listener)
        ctx.requestIndex = Int(call.pointee.request_index)
        ctx.requestLine = UnsafeRawBufferPointer(start: nil, count: 0)
        ctx.nowMs = w.nowMs
        loadStreamAddresses(call, ctx, compiled)
        ctx.body.raw = body
        ctx.body.chunked = head.framing == .chunked
        if case .contentLength(let n) = head.framing { ctx.body.declaredLength = n }
        ctx.body.available = true
        let have = BodyWaitRules.dataBytes(body, head.framing)
        for pi in fe.bodyWaitProxies {
            guard let p = compiled.proxies[pi] else { continue }
            if let ms = BodyWaitRules.pending(ctx, p, p.httpRequest, have: have) { return ms }
        }
        return nil
    }

    /// http-response wait-for-body: whether the response waits for its body. Then the call is
    /// answered (RP_NEED_MORE, body_wait, the first applying rule's time) and true returned.
    /// Rules of the backend, then of the frontend, as they run.
    func awaitResponseBody(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ wr: WorkerRules,
                           _ slotIndex: Int, _ head: ResponseHead) -> Bool {
        guard call.pointee.server_closed == 0, call.pointee.head_too_big == 0 else { return false }
        let at = head.headLength, len = Int(call.pointee.len)
        guard at <= len else { return false }
        let raw = UnsafeRawBufferPointer(start: call.pointee.buf + at, count: len - at)
        if BodyWaitRules.isWhole(raw, head.framing) { return false }
        guard let (fp, bp) = loadResponseContext(call, w, wr, slotIndex, head) else { return false }
        let have = BodyWaitRules.dataBytes(raw, head.framing)
        var ms: Int? = nil
        if let bp { ms = BodyWaitRules.pending(wr.context, bp, bp.httpResponse, have: have) }
        if ms == nil, let fp, fp !== bp { ms = BodyWaitRules.pending(wr.context, fp, fp.httpResponse, have: have) }
        guard let ms else { return false }
        call.pointee.verdict = Int32(RP_NEED_MORE.rawValue)
        call.pointee.body_wait = 1
        call.pointee.inspect_ms = UInt32(clamping: ms)
        return true
    }
}
