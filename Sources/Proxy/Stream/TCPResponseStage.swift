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
