// mode tcp: a frontend's connection goes to its backend's server as soon as it is accepted,
// and the engine relays its bytes both ways without looking at them (rp_tunnel.c). Only the
// decisions are made here: which backend (default_backend, or the listen section itself),
// which server (the backend's balancer, by the client address: roundrobin, leastconn, source,
// first…), the timeouts, retries and redispatch. The log line and counters are onDone's.
import CUring
import Synchronization

extension StreamHandler {
    func forwardTCP(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int,
                    _ fi: Int, _ fe: FrontendPlan) {
        var slot = StreamSlot()
        slot.active = true
        slot.frontend = Int32(fi)
        slot.client = Self.clientAddress(call.pointee.client)
        call.pointee.tunnel = 1
        call.pointee.head_len = 0
        call.pointee.body = Int32(RP_BODY_CLOSE.rawValue)
        call.pointee.close_after = 1
        call.pointee.server_reuse = 0
        call.pointee.verdict = Int32(RP_FORWARD.rawValue)
        call.pointee.server_out = -1               // no server: the engine closes (SC, <NOSRV>)
        beginTCPRuleState(call, w, slotIndex, fi, fe, client: slot.client)
        guard let bi = w.routers[fi].defaultBackend ?? fe.ownBackend else {
            w.slots[slotIndex] = slot
            return
        }
        let be = backends[bi]
        slot.backend = Int32(bi)
        let head = w.request                       // empty: no HTTP here (cookies find nothing)
        head.reset()
        let rw = w.requestRewrite
        rw.reset()
        let d = w.deciders[bi].decideRequest(head: head, client: slot.client,
                                             states: BackendServerStates(table: states, base: be.servers.lowerBound),
                                             rewrite: rw, now: w.nowMs)
        slot.decision = d
        w.counters.sessionStarted(be.counterRow, nowSecond: w.nowSecond)
        let global: Int
        if let local = d.server {
            global = be.servers.lowerBound + local
            let serverRow = layout.serverRow(global)
            w.counters.sessionStarted(serverRow, nowSecond: w.nowSecond)
            if !d.direct { w.counters.add(serverRow, .lbtot); w.counters.add(be.counterRow, .lbtot) }
            slot.serverCounted = true
        } else if let dispatch = be.dispatch {
            global = dispatch
        } else {
            w.slots[slotIndex] = slot
            return
        }
        w.slots[slotIndex] = slot
        // `timeout tunnel`, when set, replaces both sides' inactivity timeouts (HAProxy: once
        // the connection is established)
        let tunnel = configuration.proxies[be.proxy].timeouts.tunnel
        call.pointee.server_out = Int32(global)
        call.pointee.connect_timeout_ms = UInt32(clamping: be.connectTimeout)
        call.pointee.server_timeout_ms = UInt32(clamping: tunnel ?? be.serverTimeout)
        call.pointee.client_timeout_ms = UInt32(clamping: tunnel ?? fe.config.timeouts.client ?? 0)
        call.pointee.queue_timeout_ms = UInt32(clamping: be.queueTimeout)
        call.pointee.retries = Int32(be.retries)
        call.pointee.redispatch = d.direct ? be.redispatchPersistent : be.redispatchLoadBalanced
        call.pointee.direct = d.direct ? 1 : 0
        call.pointee.lb_assigned = d.server != nil && !d.direct ? 1 : 0
    }

    /// When the configuration has rules (a `log-format` among them), the connection's rule
    /// state starts afresh as for a new connection, so that its log line reads this connection
    /// and not what the slot held before. No rule runs: HTTP rules are ignored in mode tcp.
    private func beginTCPRuleState(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int,
                                   _ fi: Int, _ fe: FrontendPlan, client: ClientAddress) {
        guard let wr = w.rules, let compiled = rules else { return }
        let ctx = wr.context
        let head = w.request
        head.reset()
        ctx.beginRequest(head, client: client)
        let state = wr.slot(slotIndex)
        state.beginTransaction(newConnection: true, refs: compiled.tables.variables,
                               layout: compiled.captures[fe.proxy], frontend: fe.proxy)
        state.requestID = compiled.requestCounter.add(1, ordering: .relaxed).oldValue
        ctx.slot = state
        ctx.frontend = fi
        ctx.requestIndex = 0
        ctx.requestLine = w.lines.line(slot: slotIndex, length: 0)
        ctx.nowMs = w.nowMs
        Self.socketAddress(call.pointee.client).map { ctx.clientPort = $0 }
        ctx.uniqueID = UnsafeRawBufferPointer(start: nil, count: 0)
    }
}
