// tcp-response content rules in mode http: the backend's rules run on the server's response
// once its head is parsed, before the http-response rules (HAProxy's AN_RES_INSPECT comes
// before AN_RES_HTTP_PROCESS_BE). ringproxy does not wait for response bytes here: the rules
// see the head (and whatever body came with it) once, as final (WAIT_END is true). Backends
// without such rules have no program and skip this with one optional test.

import CUring

extension StreamHandler {
    /// Runs the backend's tcp-response rules. `.answered` when a reject dropped the response
    /// (the engine closes both connections; logged with PD); a `close` makes the server
    /// connection close after this response.
    func tcpResponseRules(_ tp: TCPRuleProgram, _ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext,
                          _ wr: WorkerRules, _ slotIndex: Int, backend bi: Int) -> RuleStageResult {
        let ctx = wr.context
        ctx.content.response = UnsafeRawBufferPointer(start: call.pointee.buf, count: Int(call.pointee.len))
        let verdict = ctx.runTCP(tp.response, acls: tp.acls, headMissing: false, waiting: false)
        ctx.content.clearBuffers()
        switch verdict {
        case .accept, .needMore:
            return .proceed
        case .close:
            call.pointee.server_reuse = 0
            return .proceed
        case .reject, .silentDrop:
            let slot = w.slots[slotIndex]
            w.counters.add(backends[bi].counterRow, .dresp)
            if slot.frontend >= 0 { w.counters.add(frontends[Int(slot.frontend)].counterRow, .dresp) }
            if let st = wr.existingSlot(slotIndex) { st.termination = (UInt8(ascii: "P"), UInt8(ascii: "D")) }
            w.slots[slotIndex].closeAfter = true
            call.pointee.verdict = Int32(verdict == .silentDrop ? RP_DROP_QUIET.rawValue : RP_DROP.rawValue)
            return .answered
        }
    }
}

// mode tcp: the engine holds the server's first bytes (rp_tunnel.c) and shows them here once
// connected, as more come, at the server's end of stream and when `tcp-response
// inspect-delay` has passed, until the rules decide (HAProxy's tcp_inspect_response on a raw
// stream). A rule whose value more bytes could change (res.len, res.payload(0,0)) waits while
// the delay runs; without a delay the rules run once, at connect.
extension StreamHandler {
    func tcpResponseInspection(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int) {
        call.pointee.verdict = Int32(RP_FORWARD.rawValue)
        let slot = w.slots[slotIndex]
        let bi = Int(slot.backend)
        guard bi >= 0, slot.frontend >= 0, let wr = w.rules, let tp = rules?.tcp[backends[bi].proxy], !tp.response.isEmpty else { return }
        // the worker's context served other connections meanwhile: point it at this one
        let ctx = wr.context
        let head = w.request                       // empty: no HTTP here
        head.reset()
        ctx.beginRequest(head, client: slot.client)
        ctx.requestLoaded = false
        ctx.phase = .response
        ctx.slot = wr.existingSlot(slotIndex)
        ctx.frontend = Int(slot.frontend)
        ctx.listener = Int(call.pointee.listener)
        ctx.backend = bi
        ctx.server = Int(call.pointee.server)
        ctx.requestIndex = 0
        ctx.requestLine = w.lines.line(slot: slotIndex, length: 0)
        ctx.nowMs = w.nowMs
        restoreStreamAddresses(call, ctx, client: slot.client)
        ctx.content.pp = call.pointee.pp_in
        ctx.content.response = UnsafeRawBufferPointer(start: call.pointee.buf, count: Int(call.pointee.len))
        let waiting = call.pointee.inspect_final == 0 && tp.responseInspectDelayMs > 0
        let verdict = ctx.runTCP(tp.response, acls: tp.acls, headMissing: false, waiting: waiting)
        ctx.content.clearBuffers()
        switch verdict {
        case .needMore:
            call.pointee.verdict = Int32(RP_NEED_MORE.rawValue)
            call.pointee.inspect_ms = UInt32(clamping: tp.responseInspectDelayMs)
        case .accept:
            break
        case .close:
            call.pointee.close_after = 1
        case .reject, .silentDrop:
            w.counters.add(backends[bi].counterRow, .dresp)
            w.counters.add(frontends[Int(slot.frontend)].counterRow, .dresp)
            if let st = wr.existingSlot(slotIndex) { st.termination = (UInt8(ascii: "P"), UInt8(ascii: "D")) }
            call.pointee.verdict = Int32(verdict == .silentDrop ? RP_DROP_QUIET.rawValue : RP_DROP.rawValue)
        }
    }
}
