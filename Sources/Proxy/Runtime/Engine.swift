// The Swift face of the C data plane: builds the engine's tables (listeners, servers) and
// routes its per-head callbacks to a HeadHandler.
import CUring
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the data plane calls once per message head (request and response) and once per
/// finished exchange. Implementations must not block: they run on worker threads.
package protocol HeadHandler: AnyObject {
    func onRequest(_ call: UnsafeMutablePointer<rp_head_call>)
    func onResponse(_ call: UnsafeMutablePointer<rp_head_call>)
    func onRedispatch(worker: Int, slot: UInt32, failedServer: Int, head: UnsafeRawBufferPointer) -> Int
    func onDone(_ info: UnsafePointer<rp_done_info>)
    func onTurn(worker: Int)
    func onConnection(worker: Int, frontend: Int, listener: Int, opened: Bool)
    /// A connection accepted by a listener with `expectProxyIf`: must a PROXY header come first?
    /// `option contstats`: bytes moved during an exchange (added to the counters at once).
    func onProgress(worker: Int, slot: Int, frontend: Int, listener: Int, server: Int, bytesIn: UInt64, bytesOut: UInt64)
    func expectsProxyHeader(worker: Int, frontend: Int, listener: Int, fd: Int32, client: UnsafePointer<sockaddr_storage>) -> Bool
}

package struct EngineError: Error, CustomStringConvertible {
    package var description: String
}

/// A socket address in the form the engine takes.
package func makeSockaddr(host: String, port: Int) -> (sockaddr_storage, socklen_t)? {
    var ss = sockaddr_storage()
    if let socket = UnixSocketAddress(host) {      // "unix@PATH" / "abns@NAME" servers
        withUnsafeMutableBytes(of: &ss) { dst in withUnsafeBytes(of: socket.address) { dst.copyMemory(from: $0) } }
        return (ss, socket.length)
    }
    let h = (host.isEmpty || host == "*") ? "0.0.0.0" : host
    var a4 = in_addr()
    if inet_pton(AF_INET, h, &a4) == 1 {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(port).bigEndian)
        sin.sin_addr = a4
        withUnsafeMutableBytes(of: &ss) { dst in withUnsafeBytes(of: sin) { dst.copyMemory(from: $0) } }
        return (ss, socklen_t(MemoryLayout<sockaddr_in>.size))
    }
    var a6 = in6_addr()
    let h6 = h.hasPrefix("[") && h.hasSuffix("]") ? String(h.dropFirst().dropLast()) : h
    if inet_pton(AF_INET6, h6, &a6) == 1 {
        var sin6 = sockaddr_in6()
        sin6.sin6_family = sa_family_t(AF_INET6)
        sin6.sin6_port = in_port_t(UInt16(port).bigEndian)
        sin6.sin6_addr = a6
        withUnsafeMutableBytes(of: &ss) { dst in withUnsafeBytes(of: sin6) { dst.copyMemory(from: $0) } }
        return (ss, socklen_t(MemoryLayout<sockaddr_in6>.size))
    }
    return nil
}

package struct EngineListener {
    package var host: String
    package var port: Int
    package var frontend: Int
    package var maxconn: Int
    package var clientTimeoutMs: UInt32 = 0
    package var httpRequestTimeoutMs: UInt32 = 0
    package var keepAliveTimeoutMs: UInt32 = 0
    /// `option clitcpka` (or `tcpka`) and `option nolinger` of the frontend.
    package var keepAlive = false
    package var noLinger = false
    /// `accept-proxy` on the bind.
    package var acceptProxy = false
    /// A conditional `tcp-request connection expect-proxy layer4`: the rules decide at accept.
    package var expectProxyIf = false
    /// `option contstats` of the frontend.
    package var contstats = false
    /// The frontend is `mode tcp`: the engine asks for a server as soon as it accepts.
    package var tcpMode = false
    /// An already listening socket (fd@N, a UNIX socket, one taken over from the previous
    /// process); nil: bind host:port in every worker.
    package var fd: Int32? = nil
    package init(host: String, port: Int, frontend: Int, maxconn: Int) { self.host = host; self.port = port; self.frontend = frontend; self.maxconn = maxconn }
}

package struct EngineSettings {
    package var workers = 0                 // 0: one per core
    /// The CPUs each worker may run on (CPUPlacement); empty or a worker's empty list: not pinned.
    package var cpus: [[Int]] = []
    package var maxconn = 4096
    package var spliceThreshold = 65536
    package init() {}
}

/// Holds the handler as an existential so callbacks make a plain protocol call, not a dynamic
/// cast (`as!` on every callback showed up in profiles).
final class HandlerBox {
    let handler: HeadHandler
    init(_ h: HeadHandler) { handler = h }
}

private func cbRequest(_ ctx: UnsafeMutableRawPointer?, _ call: UnsafeMutablePointer<rp_head_call>?) {
    let h = Unmanaged<HandlerBox>.fromOpaque(ctx!).takeUnretainedValue().handler
    h.onRequest(call!)
}
private func cbResponse(_ ctx: UnsafeMutableRawPointer?, _ call: UnsafeMutablePointer<rp_head_call>?) {
    let h = Unmanaged<HandlerBox>.fromOpaque(ctx!).takeUnretainedValue().handler
    h.onResponse(call!)
}
private func cbRedispatch(_ ctx: UnsafeMutableRawPointer?, _ worker: Int32, _ slot: UInt32, _ failed: Int32,
                          _ buf: UnsafePointer<UInt8>?, _ len: UInt32) -> Int32 {
    let h = Unmanaged<HandlerBox>.fromOpaque(ctx!).takeUnretainedValue().handler
    return Int32(h.onRedispatch(worker: Int(worker), slot: slot, failedServer: Int(failed),
                                head: UnsafeRawBufferPointer(start: buf, count: Int(len))))
}
private func cbTurn(_ ctx: UnsafeMutableRawPointer?, _ worker: Int32) {
    let h = Unmanaged<HandlerBox>.fromOpaque(ctx!).takeUnretainedValue().handler
    h.onTurn(worker: Int(worker))
}
private func cbConnection(_ ctx: UnsafeMutableRawPointer?, _ worker: Int32, _ frontend: Int32, _ listener: Int32, _ opened: Int32) {
    let h = Unmanaged<HandlerBox>.fromOpaque(ctx!).takeUnretainedValue().handler
    h.onConnection(worker: Int(worker), frontend: Int(frontend), listener: Int(listener), opened: opened != 0)
}
private func cbExpectProxy(_ ctx: UnsafeMutableRawPointer?, _ worker: Int32, _ frontend: Int32, _ listener: Int32,
                           _ fd: Int32, _ client: UnsafePointer<sockaddr_storage>?) -> Int32 {
    let h = Unmanaged<HandlerBox>.fromOpaque(ctx!).takeUnretainedValue().handler
    return h.expectsProxyHeader(worker: Int(worker), frontend: Int(frontend), listener: Int(listener), fd: fd, client: client!) ? 1 : 0
}
private func cbProgress(_ ctx: UnsafeMutableRawPointer?, _ worker: Int32, _ slot: UInt32, _ frontend: Int32, _ listener: Int32,
                        _ server: Int32, _ bytesIn: UInt64, _ bytesOut: UInt64) {
    let h = Unmanaged<HandlerBox>.fromOpaque(ctx!).takeUnretainedValue().handler
    h.onProgress(worker: Int(worker), slot: Int(slot), frontend: Int(frontend), listener: Int(listener), server: Int(server),
                 bytesIn: bytesIn, bytesOut: bytesOut)
}
private func cbDone(_ ctx: UnsafeMutableRawPointer?, _ info: UnsafePointer<rp_done_info>?) {
    let h = Unmanaged<HandlerBox>.fromOpaque(ctx!).takeUnretainedValue().handler
    h.onDone(info!)
}

/// Owns a data plane: created (listeners bound), started, stopped, joined, freed on deinit.
package final class Engine: @unchecked Sendable {
    // @unchecked: the pointer is set once; the C engine synchronises its own threads.
    private var engine: OpaquePointer?
    private let handlerBox: Unmanaged<HandlerBox>
    package let workers: Int
    // Pages the engine sends by itself; they live as long as the engine.
    private let pages: [UnsafeMutableBufferPointer<UInt8>]

    /// The engine's own pages (400, 408, 502, 503, 504), each with `Connection: close` and
    /// without (the connection kept after a server-side error, as HAProxy keeps it).
    package struct Pages {
        package var close: [[UInt8]]
        package var keep: [[UInt8]]
        package init(close: [[UInt8]], keep: [[UInt8]]) { self.close = close; self.keep = keep }
    }

    package init(listeners: [EngineListener], servers: [EngineServer], settings: EngineSettings,
                 handler: HeadHandler, pages: Pages) throws {
        var ls: [rp_listener_cfg] = []
        for l in listeners {
            var c = rp_listener_cfg()
            c.fd = l.fd ?? -1
            if l.fd == nil {
                guard let (ss, len) = makeSockaddr(host: l.host, port: l.port) else {
                    throw EngineError(description: "invalid bind address '\(l.host):\(l.port)'")
                }
                c.addr = ss; c.addrlen = len
            }
            c.frontend = Int32(l.frontend); c.maxconn = Int32(l.maxconn)
            c.client_timeout_ms = l.clientTimeoutMs; c.http_request_timeout_ms = l.httpRequestTimeoutMs
            c.keepalive_timeout_ms = l.keepAliveTimeoutMs
            c.sock_opts = (l.keepAlive ? Int32(RP_SRV_KEEPALIVE) : 0) | (l.noLinger ? Int32(RP_SRV_NOLINGER) : 0)
            c.accept_proxy = Int32(l.acceptProxy ? RP_PROXY_ALWAYS : l.expectProxyIf ? RP_PROXY_IF : RP_PROXY_NEVER)
            c.tcp_mode = l.tcpMode ? 1 : 0
            c.contstats = l.contstats ? 1 : 0
            ls.append(c)
        }
        let ss = try servers.map(Self.serverConfig)
        let n = settings.workers > 0 ? settings.workers : CPUPlacement.allowedCPUs().count
        workers = n
        precondition(pages.close.count == Int(RP_PAGES.rawValue) && pages.keep.count == Int(RP_PAGES.rawValue))
        self.pages = (pages.close + pages.keep).map { bytes in
            let b = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            _ = b.initialize(from: bytes)
            return UnsafeMutableBufferPointer(rebasing: b[0..<bytes.count])
        }
        handlerBox = Unmanaged.passRetained(HandlerBox(handler))
        var cfg = rp_engine_cfg()
        cfg.nworkers = Int32(n)
        cfg.maxconn = Int32(settings.maxconn)
        cfg.splice_threshold = Int32(settings.spliceThreshold)
        cfg.cb.ctx = handlerBox.toOpaque()
        cfg.cb.on_request = cbRequest
        cfg.cb.on_response = cbResponse
        cfg.cb.on_redispatch = cbRedispatch
        cfg.cb.on_done = cbDone
        cfg.cb.on_turn = cbTurn
        cfg.cb.on_connection = cbConnection
        cfg.cb.on_expect_proxy = cbExpectProxy
        cfg.cb.on_progress = cbProgress
        var errbuf = [CChar](repeating: 0, count: 512)
        var out: OpaquePointer? = nil
        let p = self.pages, npages = Int(RP_PAGES.rawValue)
        withUnsafeMutablePointer(to: &cfg.pages) { tuple in
            tuple.withMemoryRebound(to: rp_page_bytes.self, capacity: npages) { out in
                for k in 0..<npages {
                    out[k].close = UnsafePointer(p[k].baseAddress); out[k].close_len = UInt32(p[k].count)
                    out[k].keep = UnsafePointer(p[npages + k].baseAddress); out[k].keep_len = UInt32(p[npages + k].count)
                }
            }
        }
        let masks = CPUPlacement.masks(settings.cpus, workers: n)
        let r: Int32 = ls.withUnsafeBufferPointer { lp in
            ss.withUnsafeBufferPointer { sp in
                masks.words.withUnsafeBufferPointer { mp in
                    cfg.nlisteners = Int32(lp.count); cfg.listeners = lp.baseAddress
                    cfg.nservers = Int32(sp.count); cfg.servers = sp.baseAddress
                    cfg.cpu_words = Int32(masks.wordsPerWorker); cfg.cpu_masks = mp.baseAddress
                    return rp_engine_create(&cfg, &out, &errbuf, Int32(errbuf.count))
                }
            }
        }
        // (a throwing init of a fully initialised class runs deinit: it frees the pages and the box)
        if r < 0 { throw EngineError(description: Self.text(errbuf)) }
        engine = out
    }

    /// The engine's view of one server (rp_server_cfg).
    static func serverConfig(_ s: EngineServer) throws -> rp_server_cfg {
        guard let (a, len) = makeSockaddr(host: s.host, port: s.port) else {
            throw EngineError(description: "invalid server address '\(s.host):\(s.port)'")
        }
        var c = rp_server_cfg()
        c.addr = a; c.addrlen = len
        c.maxconn = Int32(clamping: s.maxconn); c.backend = Int32(s.backend)
        c.minconn = Int32(clamping: s.minconn)
        c.be_fullconn = Int32(clamping: s.backendFullconn)
        c.be_first = Int32(s.backendServers.lowerBound); c.be_count = Int32(s.backendServers.count)
        c.maxqueue = Int32(clamping: s.maxqueue)
        c.idle_max = Int32(clamping: s.idleMax)
        c.idle_purge_ms = Int32(clamping: s.idlePurgeMs)
        var opts: Int32 = 0
        if s.keepAlive { opts |= Int32(RP_SRV_KEEPALIVE) }
        if s.noLinger { opts |= Int32(RP_SRV_NOLINGER) }
        if s.tfo { opts |= Int32(RP_SRV_TFO) }
        if let t = s.userTimeoutMs { opts |= Int32(RP_SRV_USER_TIMEOUT); c.user_timeout_ms = UInt32(clamping: t) }
        if let src = s.source, let use = src.usesrc {
            // HAProxy binds only the foreign address (its `source` address is the fallback of
            // systems without transparent proxying, where the connection fails anyway)
            switch use {
            case .client: c.usesrc = Int32(RP_USESRC_CLIENT)
            case .clientIP: c.usesrc = Int32(RP_USESRC_CLIENTIP)
            case .address(let host, let port):
                guard let (sa, _) = makeSockaddr(host: host, port: port), Int32(sa.ss_family) == Int32(a.ss_family) else {
                    throw EngineError(description: "'usesrc \(host)' is not an address of the server's address family ('\(s.host)')")
                }
                c.usesrc = Int32(RP_USESRC_ADDR); c.usesrc_addr = sa
            }
            c.usesrc_alert = UnsafePointer(strdup(UseSourceAlert.line(backend: s.backendName)))   // lives as long as the process
        } else if let src = s.source {
            guard let (sa, slen) = makeSockaddr(host: src.host, port: 0) else {
                throw EngineError(description: "invalid source address '\(src.host)'")
            }
            guard Int32(sa.ss_family) == Int32(a.ss_family) else {
                throw EngineError(description: "source address '\(src.host)' is not of the server's address family ('\(s.host)')")
            }
            opts |= Int32(RP_SRV_SOURCE)
            c.src = sa; c.srclen = slen
            if let r = src.ports { c.src_port_lo = UInt16(r.lowerBound); c.src_port_hi = UInt16(r.upperBound) }
        }
        c.sock_opts = opts
        c.send_proxy = Int32(s.sendProxy)
        c.pp_opts = Int32(s.proxyV2Options)
        if let p = s.socks4 {
            // SOCKS4 names an IPv4 destination only; HAProxy refuses anything else at connect time
            guard let (sa, slen) = makeSockaddr(host: p.host, port: p.port), Int32(sa.ss_family) == AF_INET else {
                throw EngineError(description: "invalid SOCKS4 proxy address '\(p.host):\(p.port)' (an IPv4 address is needed)")
            }
            c.socks4 = 1; c.socks4_addr = sa; c.socks4_addrlen = slen
        }
        return c
    }

    private static func text(_ buf: [CChar]) -> String {
        String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Starts the workers; throws (with every listener closed) when one cannot set up its ring
    /// or its CPU placement.
    package func start() throws {
        var errbuf = [CChar](repeating: 0, count: 512)
        let r = rp_engine_start(engine, &errbuf, Int32(errbuf.count))
        if r < 0 { throw EngineError(description: Self.text(errbuf)) }
    }
    /// Soft: stop accepting, finish what is in flight. Hard: stop now.
    public func stop(soft: Bool) { rp_engine_stop(engine, soft ? 1 : 0) }
    public func join() { rp_engine_join(engine) }
    public var activeConnections: Int { Int(rp_engine_active(engine)) }
    /// Requests a server is serving now, and waiting in its queue (all workers).
    public func serverActive(_ server: Int) -> Int { Int(rp_engine_server_active(engine, Int32(server))) }
    /// Persistent requests waiting in the server's own queue (load-balanced ones wait in the
    /// backend's: `queue(backend:)`).
    public func serverQueued(_ server: Int) -> Int { queue(server: server).current }

    // MARK: runtime control (rp_control.c)

    /// Wakes a worker's loop so that it runs its mailbox now. Any thread.
    public func wake(worker: Int) { rp_engine_wake(engine, Int32(worker)) }
    /// The listening sockets were handed to a new process: stop without shutting them down.
    public func markListenersExported() { rp_engine_set_exported(engine); exported.store(true, ordering: .relaxed) }
    public var listenersExported: Bool { exported.load(ordering: .relaxed) }
    private let exported = Atomic<Bool>(false)
    /// Every listening socket and its listener index (`_getsocks`).
    public func listenerSockets() -> [(fd: Int32, listener: Int)] {
        var fds = [Int32](repeating: -1, count: 4096), idx = [Int32](repeating: -1, count: 4096)
        let n = Int(rp_engine_listener_fds(engine, &fds, &idx, Int32(fds.count)))
        return (0..<n).map { (fds[$0], Int(idx[$0])) }
    }
    public func setServerMaxconn(_ server: Int, _ maxconn: Int) { rp_engine_set_server_maxconn(engine, Int32(server), Int32(maxconn)) }
    public func setFrontendMaxconn(_ frontend: Int, _ maxconn: Int) { rp_engine_set_frontend_maxconn(engine, Int32(frontend), Int32(maxconn)) }
    public func setSessionRate(_ perSecond: Int) { rp_engine_set_session_rate(engine, Int32(perSecond)) }

    // The following run on worker `worker`'s own thread only (a mailbox job).
    public func connections(worker: Int) -> [rp_conn_info] {
        var out = [rp_conn_info](repeating: rp_conn_info(), count: 65536)
        let n = Int(rp_worker_conns(engine, Int32(worker), &out, Int32(out.count)))
        return Array(out[0..<n])
    }
    public func kill(worker: Int, slot: UInt32, generation: UInt32) -> Bool { rp_worker_kill(engine, Int32(worker), slot, generation) != 0 }
    public func killServerSessions(worker: Int, server: Int) -> Int { Int(rp_worker_kill_server(engine, Int32(worker), Int32(server))) }
    /// on-marked-down shutdown-sessions (why `D`), on-marked-up shutdown-backup-sessions (`U`).
    @discardableResult
    public func shutdownServer(worker: Int, server: Int, why: UInt8) -> Int {
        Int(rp_worker_shutdown_server(engine, Int32(worker), Int32(server), CChar(bitPattern: why)))
    }
    public func pauseListener(worker: Int, listener: Int, pause: Bool) -> Int32 { rp_worker_listener_pause(engine, Int32(worker), Int32(listener), pause ? 1 : 0) }
    public func setServerAddress(worker: Int, server: Int, _ addr: sockaddr_storage, _ len: socklen_t) {
        var a = addr
        rp_worker_set_server_addr(engine, Int32(worker), Int32(server), &a, len)
    }
    public func setConnectionLimit(worker: Int, _ limit: Int) { rp_worker_set_limit(engine, Int32(worker), Int32(limit)) }
    public func kick(worker: Int) { rp_worker_kick(engine, Int32(worker)) }

    /// Requests waiting now and at most so far: in a server's own queue (persistent requests),
    /// or with `backend`, in that backend's queue (load-balanced requests). All workers.
    package func queue(server: Int = -1, backend: Int = -1) -> (current: Int, max: Int) {
        var cur: Int32 = 0, mx: Int32 = 0
        rp_engine_queue(engine, Int32(server), Int32(backend), &cur, &mx)
        return (Int(cur), Int(mx))
    }

    /// Sends datagrams through worker `worker`'s ring (call only on that worker's thread).
    package func sendDatagrams(worker: Int, fd: Int32, base: UnsafeMutableRawPointer, stride: Int, count: Int) -> Int {
        Int(rp_worker_send_datagrams(engine, Int32(worker), fd, base, stride, Int32(count)))
    }

    /// Frees the C engine (its workers joined first, stopped hard if they still ran): rings,
    /// sockets, buffers. Nothing may call the engine afterwards. Idempotent.
    package func free() {
        if let e = engine { rp_engine_free(e); engine = nil }
    }

    /// Frees the engine if `free` was not called, then the pages and the handler's box.
    deinit {
        free()
        for b in pages { b.baseAddress?.deallocate() }
        handlerBox.release()
    }
}
