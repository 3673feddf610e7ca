// mode tcp: a frontend's connection goes to its backend's server as soon as it is accepted,
// and the engine relays its bytes both ways without looking at them (rp_tunnel.c). Only the
// decisions are made here: the tcp-request rules (TCPRuleStage.swift), which backend
// (use_backend rules on layer-4 fetches, default_backend, or the listen section itself),
// which server (the backend's balancer, by the client address: roundrobin, leastconn,
// source, first…), the timeouts, retries and redispatch. The log line and counters are onDone's.
import CUring
import Synchronization

extension StreamHandler {
    func forwardTCP(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int,
                    _ fi: Int, _ fe: FrontendPlan) {
        var slot = StreamSlot()
        slot.active = true
        slot.frontend = Int32(fi)
        slot.client = Self.clientAddress(call.pointee.client)
        let first = call.pointee.inspect_again == 0
        // The content fetches read the engine's buffer only during this call.
        defer { w.rules?.context.content.clearBuffers() }
        if first { beginTCPRuleState(call, w, slotIndex, fi, fe, client: slot.client) }
        else { resumeTCPRuleState(call, w, slotIndex, fi, client: slot.client) }
        // tcp-request connection / session / content rules of the frontend.
        if let tp = rules?.tcp[fe.proxy], let wr = w.rules {
            let bytes = UnsafeRawBufferPointer(start: call.pointee.buf, count: Int(call.pointee.len))
            let (verdict, content) = tcpRequestRules(tp, call, wr, w, first: first, bytes, client: slot.client)
            switch verdict {
            case .accept: break
            case .needMore:
                call.pointee.verdict = Int32(RP_NEED_MORE.rawValue)
                call.pointee.inspect_ms = UInt32(clamping: tp.inspectDelayMs)
                return
            case .reject, .close:
                dropTCP(call, w, wr, slotIndex, &slot, quiet: !content, fe)
                return
            case .silentDrop:
                dropTCP(call, w, wr, slotIndex, &slot, quiet: true, fe)
                return
            }
        }
        call.pointee.tunnel = 1
        call.pointee.head_len = 0
        call.pointee.body = Int32(RP_BODY_CLOSE.rawValue)
        call.pointee.close_after = 1
        call.pointee.server_reuse = 0
        call.pointee.verdict = Int32(RP_FORWARD.rawValue)
        call.pointee.server_out = -1               // no server: the engine closes (SC, <NOSRV>)
        let router = w.routers[fi]
        let routed: Int?
        if router.rules.isEmpty { routed = router.defaultBackend }
        else if let wr = w.rules { routed = router.select(wr.context) }
        else {
            let head = w.request                   // empty: layer-4 fetches only
            head.reset()
            routed = router.select(request: head, clientAddress: slot.client)
        }
        guard let bi = routed ?? fe.ownBackend else {
            w.slots[slotIndex] = slot
            return
        }
        let be = backends[bi]
        slot.backend = Int32(bi)
        // The backend's tcp-request content rules (on what the frontend's waited for).
        if be.proxy != fe.proxy, let tp = rules?.tcp[be.proxy], !tp.content.isEmpty, let wr = w.rules {
            wr.context.backend = bi
            wr.context.content.request = UnsafeRawBufferPointer(start: call.pointee.buf, count: Int(call.pointee.len))
            defer { wr.context.content.clearBuffers() }
            switch wr.context.runTCP(tp.content, acls: tp.acls, headMissing: false, waiting: false) {
            case .accept, .needMore: break
            case .reject, .close:
                dropTCP(call, w, wr, slotIndex, &slot, quiet: false, fe)
                return
            case .silentDrop:
                dropTCP(call, w, wr, slotIndex, &slot, quiet: true, fe)
                return
            }
        }
        let head = w.request                       // empty: no HTTP here (cookies find nothing)
        head.reset()
        // what the client has sent so far, for `balance rdp-cookie` (valid during this call)
        let firstBytes = UnsafeRawBufferPointer(start: call.pointee.buf, count: Int(call.pointee.len))
        head.bufferedBody = firstBytes
        defer { head.bufferedBody = UnsafeRawBufferPointer(start: nil, count: 0) }
        let rw = w.requestRewrite
        rw.reset()
        let bstates = BackendServerStates(table: states, base: be.servers.lowerBound)
        var useServer = w.serverSwitches[bi]?.select(w.rules?.context, request: head, client: slot.client, states: bstates)
        // `persist rdp-cookie`: after use-server, before stick rules and the balancer (HAProxy's order)
        if useServer == nil, let rdp = w.deciders[bi].plan.rdpPersistence {
            useServer = rdp.server(in: firstBytes, states: bstates)
        }
        let d = w.deciders[bi].decideRequest(head: head, client: slot.client, states: bstates,
                                             rewrite: rw, now: w.nowMs, useServer: useServer)
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
        call.pointee.server_fin_timeout_ms = be.serverFinMs
        call.pointee.retries = Int32(be.retries)
        call.pointee.redispatch = d.direct ? be.redispatchPersistent : be.redispatchLoadBalanced
        call.pointee.direct = d.direct ? 1 : 0
        call.pointee.lb_assigned = d.server != nil && !d.direct ? 1 : 0
        // the backend's tcp-response content rules see the server's first bytes before they go
        if let tp = rules?.tcp[be.proxy], !tp.response.isEmpty { call.pointee.res_inspect = 1 }
        if let wr = w.rules { proxyHeaderAddresses(call, wr) }
        if be.transparent && d.server == nil { transparentDestination(call, w) }
    }

    /// The connection is closed without a byte: a content reject is logged (PR), a
    /// connection reject or a silent drop is not (HAProxy has no stream yet / drops quietly).
    private func dropTCP(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ wr: WorkerRules, _ slotIndex: Int,
                         _ slot: inout StreamSlot, quiet: Bool, _ fe: FrontendPlan) {
        let state = wr.slot(slotIndex)
        if quiet {
            if state.trackers.any { releaseStickTrackers(state, now: w.nowMs, end: StickStreamEnd()) }
            slot.active = false                    // no log line, no end report
        } else {
            state.termination = (UInt8(ascii: "P"), UInt8(ascii: "R"))
            w.counters.add(fe.counterRow, .dreq)
        }
        w.slots[slotIndex] = slot
        call.pointee.verdict = Int32(quiet ? RP_DROP_QUIET.rawValue : RP_DROP.rawValue)
    }

    /// When the configuration has rules (a `log-format` among them), the connection's rule
    /// state starts afresh as for a new connection, so that its log line reads this connection
    /// and not what the slot held before. No HTTP rule runs: HTTP rules are ignored in mode tcp.
    private func beginTCPRuleState(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int,
                                   _ fi: Int, _ fe: FrontendPlan, client: ClientAddress) {
        guard let wr = w.rules, let compiled = rules else { return }
        let ctx = wr.context
        let head = w.request
        head.reset()
        ctx.beginRequest(head, client: client)
        let state = wr.slot(slotIndex)
        if state.trackers.any { releaseStickTrackers(state, now: w.nowMs, end: StickStreamEnd()) }
        state.beginTransaction(newConnection: true, refs: compiled.tables.variables,
                               layout: compiled.captures[fe.proxy], frontend: fe.proxy)
        state.requestID = compiled.requestCounter.add(1, ordering: .relaxed).oldValue
        ctx.slot = state
        ctx.frontend = fi
        ctx.listener = Int(call.pointee.listener)
        ctx.requestIndex = 0
        ctx.requestLine = w.lines.line(slot: slotIndex, length: 0)
        ctx.nowMs = w.nowMs
        loadStreamAddresses(call, ctx, compiled)
        ctx.uniqueID = UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// A later call of the same inspection: the connection's rule state (variables, trackers)
    /// is kept; the worker's context is pointed at it again.
    private func resumeTCPRuleState(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int,
                                    _ fi: Int, client: ClientAddress) {
        guard let wr = w.rules else { return }
        let ctx = wr.context
        let head = w.request
        head.reset()
        ctx.beginRequest(head, client: client)
        ctx.slot = wr.slot(slotIndex)
        ctx.frontend = fi
        ctx.listener = Int(call.pointee.listener)
        ctx.requestIndex = 0
        ctx.requestLine = w.lines.line(slot: slotIndex, length: 0)
        ctx.nowMs = w.nowMs
        if let compiled = rules { loadStreamAddresses(call, ctx, compiled) }
    }
}
