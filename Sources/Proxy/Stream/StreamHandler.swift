// The stream layer: called by the data plane once per request head, once per response head
// and once per finished exchange. It parses, answers locally (errors, monitor-uri, stats),
// routes, asks the backend's decider for a server and the header edits, and hands the engine
// a rewritten head as slices. Per-worker state (parsers, rewrite scratch, routers, deciders,
// counters, syslog batch) is owned by one worker thread: no locks on this path.
import CUring
#if canImport(Glibc)
import Glibc
#endif

/// One worker's private state.
final class WorkerContext {
    let request: RequestHead
    let response: ResponseHead
    /// Copies heads with bare-LF line endings as CRLF (LineEndings).
    let lineEndings = LineEndingNormaliser()
    let requestRewrite = HeadRewrite()
    let responseRewrite = HeadRewrite()
    let routers: [Router]
    let deciders: [BackendDecider]
    let slots: UnsafeMutablePointer<StreamSlot>
    /// Per connection slot: the server (global index) of its last request (prefer-last-server).
    let lastServer: UnsafeMutablePointer<Int32>
    let slotCount: Int
    let lines: RequestLineStore
    let counters: WorkerCounters
    let syslog: SyslogSender
    /// A locally built answer (stats page) kept alive until the engine has copied it.
    var localAnswer: [UInt8] = []
    /// The rule engine's per-worker state (nil when the configuration has no rules).
    var rules: WorkerRules? = nil
    /// Names of the servers `add server` created (global slot → name; StreamHandler+DynamicServers).
    var dynamicServerNames: [Int: String] = [:]
    /// Per backend: its `use-server` rules (nil: none).
    var serverSwitches: [ServerSwitch?] = []
    /// Refreshed once per loop turn.
    var nowMs: Int64 = MonotonicClock.nowMs()
    var nowSecond: UInt64 = UInt64(WallClock.nowMs() / 1000)
    var nextSweepMs: Int64 = 0

    init(routers: [Router], deciders: [BackendDecider], slots: Int, counters: WorkerCounters, syslog: SyslogSender,
         limits: HeadLimits) {
        request = RequestHead(limits: limits); response = ResponseHead(limits: limits)
        self.routers = routers; self.deciders = deciders
        self.slots = .allocate(capacity: slots)
        self.slots.initialize(repeating: StreamSlot(), count: slots)
        self.lastServer = .allocate(capacity: slots)
        self.lastServer.initialize(repeating: -1, count: slots)
        self.slotCount = slots
        self.lines = RequestLineStore(slots: slots)
        self.counters = counters; self.syslog = syslog
    }
    deinit { slots.deinitialize(count: slotCount); slots.deallocate(); lastServer.deallocate() }
}

public final class StreamHandler: HeadHandler, @unchecked Sendable {
    // @unchecked: the immutable tables are shared read-only; `workers[i]` is only touched by
    // worker thread i (the engine calls back on the worker that owns the connection).
    let configuration: Configuration
    let frontends: [FrontendPlan]
    let backends: [BackendPlanInfo]
    public let states: ServerStateTable
    public let layout: CounterLayout
    let workers: [WorkerContext]
    let pages: Pages
    let serverOfSlot: [Int]        // global server → index inside its backend
    let backendOfServer: [Int]
    package var engine: Engine? = nil
    /// Messages from the runtime API, drained once per loop turn (set before the engine starts).
    public var mailbox: WorkerMailbox? = nil
    /// Adds what the runtime API changed (paused frontends, new limits) to every stats model.
    public var statsAdjust: (@Sendable (inout StatsModel) -> Void)? = nil
    /// Applies the stats page's admin form (a POST body) and says how it went.
    public var statsForm: (@Sendable ([UInt8]) -> StatsActionStatus)? = nil
    /// The peers thread's state, for the stats (set by the runtime when there are peers).
    public var peersSnapshot: (@Sendable () -> PeersSnapshot)? = nil
    let startMs = WallClock.nowMs()
    /// Every stick table, and the workers' outboxes to the peers thread (nil: nothing shared).
    public let stickTables: StickTableSet
    public let stickUpdates: StickUpdateQueues?
    /// The compiled rule language (nil when the configuration uses none of it).
    let rules: CompiledRules?
    /// The map and ACL pattern files, for the runtime API (`show/add/del/set/clear map|acl`).
    public let patternFiles: PatternReferences
    /// The `cache` sections' stores, for the runtime API (`show cache`).
    let caches: [HTTPCache]
    /// The proc variables, for the runtime API (`get var`, `set var`).
    public let processVariables: ProcessVariableAccess

    struct Pages {
        let badRequest = ErrorPages.bytes(.badRequest)
        let unprocessable = ErrorPages.bytes(.unprocessableContent)
        let payloadTooLarge = ErrorPages.bytes(.payloadTooLarge)
        let noServerClose = ErrorPages.bytes(.serviceUnavailable, connection: .close)
        let noServerKeep = ErrorPages.bytes(.serviceUnavailable, connection: .none)
        let badGateway = ErrorPages.bytes(.badGateway, connection: .close)
        /// After a bad server response HAProxy keeps a keep-alive client (issue 15 item 9).
        let badGatewayKeep = ErrorPages.bytes(.badGateway, connection: .none)
        let badGatewayKeep10 = ErrorPages.bytes(.badGateway, connection: .keepAlive)
    }

    /// HAProxy's 502 for an invalid server response; the client connection stays open when it
    /// keeps alive (the engine may still close it, if the request was not read in full).
    private func badGateway(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int) {
        let keep = !(w.slots[slotIndex].closeAfter || call.pointee.close_after != 0)
        let page = !keep ? pages.badGateway : w.slots[slotIndex].requestMinor == 0 ? pages.badGatewayKeep10 : pages.badGatewayKeep
        call.pointee.verdict = Int32(RP_RESPOND.rawValue)
        call.pointee.resp = page.buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        call.pointee.resp_len = UInt32(page.count)
        call.pointee.status_hint = 502
        call.pointee.close_after = keep ? 0 : 1
    }

    public init(configuration: Configuration, topology: Topology, workers: Int, slotsPerWorker: Int,
                states: ServerStateTable, logTargets: LogTargets) throws {
        self.configuration = configuration
        self.states = states
        layout = CounterLayout(configuration: configuration)
        frontends = try PlanBuilder.frontends(configuration, topology, layout, logTargets)
        stickTables = StickTableSet(configuration: configuration)
        stickUpdates = stickTables.hasSharedTables ? StickUpdateQueues(workers: workers) : nil
        backends = try PlanBuilder.backends(configuration, topology, layout, stickTables, logTargets)
        serverOfSlot = topology.servers.map(\.indexInBackend)
        backendOfServer = topology.servers.map(\.backend)
        pages = Pages()
        // The health table and the counters number servers as the topology does; check it.
        for (i, s) in topology.servers.enumerated() {
            guard i < states.servers.count, states.servers[i].name == s.config.name else {
                throw EngineError(description: "internal: server tables disagree at \(i)")
            }
        }
        let compiled = try RuleCompiler.compile(configuration, topology: topology, states: states, workers: workers, stickTables: stickTables)
        rules = compiled.isActive ? compiled : nil
        caches = compiled.caches
        patternFiles = compiled.files
        processVariables = ProcessVariableAccess(rules: compiled, topology: topology, stick: stickTables)
        var ws: [WorkerContext] = []
        for i in 0..<workers {
            let routers = try topology.frontends.map { f in
                try Router(compiled, proxy: f.proxy, backendIndex: { topology.backendByName[$0] })
            }
            let queue = stickUpdates?.queues[ws.count]
            let deciders = backends.map { BackendDecider(plan: $0.plan, updates: $0.plan.sharesTable ? queue : nil) }
            let wc = WorkerContext(routers: routers, deciders: deciders, slots: slotsPerWorker,
                                   counters: WorkerCounters(layout: layout), syslog: SyslogSender(targets: logTargets),
                                   limits: configuration.global.tune.headLimits)
            wc.serverSwitches = try topology.backends.map { try ServerSwitch.make(compiled, proxy: $0.proxy, worker: i) }
            if let r = rules {
                wc.rules = WorkerRules(r, worker: i, slotCount: slotsPerWorker)
                if let q = queue, let set = r.tables.stick {
                    wc.rules!.context.stickUpdates = q
                    wc.rules!.context.sharedStickTables = set.infos.map { $0.peersSection != nil }
                }
            }
            ws.append(wc)
        }
        self.workers = ws
        compiled.tables.serverCounters.attach(ws.map(\.counters))
    }

    // MARK: request

    package func onRequest(_ call: UnsafeMutablePointer<rp_head_call>) {
        let w = workers[Int(call.pointee.worker)]
        let slotIndex = Int(call.pointee.slot)
        guard slotIndex < w.slotCount else { return }
        defer { if w.rules != nil { releaseTrackersOfLocalReply(call, w, slotIndex) } }
        let head = w.request
        head.reset()
        let bytes = UnsafeRawBufferPointer(start: call.pointee.buf, count: Int(call.pointee.len))
        let fi = Int(call.pointee.frontend)
        let fe = frontends[fi]
        if fe.tcp { forwardTCP(call, w, slotIndex, fi, fe); return }
        head.acceptsFragment = fe.acceptsFragment
        var parsed = RequestParser.parse(bytes, into: head)
        let consumed = head.headLength
        if parsed == .complete && head.hasBareLineFeed {
            parsed = w.lineEndings.normaliseRequest(head, room: EngineBuffers.copiedBytes)
        }
        switch parsed {
        case .incomplete:
            if call.pointee.head_too_big != 0 { refuse(call, w, slotIndex, fe, error: .headTooLarge) }
            return
        case .invalid(let e):
            refuse(call, w, slotIndex, fe, error: e)
            return
        case .complete:
            if fe.statsURI != nil && statsPostIncomplete(call, fe, head, bytes) { return }
            if fe.waitsForBody && awaitBody(call, w, slotIndex, fe, head, bytes, consumed: consumed) { return }
        }
        var slot = StreamSlot()
        slot.active = true
        slot.frontend = Int32(fi)
        slot.client = Self.clientAddress(call.pointee.client)
        slot.isHeadRequest = head.isHead
        slot.isConnect = head.isConnect
        slot.requestMinor = Int8(head.versionMinor)
        // kept for the log line only (a 1 KiB slot per connection: not touched when nothing logs)
        // the rules read it too (capture.req.method/uri/ver, %r and the %H fields)
        if !fe.log.loggers.isEmpty || w.rules != nil { slot.requestLineLength = w.lines.save(slot: slotIndex, head) }
        w.counters.requestReceived(fe.counterRow, nowSecond: w.nowSecond)
        call.pointee.head_len = UInt32(consumed)
        call.pointee.body = Self.engineFraming(head.framing)
        if case .contentLength(let n) = head.framing { call.pointee.body_len = n }

        let target = head.slice(head.target)
        if let m = fe.monitorURI, m.withUnsafeBytes({ MonitorURI.matches(head, uri: $0) }) {
            let keep = ConnectionPolicy.clientKeepsAlive(head, mode: fe.clientMode)
            slot.noLog = true
            slot.closeAfter = !keep
            w.slots[slotIndex] = slot
            respond(call, MonitorURI.response(close: !keep), w, status: 200, close: !keep)
            return
        }
        if let wr = w.rules, frontendRequestRules(call, w, wr, slotIndex, &slot, fe, head) == .answered { return }
        if let s = fe.statsURI, serveStats(call, w, slotIndex, &slot, fe, head, uri: s, config: fe.config, proxy: fe.proxy, bytes) { return }
        if let p = fe.prometheusURI, p.withUnsafeBytes({ MonitorURI.matches(target: head.slice(head.path), uri: $0) }) {
            answerPrometheus(call, w, slotIndex, &slot, fe, head)
            return
        }

        // Route, then let the backend decide the server and its edits.
        let routed = w.rules != nil ? w.routers[fi].select(w.rules!.context) : w.routers[fi].select(request: head, clientAddress: slot.client)
        guard let bi = routed ?? fe.ownBackend else {
            noServer(call, w, slotIndex, &slot, fe, head)
            return
        }
        let be = backends[bi]
        slot.backend = Int32(bi)
        if be.checkCache { slot.cacheMethod = CacheMethod(bytes: head.slice(head.method)) }
        if let wr = w.rules, backendRequestRules(call, w, wr, slotIndex, &slot, fe, be, head) == .answered { return }
        if let wr = w.rules, !wr.context.caches.isEmpty, serveCacheHit(call, w, wr, slotIndex, &slot, fe, be, head) { return }
        if let s = be.statsURI, be.proxy != fe.proxy, serveStats(call, w, slotIndex, &slot, fe, head, uri: s, config: configuration.proxies[be.proxy], proxy: be.proxy, bytes) { return }
        if call.pointee.client_closed != 0 {
            // the client left while its body was awaited: no server is chosen (the engine ends
            // the exchange, CR); HAProxy logs the backend with <NOSRV>
            w.slots[slotIndex] = slot
            call.pointee.verdict = Int32(RP_FORWARD.rawValue)
            call.pointee.server_out = -1
            return
        }
        let rw = w.requestRewrite
        rw.reset()
        let bstates = BackendServerStates(table: states, base: be.servers.lowerBound)
        var preferred: Int? = nil
        if be.prefersLastServer && call.pointee.request_index > 0 {
            let last = Int(w.lastServer[slotIndex])
            if be.servers.contains(last) { preferred = last - be.servers.lowerBound }
        }
        if be.hashesPostBody && head.isPost { head.bufferedBody = Self.bodyBytes(call, head) }
        let useServer = w.serverSwitches[bi]?.select(w.rules?.context, request: head, client: slot.client, states: bstates)
        let d = w.deciders[bi].decideRequest(head: head, client: slot.client, states: bstates, rewrite: rw, now: w.nowMs,
                                             preferred: preferred, useServer: useServer)
        slot.decision = d
        w.counters.sessionStarted(be.counterRow, nowSecond: w.nowSecond)
        w.counters.add(be.counterRow, .reqTot)
        let global: Int
        if let local = d.server {
            global = be.servers.lowerBound + local
            let serverRow = layout.serverRow(global)
            w.counters.sessionStarted(serverRow, nowSecond: w.nowSecond)
            w.counters.add(serverRow, .reqTot)
            if !d.direct { w.counters.add(serverRow, .lbtot); w.counters.add(be.counterRow, .lbtot) }
            slot.serverCounted = true
            w.lastServer[slotIndex] = Int32(global)
            if let redirects = be.redirects, let prefix = redirects[local], head.isGetHeadPost && !head.isPost,
               let answer = ServerRedirect.response(prefix: prefix, target: head.slice(head.target)) {
                slot.redirectServer = Int32(global)                 // `redir PREFIX`: a 302, not forwarded
                slot.closeAfter = true
                w.slots[slotIndex] = slot
                respond(call, answer, w, status: 302, close: true)
                return
            }
        } else if let dispatch = be.dispatch {
            global = dispatch               // `dispatch ADDR:PORT`: no server line, logged <NOSRV>
        } else {
            noServer(call, w, slotIndex, &slot, fe, head)
            return
        }

        // Header edits, in HAProxy's order: rules, unique-id-header, body framing, X-Forwarded-For, Connection last.
        if let wr = w.rules { applyUniqueID(call, wr, frontend: fe.proxy) }
        if let wr = w.rules, !wr.context.request.emitEdits(request: head, into: rw) || wr.context.request.overflowed {
            w.slots[slotIndex] = slot
            refuse(call, w, slotIndex, fe, error: .headTooLarge, counted: true)
            return
        }
        let leading = head.leadingEmptyLines
        if !leading.isEmpty { rw.delete(leading) }
        RequestNormalisation.apply(head: head, rewrite: rw)
        ContentLengthRewrite.apply(head: head, rewrite: rw)
        TEHeaderRewrite.apply(head: head, rewrite: rw)
        appendForwardingHeaders(call, w, head, rw, fe, be)
        if let wr = w.rules { proxyHeaderAddresses(call, wr) }
        let serverMode: ConnectionMode = (fe.mode == .close || be.mode == .close) ? .close : .keepAlive
        ConnectionPolicy.rewriteRequest(head: head, rewrite: rw, mode: be.pretendKeepAlive ? .keepAlive : serverMode)
        let keep = ConnectionPolicy.clientKeepsAlive(head, mode: fe.clientMode == .close || be.clientMode == .close ? .close : .keepAlive)
        slot.closeAfter = !keep
        guard setHead(call, rw, head), !rw.overflowed, fitsEngineCopy(head, rw, consumed: consumed) else {
            w.slots[slotIndex] = slot
            refuse(call, w, slotIndex, fe, error: .headTooLarge, counted: true)
            return
        }
        w.slots[slotIndex] = slot
        call.pointee.verdict = Int32(RP_FORWARD.rawValue)
        call.pointee.server_out = Int32(global)
        call.pointee.close_after = keep ? 0 : 1
        call.pointee.server_reuse = serverMode == .keepAlive && !(head.framingForcesClose && head.versionMinor == 0) ? 1 : 0
        call.pointee.connect_timeout_ms = UInt32(clamping: be.connectTimeout)
        call.pointee.server_timeout_ms = UInt32(clamping: w.rules?.existingSlot(slotIndex)?.timeouts.server ?? be.serverTimeout)
        call.pointee.queue_timeout_ms = UInt32(clamping: be.queueTimeout)
        call.pointee.retries = Int32(be.retries)
        call.pointee.redispatch = d.direct ? be.redispatchPersistent : be.redispatchLoadBalanced
        call.pointee.abort_on_close = be.abortOnClose ? 1 : 0
        call.pointee.direct = d.direct ? 1 : 0          // a full server queues it on itself
        call.pointee.lb_assigned = d.server != nil && !d.direct ? 1 : 0
        call.pointee.client_fin_timeout_ms = fe.clientFinMs
        call.pointee.server_fin_timeout_ms = be.serverFinMs
        call.pointee.splice = fe.splice | be.splice
        call.pointee.client_timeout_runs = fe.upgradedFromTCP ? 1 : 0
        call.pointee.reuse = be.reuse.enginePolicy(first: call.pointee.request_index == 0)
        if be.transparent && d.server == nil { transparentDestination(call, w) }
    }

    /// 400 (or 413, 422) for a request that cannot be parsed; the log line says `<BADREQ>`.
    private func refuse(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int,
                        _ fe: FrontendPlan, error: ParseError, counted: Bool = false) {
        var slot = StreamSlot()
        slot.active = true
        slot.badRequest = true
        slot.frontend = call.pointee.frontend
        slot.closeAfter = true
        w.slots[slotIndex] = slot
        if !counted {                                   // HAProxy counts a bad request in req_tot
            w.counters.requestReceived(fe.counterRow, nowSecond: w.nowSecond)
        }
        w.counters.add(fe.counterRow, .ereq)
        let lrow = listenerRow(Int(call.pointee.listener))
        if lrow >= 0 { w.counters.add(lrow, .ereq) }
        w.rules?.existingSlot(slotIndex)?.clearOutcome()
        // a request the parser refused has no stream in HAProxy (its H1 mux answers): no
        // http-after-response rules
        if ruledErrorPage(error.requestStatus, call, w, slotIndex, fe, backend: -1, requestMinor: 1, clientClose: true,
                          afterResponse: counted).done {
            call.pointee.head_len = 0
            call.pointee.close_after = 1
            call.pointee.body = Int32(RP_BODY_NONE.rawValue)
            return
        }
        let page = error.requestStatus == 422 ? pages.unprocessable
            : error.requestStatus == 413 ? pages.payloadTooLarge : pages.badRequest
        call.pointee.verdict = Int32(RP_RESPOND.rawValue)
        call.pointee.head_len = 0
        call.pointee.resp = page.buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        call.pointee.resp_len = UInt32(page.count)
        call.pointee.status_hint = Int32(error.requestStatus)
        call.pointee.close_after = 1
        call.pointee.body = Int32(RP_BODY_NONE.rawValue)
    }

    /// A frontend session is a client connection, as in HAProxy: scur counts the open ones,
    /// stot, conn_tot and the session rate count them once, whatever their requests.
    /// A listener with `option socket-stats` counts its sessions too.
    package func onConnection(worker: Int, frontend: Int, listener: Int, opened: Bool) {
        let w = workers[worker]
        guard frontend >= 0, frontend < frontends.count else { return }
        let row = frontends[frontend].counterRow
        let lrow = listenerRow(listener)
        if opened {
            w.counters.sessionStarted(row, nowSecond: w.nowSecond)
            w.counters.add(row, .connTot)
            if lrow >= 0 { w.counters.sessionStarted(lrow, nowSecond: w.nowSecond) }
        } else {
            w.counters.sessionEnded(row)
            if lrow >= 0 { w.counters.sessionEnded(lrow) }
        }
    }

    /// The counter row of an engine listener (`option socket-stats`), -1 when it has none.
    @inline(__always) func listenerRow(_ listener: Int) -> Int {
        listener >= 0 && listener < layout.listenerRows.count ? layout.listenerRows[listener] : -1
    }

    /// A counter summed over every worker (the log's %fc/%bc/%sc are process-wide).
    @inline(__always) private func total(_ row: Int, _ f: CounterField) -> Int {
        var n: UInt64 = 0
        for w in workers { n &+= w.counters.get(row, f) }
        return Int(n)
    }

    /// No backend matched, or no server is usable: HAProxy's 503, logged `<NOSRV>` `SC--`.
    private func noServer(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int,
                          _ slot: inout StreamSlot, _ fe: FrontendPlan, _ head: RequestHead) {
        let keep = ConnectionPolicy.clientKeepsAlive(head, mode: fe.clientMode) && head.framing == .none
        slot.closeAfter = !keep
        let ruled = ruledErrorPage(503, call, w, slotIndex, fe, backend: Int(slot.backend), requestMinor: head.versionMinor, clientClose: !keep)
        if ruled.done {
            slot.closeAfter = ruled.close
            w.slots[slotIndex] = slot
            return
        }
        w.slots[slotIndex] = slot
        let page = keep ? pages.noServerKeep : pages.noServerClose
        call.pointee.verdict = Int32(RP_RESPOND.rawValue)
        call.pointee.resp = page.buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        call.pointee.resp_len = UInt32(page.count)
        call.pointee.status_hint = 503
        call.pointee.close_after = keep ? 0 : 1
    }

    func respond(_ call: UnsafeMutablePointer<rp_head_call>, _ bytes: [UInt8], _ w: WorkerContext, status: Int, close: Bool) {
        w.localAnswer = bytes                    // kept alive until the engine copied it
        call.pointee.verdict = Int32(RP_RESPOND.rawValue)
        w.localAnswer.withUnsafeBufferPointer { call.pointee.resp = $0.baseAddress }
        call.pointee.resp_len = UInt32(bytes.count)
        call.pointee.status_hint = Int32(status)
        call.pointee.close_after = close ? 1 : 0
    }

    /// Writes the rewritten head into the call's iovecs; false when it does not fit.
    private func setHead(_ call: UnsafeMutablePointer<rp_head_call>, _ rw: HeadRewrite, _ head: MessageHead) -> Bool {
        let n = withUnsafeMutablePointer(to: &call.pointee.iov) { tuple in
            tuple.withMemoryRebound(to: iovec.self, capacity: Int(RP_MAX_IOV)) { iov in
                rw.buildIOVecs(head: head.bytes, headLength: head.headLength, into: iov, max: Int(RP_MAX_IOV))
            }
        }
        guard n >= 0 else { return false }
        call.pointee.iovcnt = Int32(n)
        return true
    }

    /// Whether the bytes the engine must copy (inserted headers, and the whole head when it
    /// was normalised into LineEndings' buffer: then it is longer than the bytes consumed) fit
    /// its room for them.
    @inline(__always)
    private func fitsEngineCopy(_ head: MessageHead, _ rw: HeadRewrite, consumed: Int) -> Bool {
        (head.headLength != consumed ? head.headLength : 0) + rw.scratchUsed <= EngineBuffers.copiedBytes
    }

    static func engineFraming(_ f: BodyFraming) -> Int32 {
        switch f {
        case .none: return Int32(RP_BODY_NONE.rawValue)
        case .contentLength: return Int32(RP_BODY_LENGTH.rawValue)
        case .chunked: return Int32(RP_BODY_CHUNKED.rawValue)
        case .untilClose: return Int32(RP_BODY_CLOSE.rawValue)
        }
    }

    static func clientAddress(_ ss: UnsafePointer<sockaddr_storage>?) -> ClientAddress {
        guard let ss else { return .none }
        switch Int32(ss.pointee.ss_family) {
        case AF_INET:
            return ss.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { .v4(UInt32(bigEndian: $0.pointee.sin_addr.s_addr)) }
        case AF_INET6:
            return ss.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin6_addr) { b in
                    func word(_ i: Int) -> UInt32 { UInt32(b[i]) << 24 | UInt32(b[i+1]) << 16 | UInt32(b[i+2]) << 8 | UInt32(b[i+3]) }
                    return .v6(word(0), word(4), word(8), word(12))
                }
            }
        default: return .none
        }
    }

    // MARK: response

    package func onResponse(_ call: UnsafeMutablePointer<rp_head_call>) {
        let w = workers[Int(call.pointee.worker)]
        let slotIndex = Int(call.pointee.slot)
        guard slotIndex < w.slotCount else { return }
        if call.pointee.tunnel_inspect != 0 { tcpResponseInspection(call, w, slotIndex); return }   // mode tcp
        let head = w.response
        head.reset()
        let bytes = UnsafeRawBufferPointer(start: call.pointee.buf, count: Int(call.pointee.len))
        let requestWasHead = w.slots[slotIndex].isHeadRequest
        var parsed = ResponseParser.parse(bytes, into: head, requestWasHead: requestWasHead)
        let consumed = head.headLength
        if parsed == .complete && head.hasBareLineFeed {
            parsed = w.lineEndings.normaliseResponse(head, room: EngineBuffers.copiedBytes, requestWasHead: requestWasHead)
        }
        switch parsed {
        case .incomplete:
            return
        case .invalid:
            let be = Int(w.slots[slotIndex].backend)
            if be >= 0 { w.counters.add(backends[be].counterRow, .eresp) }
            badGateway(call, w, slotIndex)
            return
        case .complete:
            break
        }
        let rw = w.responseRewrite
        rw.reset()
        call.pointee.head_len = UInt32(consumed)
        if head.isInterim {
            call.pointee.verdict = Int32(RP_INTERIM.rawValue)
            _ = setHead(call, rw, head)
            return
        }
        let bi = Int(w.slots[slotIndex].backend)
        // the engine may ask for the close too (a soft stop: `Connection: close` on what is left)
        var closeAfter = w.slots[slotIndex].closeAfter || call.pointee.close_after != 0
        var serverReuse = call.pointee.server_reuse != 0
        if head.framing == .untilClose { closeAfter = true; serverReuse = false }
        // an HTTP/1.0 response in chunks: its end cannot be told to a 1.0 reader; HAProxy
        // closes the client connection after it (issue 15 item 9)
        if head.framing == .chunked && head.versionMinor == 0 { closeAfter = true }
        if head.wantsClose || head.framingForcesClose { serverReuse = false }
        // the connection becomes a tunnel (rp_tunnel.c): a 101, or a 2xx to a CONNECT
        let upgraded = head.status == 101 || (w.slots[slotIndex].isConnect && head.status / 100 == 2)
        if upgraded { closeAfter = true; serverReuse = false }
        // http-response wait-for-body (a tunnel's response has no body to wait for)
        let sfi = Int(w.slots[slotIndex].frontend)
        if let wr = w.rules, !upgraded, (sfi >= 0 && frontends[sfi].responseBodyWait) || (bi >= 0 && backends[bi].responseBodyWait),
           awaitResponseBody(call, w, wr, slotIndex, head) { return }
        if let wr = w.rules, responseRules(call, w, wr, slotIndex, head, rw) == .answered { return }
        if call.pointee.server_reuse == 0 { serverReuse = false }   // tcp-response content close
        if bi >= 0 {
            let be = backends[bi]
            let bstates = BackendServerStates(table: states, base: be.servers.lowerBound)
            w.slots[slotIndex].responseCookieChar = w.deciders[bi].decideResponse(
                w.slots[slotIndex].decision, response: head, rewrite: rw, states: bstates, now: w.nowMs)
            if be.checkCache, let wr = w.rules, blockCacheableCookie(call, w, wr, slotIndex, head) { return }
        }
        ContentLengthRewrite.apply(head: head, rewrite: rw)
        ConnectionPolicy.rewriteResponse(head: head, rewrite: rw, clientKeepsAlive: !closeAfter,
                                         requestMinor: Int(w.slots[slotIndex].requestMinor), tunnel: upgraded)
        guard setHead(call, rw, head), !rw.overflowed, fitsEngineCopy(head, rw, consumed: consumed) else {
            badGateway(call, w, slotIndex)
            return
        }
        w.slots[slotIndex].closeAfter = closeAfter
        call.pointee.verdict = Int32(RP_FORWARD.rawValue)
        call.pointee.body = Self.engineFraming(head.framing)
        if case .contentLength(let n) = head.framing { call.pointee.body_len = n }
        call.pointee.status_hint = Int32(w.rules?.context.responseLoaded == true ? w.rules!.context.response.status : head.status)
        call.pointee.close_after = closeAfter ? 1 : 0
        call.pointee.server_reuse = serverReuse ? 1 : 0
        if let wr = w.rules, !wr.context.caches.isEmpty, !upgraded { armCacheCapture(call, wr, slotIndex, head) }
        if upgraded {
            call.pointee.body = Int32(RP_BODY_CLOSE.rawValue); call.pointee.tunnel = 1
            // `timeout tunnel` replaces both sides' timeouts once the tunnel is established
            if bi >= 0, let t = configuration.proxies[backends[bi].proxy].timeouts.tunnel {
                call.pointee.client_timeout_ms = UInt32(clamping: t); call.pointee.server_timeout_ms = UInt32(clamping: t)
            }
        }
    }

    // MARK: redispatch

    package func onRedispatch(worker: Int, slot slotIndex: UInt32, failedServer: Int, head bytes: UnsafeRawBufferPointer) -> Int {
        let w = workers[worker]
        let i = Int(slotIndex)
        guard i < w.slotCount else { return -1 }
        let bi = Int(w.slots[i].backend)
        guard bi >= 0 else { return -1 }
        let be = backends[bi]
        let head = w.request
        head.reset()
        guard case .complete = RequestParser.parse(bytes, into: head) else { return -1 }
        let bstates = BackendServerStates(table: states, base: be.servers.lowerBound)
        var d = w.slots[i].decision
        w.deciders[bi].redispatch(&d, head: head, client: w.slots[i].client, states: bstates, now: w.nowMs)
        w.slots[i].decision = d
        guard let s = d.server else { return -1 }
        w.counters.add(be.counterRow, .wredis)
        return be.servers.lowerBound + s
    }

    // MARK: end of an exchange: counters and the log line

    package func onDone(_ infoPtr: UnsafePointer<rp_done_info>) {
        let info = infoPtr.pointee
        let w = workers[Int(info.worker)]
        let slotIndex = Int(info.slot)
        guard slotIndex < w.slotCount, info.frontend >= 0, Int(info.frontend) < frontends.count else { return }
        let slot = w.slots[slotIndex]
        w.slots[slotIndex].active = false
        if let wr = w.rules, !wr.context.caches.isEmpty { finishCacheStore(info, wr, slotIndex) }
        let fe = frontends[Int(info.frontend)]
        let status = Int(info.status)

        // Counters.
        let c = w.counters
        // (option contstats: on_progress counted some bytes already)
        let bytesIn = info.bytes_in &- info.bytes_in_reported, bytesOut = info.bytes_out &- info.bytes_out_reported
        c.add(fe.counterRow, .bin, bytesIn)
        c.add(fe.counterRow, .bout, bytesOut)
        let lrow = listenerRow(Int(info.listener))
        if lrow >= 0 { c.add(lrow, .bin, bytesIn); c.add(lrow, .bout, bytesOut) }
        let spliced = info.spliced_req | info.spliced_resp != 0
        if spliced { c.add(fe.counterRow, .h1SplicedIn, info.spliced_req); c.add(fe.counterRow, .h1SplicedOut, info.spliced_resp) }
        if status > 0 { c.response(fe.counterRow, status: status) }
        if !slot.active && (status == 400 || status == 408) {
            // the engine's own 400 (a client gone before its head was complete, even without a
            // byte) and 408: HAProxy counts both as bad requests
            c.add(fe.counterRow, .ereq)
            if lrow >= 0 { c.add(lrow, .ereq) }
            c.requestReceived(fe.counterRow, nowSecond: w.nowSecond)
        }
        var serverName: String? = nil
        var backendName = fe.name
        if slot.active && slot.backend >= 0 {
            let be = backends[Int(slot.backend)]
            backendName = be.name
            c.sessionEnded(be.counterRow)
            if info.tc >= 0 && info.tr >= 0 { c.exchangeTimes(be.counterRow, queue: info.tw, connect: info.tc, response: info.tr, total: info.tt) }
            c.add(be.counterRow, .bin, bytesIn)
            c.add(be.counterRow, .bout, bytesOut)
            if spliced { c.add(be.counterRow, .h1SplicedIn, info.spliced_resp); c.add(be.counterRow, .h1SplicedOut, info.spliced_req) }
            if status > 0 { c.response(be.counterRow, status: status) }
            let server = info.server >= 0 ? Int(info.server) : Int(slot.redirectServer)
            if info.unassigned != 0 {
                // it never left the backend's queue: HAProxy logs <NOSRV> and never counted
                // the server the balancer had in mind
                if slot.serverCounted && info.server >= 0 && server < serverOfSlot.count { c.serverSessionUnassigned(layout.serverRow(server)) }
            } else if server >= 0 && server < serverOfSlot.count {     // not a dispatch address
                let global = server
                let row = layout.serverRow(global)
                serverName = w.dynamicServerNames.isEmpty ? be.serverNames[serverOfSlot[global]]
                    : w.dynamicServerNames[global] ?? be.serverNames[serverOfSlot[global]]
                if slot.serverCounted { c.sessionEnded(row) }
                if info.tc >= 0 && info.tr >= 0 { c.exchangeTimes(row, queue: info.tw, connect: info.tc, response: info.tr, total: info.tt) }
                c.add(row, .bin, bytesIn)
                c.add(row, .bout, bytesOut)
                if status > 0 { c.response(row, status: status) }
                if info.term.1 == CChar(UInt8(ascii: "C")) { c.add(row, .econ); c.add(be.counterRow, .econ) }
                if info.retries > 0 { c.add(row, .wretr, UInt64(info.retries)); c.add(be.counterRow, .wretr, UInt64(info.retries)) }
            }
            if let d = slot.decision.server, info.server >= 0 || d >= 0 { w.deciders[Int(slot.backend)].connectionEnded(slot.decision) }
        }

        // The log line.
        let ruleState = w.rules?.existingSlot(slotIndex)
        if let st = ruleState, st.trackers.any {
            releaseStickTrackers(st, now: w.nowMs, end: Self.stickStreamEnd(
                status: status, bytesIn: info.bytes_in, bytesOut: info.bytes_out, server: Int(info.server),
                denied: st.termination?.0 == UInt8(ascii: "P")), touch: w.rules?.context)
        }
        if slot.noLog || fe.log.isEmpty || ruleState?.logLevel == -1 { return }
        if !slot.active && info.bytes_in == 0 && status < 0 { return }      // nothing happened
        if !LogPolicy.shouldLog(dontLogNull: fe.dontLogNull, requestBytes: Int(info.bytes_in)) { return }
        var r = HTTPLogRecord()
        if let client = info.client { r.client = client.pointee }
        r.dateMs = info.t_accept_us / 1000
        r.frontend = fe.name
        r.backend = backendName
        r.server = serverName
        // HAProxy 2.6 stamps %TR only once the request went through the routing rules: a bad
        // request and one no backend matched (`F/<NOSRV>`) log -1 there.
        let routed = slot.active && !slot.badRequest && (slot.backend >= 0 || ruleState?.localReply == true)
        r.tR = routed ? Int(info.tq) : -1
        r.tw = Int(info.tw); r.tc = Int(info.tc); r.tr = Int(info.tr); r.ta = Int(info.tt)
        if slot.active, info.server < 0, ruleState?.cache.hit != nil { cacheHitLog(&r) }
        r.status = status
        r.bytesOut = Int(info.bytes_out)
        let redirected = slot.active && slot.redirectServer >= 0      // HAProxy logs a server redirect `LC`
        r.termination = TerminationState(
            cause: redirected ? UInt8(ascii: "L") : UInt8(bitPattern: info.term.0),
            phase: redirected ? UInt8(ascii: "C") : UInt8(bitPattern: info.term.1),
            requestCookie: slot.active ? slot.decision.cookieLogChar : UInt8(ascii: "-"),
            responseCookie: slot.active ? slot.responseCookieChar : UInt8(ascii: "-"))
        // A reply the rules made: its own termination state (the engine only saw a status).
        if let t = ruleState?.termination, slot.active, info.term.1 == CChar(UInt8(ascii: "-")) || info.term.1 == CChar(UInt8(ascii: "R")) || info.term.1 == CChar(UInt8(ascii: "C")) || info.term.1 == CChar(UInt8(ascii: "H")) {
            r.termination.cause = t.0; r.termination.phase = t.1
        }
        r.actconn = engine?.activeConnections ?? 0
        // Process-wide, as HAProxy's. The stream has already left its backend when HAProxy 2.6
        // logs (a lone request logs `1/1/0/0/0`): %bc and %sc do not count it; %ac and %fc
        // count its connection, still open here.
        r.feconn = total(fe.counterRow, .scur)
        r.beconn = slot.backend >= 0 ? total(backends[Int(slot.backend)].counterRow, .scur) : 0
        r.srvconn = info.server >= 0 && info.unassigned == 0 && Int(info.server) < serverOfSlot.count ? total(layout.serverRow(Int(info.server)), .scur) : 0
        r.retries = Int(info.retries)
        r.redispatched = info.redispatched != 0
        r.requestLine = (slot.active && !slot.badRequest) || slot.waitingBody ? w.lines.line(slot: slotIndex, length: slot.requestLineLength) : nil
        if rules != nil, logWithRules(&r, w, fe, frontend: Int(info.frontend), slotIndex: slotIndex, slot: slot,
                                      server: info.unassigned == 0 ? info.server : -1, client: info.client, localFD: info.cli_fd) { return }
        w.syslog.logTransaction(r, to: fe.log)
    }

    package func onTurn(worker: Int) {
        let w = workers[worker]
        w.nowMs = MonotonicClock.nowMs()
        mailbox?.drain(worker)
        stickUpdates?.queues[worker].endOfTurn()
        if worker == 0 && w.nowMs >= w.nextSweepMs {
            // expire idle appsession / stick-table entries, as HAProxy's 5 s sweeper does
            w.nextSweepMs = w.nowMs + 5000
            for b in backends { _ = b.plan.session?.table.sweep(now: w.nowMs) }
        }
        if w.syslog.hasBatches && w.syslog.queued > 0 {
            w.nowSecond = UInt64(WallClock.nowMs() / 1000)
            w.syslog.flush()
        } else if w.nowMs & 0x3ff < 16 {
            w.nowSecond = UInt64(WallClock.nowMs() / 1000)
        }
    }

    /// Workers send their syslog batches through their own ring from now on.
    package func sendLogsThroughRings(_ engine: Engine) {
        for (i, w) in workers.enumerated() {
            w.syslog.ringSend = { [unowned engine] fd, base, stride, n in
                engine.sendDatagrams(worker: i, fd: fd, base: base, stride: stride, count: n)
            }
        }
    }

    // MARK: stats

    /// A snapshot for the stats page and the exporter (sums every worker's counters; the
    /// benign race with workers is documented in WorkerCounters).
    public func statsModel() -> StatsModel {
        let now = WallClock.nowMs()
        var counters = CountersSnapshot.sum(workers.map(\.counters), layout: layout, nowSecond: UInt64(now / 1000))
        if let engine { QueueGauges.fill(&counters, engine: engine, backends: backends, layout: layout) }
        var m = StatsModel(configuration: configuration, states: states, counters: counters,
                           nowMs: MonotonicClock.nowMs(), nowSecond: UInt64(now / 1000))
        m.pid = getpid()
        m.defaultMaxconn = configuration.global.maxconn ?? 2000
        m.uptimeSeconds = Int((now - startMs) / 1000)
        if !layout.listeners.isEmpty { m.listenerAddresses = ListenerBoundAddresses.read(layout.listeners) }
        statsAdjust?(&m)
        m.peers = peersSnapshot?()
        return m
    }
}
