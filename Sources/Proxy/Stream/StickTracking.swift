// The end of a tracked stream: its stick counters are let go (conn_cur down, bytes, client
// errors and server failures counted, idle expiry restarted), as HAProxy's
// stream_store_counters does when a stream ends. Streams that tracked nothing skip this
// with one flag test.

extension StreamHandler {
    func releaseStickTrackers(_ state: SlotRuleState, now: Int64, end: StickStreamEnd) {
        guard let set = rules?.tables.stick else { state.trackers = StickTrackers(); return }
        for n in 0..<3 {
            let ti = state.trackers.table(n)
            guard ti >= 0 else { continue }
            set.tables[ti].release(state.trackers.ref(n), now: now, layout: set.infos[ti].counters, end: end)
        }
        state.trackers = StickTrackers()
    }

    /// What an exchange that ended did, for its trackers.
    static func stickStreamEnd(status: Int, bytesIn: UInt64, bytesOut: UInt64, server: Int, denied: Bool) -> StickStreamEnd {
        var e = StickStreamEnd(bytesIn: bytesIn, bytesOut: bytesOut)
        e.clientError = denied || (400..<500).contains(status)
        e.serverFailure = server >= 0 && (500..<600).contains(status) && status != 501 && status != 505
        return e
    }
}
