// The Prometheus exporter's answer (`http-request use-service prometheus-exporter`): a
// keep-alive client stays connected, as with HAProxy's applet (scrapers and the reg-test send
// several requests on one connection). A request with a body, or a bad query (400), closes.
import CUring

extension StreamHandler {
    func answerPrometheus(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int,
                          _ slot: inout StreamSlot, _ fe: FrontendPlan, _ head: RequestHead) {
        let wantsKeep = ConnectionPolicy.clientKeepsAlive(head, mode: fe.clientMode) && head.framing == .none
        let reply = StatsResponse.prometheus(statsModel(), target: head.string(head.target),
                                             connection: StatsResponse.Connection(http11: head.versionMinor == 1, keepAlive: wantsKeep),
                                             head: head.isHead)
        let keep = wantsKeep && reply.status == 200
        slot.closeAfter = !keep
        w.slots[slotIndex] = slot
        respond(call, reply.bytes, w, status: reply.status, close: !keep)
    }
}
