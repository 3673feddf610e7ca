// The end of a tracked stream: its stick counters are let go (conn_cur down, bytes, client
// errors and server failures counted, idle expiry restarted), as HAProxy's
// stream_store_counters does when a stream ends. Streams that tracked nothing skip this
// with one flag test.

import CUring

extension StreamHandler {
    func releaseStickTrackers(_ state: SlotRuleState, now: Int64, end: StickStreamEnd, touch ctx: RuleContext? = nil) {
        guard let set = rules?.tables.stick else { state.trackers = StickTrackers(); return }
        for n in 0..<3 {
            let ti = state.trackers.table(n)
            guard ti >= 0 else { continue }
            // conn_cur goes down: peers hear of it (the key is read while the reference holds
            // the entry; the peers thread reads the values later, when it sends)
            ctx?.stickCounterTouched(table: ti, ref: state.trackers.ref(n))
            set.tables[ti].release(state.trackers.ref(n), now: now, layout: set.infos[ti].counters, end: end)
        }
        state.trackers = StickTrackers()
    }

    /// A request the proxy answers itself ends its stream now: the trackers go before the
    /// reply is on the wire (a client that reads it and asks `show table` sees use=0, as
    /// with HAProxy), counting the request head and the reply's bytes.
    func releaseTrackersOfLocalReply(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int) {
        guard call.pointee.verdict == Int32(RP_RESPOND.rawValue), let st = w.rules?.existingSlot(slotIndex), st.trackers.any else { return }
        releaseStickTrackers(st, now: w.nowMs, end: Self.stickStreamEnd(
            status: Int(call.pointee.status_hint), bytesIn: UInt64(call.pointee.head_len), bytesOut: UInt64(call.pointee.resp_len),
            server: -1, denied: st.termination?.0 == UInt8(ascii: "P")), touch: w.rules?.context)
    }

    /// What an exchange that ended did, for its trackers.
    static func stickStreamEnd(status: Int, bytesIn: UInt64, bytesOut: UInt64, server: Int, denied: Bool) -> StickStreamEnd {
        var e = StickStreamEnd(bytesIn: bytesIn, bytesOut: bytesOut)
        e.clientError = denied || (400..<500).contains(status)
        e.serverFailure = server >= 0 && (500..<600).contains(status) && status != 501 && status != 505
        return e
    }
}
