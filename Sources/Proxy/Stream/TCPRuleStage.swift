// The tcp-request rules in the stream layer. mode tcp: connection and session rules when the
// connection is accepted, content rules on the client's first bytes; a content rule that reads
// the HTTP request (url, hdr(), …) waits for a complete head until `tcp-request inspect-delay`
// has passed or the client closed (HAProxy's smp_prefetch_htx on a raw buffer). mode http: the
// same rule sets run before the http-request rules, on the parsed head. Proxies without tcp
// rules have no program and skip all of this with one optional test.

import CUring

extension StreamHandler {
    /// mode tcp: the frontend's connection rules (first call only), then its content rules.
    /// Returns the verdict and whether it came from the content rules.
    func tcpRequestRules(_ tp: TCPRuleProgram, _ call: UnsafeMutablePointer<rp_head_call>, _ wr: WorkerRules,
                         _ w: WorkerContext, first: Bool, _ bytes: UnsafeRawBufferPointer,
                         client: ClientAddress) -> (TCPRuleVerdict, Bool) {
        let ctx = wr.context
        ctx.content.pp = call.pointee.pp_in
        if first && tp.hasAcceptRules {
            let v = runAcceptRules(tp, call, ctx)
            if v != .accept { return (v, false) }
        }
        // The buffer is the engine's: forwardTCP clears it when its call ends (use_backend
        // rules read it too: req.ssl_sni).
        ctx.content.request = bytes
        guard !tp.content.isEmpty else { return (.accept, true) }
        var headMissing = false
        if tp.contentReadsHTTP {
            // HTTP fetches on a TCP stream read the request as HAProxy's H1 parser would.
            let head = w.request
            head.reset()
            switch RequestParser.parse(bytes, into: head) {
            case .complete:
                ctx.request.load(request: head)
                ctx.originalMethod = head.slice(head.method)
                ctx.requestLoaded = true
            case .incomplete:                      // may still come: wait (within the delay)
                headMissing = true
                ctx.requestLoaded = false
            case .invalid:                         // not HTTP: the fetches find nothing, at once
                ctx.requestLoaded = false
            }
        }
        let waiting = call.pointee.inspect_final == 0 && tp.inspectDelayMs > 0
        return (ctx.runTCP(tp.content, acls: tp.acls, headMissing: headMissing, waiting: waiting), true)
    }

    /// mode http: the proxy's tcp-request rules before its http-request rules. Connection and
    /// session rules run on the connection's first request (ringproxy reads the head before
    /// any rule; a rejected connection is closed then). nil: go on.
    func tcpRulesBeforeHTTP(_ tp: TCPRuleProgram, _ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext,
                            _ wr: WorkerRules, _ slotIndex: Int, _ slot: inout StreamSlot, frontend: Bool = true) -> RuleStageResult {
        let ctx = wr.context
        var verdict = TCPRuleVerdict.accept
        var content = false
        // (a backend runs no connection or session rules, even ones its named defaults had)
        if frontend && call.pointee.request_index == 0 && tp.hasAcceptRules {
            verdict = runAcceptRules(tp, call, ctx)
        }
        if verdict == .accept && !tp.content.isEmpty {
            content = true
            ctx.content.request = UnsafeRawBufferPointer(start: call.pointee.buf, count: Int(call.pointee.len))
            verdict = ctx.runTCP(tp.content, acls: tp.acls, headMissing: false, waiting: false)
            ctx.content.clearBuffers()
        }
        switch verdict {
        case .accept, .needMore: return .proceed
        case .reject, .close, .silentDrop:
            let quiet = verdict == .silentDrop || !content
            let state = wr.slot(slotIndex)
            if quiet {
                if state.trackers.any { releaseStickTrackers(state, now: w.nowMs, end: StickStreamEnd()) }
                slot.active = false                // no log line, no end report
            } else {
                state.termination = (UInt8(ascii: "P"), UInt8(ascii: "R"))
            }
            slot.closeAfter = true
            w.slots[slotIndex] = slot
            call.pointee.verdict = Int32(quiet ? RP_DROP_QUIET.rawValue : RP_DROP.rawValue)
            return .answered
        }
    }
}
