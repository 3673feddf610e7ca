// One engine worker on an ephemeral loopback port with a fake head handler instead of the
// proxy's HTTP layer: it finds the end of a head, reads Content-Length / chunked / Connection
// with a few string searches, and forwards, answers locally or closes as the path says.
//   GET /local...  answered by the "proxy" (200, keep-alive)
//   GET /close...  answered by the "proxy", then the connection closes
//   anything else  forwarded to server 0 (or /s1... to server 1) as it is
import CUring
import Glibc
import Synchronization

struct HarnessOptions {
    var servers: [UInt16] = []
    var singleShot = false
    var bufringEntries: Int32 = 0
    var spliceThreshold: Int32 = 0
    /// `option splice-response`: every response body is spliced (RP_SPLICE_RESPONSE).
    var spliceResponse = false
    var clientTimeoutMs: UInt32 = 5000
    var httpRequestTimeoutMs: UInt32 = 0
    var keepAliveTimeoutMs: UInt32 = 0
    var connectTimeoutMs: UInt32 = 2000
    var serverTimeoutMs: UInt32 = 5000
    var queueTimeoutMs: UInt32 = 0
    var serverMaxconn: Int32 = 0
    var serverReuse = true
    var abortOnClose = false
    var retries: Int32 = 0
    var failWorker: Int32 = 0
    /// The engine binds 127.0.0.1:port itself (SO_REUSEPORT) instead of taking the test's socket.
    var engineBinds = false
}

/// What the engine reported at the end of an exchange.
struct DoneRecord: Sendable {
    var status: Int
    var term: String
    var server: Int
    var bytesIn: UInt64
    var bytesOut: UInt64
    var tt: Int32
    var tw: Int32
    var requestIndex: UInt32
    var unassigned: Bool
    var splicedReq: UInt64 = 0
    var splicedResp: UInt64 = 0
}

final class FakeHeads: @unchecked Sendable {   // options immutable; `done` behind a mutex
    let options: HarnessOptions
    let done = Mutex<[DoneRecord]>([])
    /// close_after as the engine passed it to each response head (a soft stop sets it).
    let responseCloseAsked = Mutex<[Bool]>([])
    private let localOK: UnsafeMutableBufferPointer<UInt8>
    private let badRequest: UnsafeMutableBufferPointer<UInt8>
    /// The pages the engine sends by itself: "HTTP/1.1 <code> X\r\n...Connection: close", and
    /// the same without the close ("X-Kept: 1") for 502/503/504 to a client that stays.
    let pages: [Int32: UnsafeMutableBufferPointer<UInt8>]
    let keepPages: [Int32: UnsafeMutableBufferPointer<UInt8>]

    init(options: HarnessOptions) {
        self.options = options
        localOK = Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nlocal")
        badRequest = Self.bytes("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        var p: [Int32: UnsafeMutableBufferPointer<UInt8>] = [:], k = p
        for code: Int32 in [400, 408, 502, 503, 504] {
            p[code] = Self.bytes("HTTP/1.1 \(code) X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            k[code] = Self.bytes("HTTP/1.1 \(code) X\r\nContent-Length: 0\r\nX-Kept: 1\r\n\r\n")
        }
        pages = p; keepPages = k
    }
    deinit {
        localOK.deallocate(); badRequest.deallocate()
        pages.values.forEach { $0.deallocate() }; keepPages.values.forEach { $0.deallocate() }
    }

    static func bytes(_ s: String) -> UnsafeMutableBufferPointer<UInt8> {
        let a = Array(s.utf8)
        let b = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: a.count)
        _ = b.initialize(from: a)
        return b
    }

    var records: [DoneRecord] { done.withLock { $0 } }

    /// The head's length (through the blank line), or nil when incomplete.
    static func headLength(_ p: UnsafeRawBufferPointer) -> Int? {
        guard p.count >= 4 else { return nil }
        for i in 0...(p.count - 4) where p[i] == 13 && p[i + 1] == 10 && p[i + 2] == 13 && p[i + 3] == 10 { return i + 4 }
        return nil
    }

    /// Header value (first), names compared case-insensitively.
    static func header(_ head: String, _ name: String) -> String? {
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name { return parts[1].trimmingCharacters(in: " ").lowercased() }
        }
        return nil
    }

    static func setHead(_ call: UnsafeMutablePointer<rp_head_call>, _ len: Int) {
        withUnsafeMutablePointer(to: &call.pointee.iov) { t in
            t.withMemoryRebound(to: iovec.self, capacity: Int(RP_MAX_IOV)) { iov in
                iov[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: call.pointee.buf), iov_len: len)
            }
        }
        call.pointee.iovcnt = 1
        call.pointee.head_len = UInt32(len)
    }

    func onRequest(_ call: UnsafeMutablePointer<rp_head_call>) {
        let bytes = UnsafeRawBufferPointer(start: call.pointee.buf, count: Int(call.pointee.len))
        guard let n = Self.headLength(bytes) else {
            if call.pointee.head_too_big != 0 { respond(call, badRequest, status: 400, close: true) }
            return
        }
        let head = String(decoding: bytes[0..<n], as: UTF8.self)
        let target = head.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let close = Self.header(head, "connection") == "close"
        if let cl = Self.header(head, "content-length").flatMap({ Int64($0) }) {
            call.pointee.body = Int32(RP_BODY_LENGTH.rawValue); call.pointee.body_len = cl
        } else if Self.header(head, "transfer-encoding") == "chunked" {
            call.pointee.body = Int32(RP_BODY_CHUNKED.rawValue)
        } else {
            call.pointee.body = Int32(RP_BODY_NONE.rawValue)
        }
        if target.hasPrefix("/local") { call.pointee.head_len = UInt32(n); respond(call, localOK, status: 200, close: close); return }
        if target.hasPrefix("/close") { call.pointee.head_len = UInt32(n); respond(call, localOK, status: 200, close: true); return }
        Self.setHead(call, n)
        let o = options
        call.pointee.verdict = Int32(RP_FORWARD.rawValue)
        call.pointee.server_out = target.hasPrefix("/s1") ? 1 : 0
        call.pointee.close_after = close ? 1 : 0
        call.pointee.server_reuse = o.serverReuse ? 1 : 0
        call.pointee.connect_timeout_ms = o.connectTimeoutMs
        // `?timeout=MS` in the target: this request's server timeout (others keep the option's)
        let own = target.split(separator: "timeout=").dropFirst().first.flatMap { UInt32($0.prefix { $0.isNumber }) }
        call.pointee.server_timeout_ms = own ?? o.serverTimeoutMs
        call.pointee.queue_timeout_ms = o.queueTimeoutMs
        call.pointee.retries = o.retries
        call.pointee.abort_on_close = o.abortOnClose ? 1 : 0
        if o.spliceResponse { call.pointee.splice = Int32(RP_SPLICE_RESPONSE) }
    }

    private func respond(_ call: UnsafeMutablePointer<rp_head_call>, _ page: UnsafeMutableBufferPointer<UInt8>, status: Int32, close: Bool) {
        call.pointee.verdict = Int32(RP_RESPOND.rawValue)
        call.pointee.resp = UnsafePointer(page.baseAddress)
        call.pointee.resp_len = UInt32(page.count)
        call.pointee.status_hint = status
        call.pointee.close_after = close ? 1 : 0
    }

    func onResponse(_ call: UnsafeMutablePointer<rp_head_call>) {
        let bytes = UnsafeRawBufferPointer(start: call.pointee.buf, count: Int(call.pointee.len))
        guard let n = Self.headLength(bytes) else { return }
        let head = String(decoding: bytes[0..<n], as: UTF8.self)
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int32($0) } ?? 0
        guard head.hasPrefix("HTTP/1."), status >= 100 else {
            let close = call.pointee.close_after != 0       // the client's own wish, or a stop
            respond(call, close ? pages[502]! : keepPages[502]!, status: 502, close: close)
            return
        }
        Self.setHead(call, n)
        if status < 200 { call.pointee.verdict = Int32(RP_INTERIM.rawValue); return }
        let asked = call.pointee.close_after != 0
        responseCloseAsked.withLock { $0.append(asked) }
        var close = asked || Self.header(head, "connection") == "close"
        if status == 204 || status == 304 {
            call.pointee.body = Int32(RP_BODY_NONE.rawValue)
        } else if let cl = Self.header(head, "content-length").flatMap({ Int64($0) }) {
            call.pointee.body = Int32(RP_BODY_LENGTH.rawValue); call.pointee.body_len = cl
        } else if Self.header(head, "transfer-encoding") == "chunked" {
            call.pointee.body = Int32(RP_BODY_CHUNKED.rawValue)
        } else {
            call.pointee.body = Int32(RP_BODY_CLOSE.rawValue); close = true
        }
        call.pointee.verdict = Int32(RP_FORWARD.rawValue)
        call.pointee.status_hint = status
        call.pointee.close_after = close ? 1 : 0
        if close || Self.header(head, "connection") == "close" { call.pointee.server_reuse = 0 }
    }

    func onDone(_ info: UnsafePointer<rp_done_info>) {
        let i = info.pointee
        let term = String(decoding: [UInt8(bitPattern: i.term.0), UInt8(bitPattern: i.term.1)], as: UTF8.self)
        let r = DoneRecord(status: Int(i.status), term: term, server: Int(i.server), bytesIn: i.bytes_in,
                           bytesOut: i.bytes_out, tt: i.tt, tw: i.tw, requestIndex: i.request_index,
                           unassigned: i.unassigned != 0, splicedReq: i.spliced_req, splicedResp: i.spliced_resp)
        done.withLock { $0.append(r) }
    }
}

private func fakeHeads(_ ctx: UnsafeMutableRawPointer?) -> FakeHeads { Unmanaged<FakeHeads>.fromOpaque(ctx!).takeUnretainedValue() }

/// A started engine with one worker.
final class EngineHarness {
    let heads: FakeHeads
    let port: UInt16
    private var engine: OpaquePointer?
    private var listenFD: Int32

    init(_ options: HarnessOptions) throws {
        heads = FakeHeads(options: options)
        var l = try Sockets.listen()
        var lc = rp_listener_cfg()
        lc.fd = l.fd
        if options.engineBinds {
            close(l.fd); l.fd = -1
            lc.fd = -1
            var a = Sockets.loopback(port: l.port)
            withUnsafeMutableBytes(of: &lc.addr) { d in withUnsafeBytes(of: &a) { d.copyMemory(from: $0) } }
            lc.addrlen = socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        listenFD = l.fd; port = l.port
        lc.client_timeout_ms = options.clientTimeoutMs
        lc.http_request_timeout_ms = options.httpRequestTimeoutMs
        lc.keepalive_timeout_ms = options.keepAliveTimeoutMs
        var servers = options.servers.map { p -> rp_server_cfg in
            var s = rp_server_cfg()
            var a = Sockets.loopback(port: p)
            withUnsafeMutableBytes(of: &s.addr) { d in withUnsafeBytes(of: &a) { d.copyMemory(from: $0) } }
            s.addrlen = socklen_t(MemoryLayout<sockaddr_in>.size)
            s.maxconn = options.serverMaxconn
            return s
        }
        var cfg = rp_engine_cfg()
        cfg.nworkers = 1
        cfg.maxconn = 256
        cfg.splice_threshold = options.spliceThreshold
        cfg.recv_single = options.singleShot ? 1 : 0
        cfg.bufring_entries = options.bufringEntries
        cfg.test_hooks = 1
        cfg.test_fail_worker = options.failWorker
        cfg.cb.ctx = Unmanaged.passUnretained(heads).toOpaque()
        cfg.cb.on_request = { ctx, call in fakeHeads(ctx).onRequest(call!) }
        cfg.cb.on_response = { ctx, call in fakeHeads(ctx).onResponse(call!) }
        cfg.cb.on_done = { ctx, info in fakeHeads(ctx).onDone(info!) }
        cfg.cb.on_redispatch = { _, _, _, _, _, _ in -1 }
        let pg = heads.pages, kp = heads.keepPages
        withUnsafeMutablePointer(to: &cfg.pages) { t in
            t.withMemoryRebound(to: rp_page_bytes.self, capacity: Int(RP_PAGES.rawValue)) { out in
                for (i, code) in [Int32(400), 408, 502, 503, 504].enumerated() {
                    out[i] = rp_page_bytes(close: UnsafePointer(pg[code]!.baseAddress), close_len: UInt32(pg[code]!.count),
                                           keep: UnsafePointer(kp[code]!.baseAddress), keep_len: UInt32(kp[code]!.count))
                }
            }
        }
        var err = [CChar](repeating: 0, count: 256)
        var out: OpaquePointer? = nil
        let r = withUnsafePointer(to: &lc) { lp in
            servers.withUnsafeMutableBufferPointer { sp in
                cfg.nlisteners = 1; cfg.listeners = lp
                cfg.nservers = Int32(sp.count); cfg.servers = UnsafePointer(sp.baseAddress)
                return rp_engine_create(&cfg, &out, &err, Int32(err.count))
            }
        }
        guard r == 0, let out else { if l.fd >= 0 { close(l.fd) }; throw SocketError("rp_engine_create: \(String(cString: err))") }
        engine = out
        let s = rp_engine_start(out, &err, Int32(err.count))
        guard s == 0 else {
            rp_engine_free(out); engine = nil; if l.fd >= 0 { close(l.fd) }
            throw SocketError("rp_engine_start: \(String(cString: err))")
        }
    }

    /// Soft or hard stop, join, free; idempotent.
    func stop(soft: Bool = false) {
        guard let e = engine else { return }
        rp_engine_stop(e, soft ? 1 : 0)
        rp_engine_join(e)
        rp_engine_free(e)
        engine = nil
        if listenFD >= 0 { close(listenFD); listenFD = -1 }
    }
    deinit { stop() }

    /// Asks the engine to stop softly without waiting (the test watches what follows).
    func beginSoftStop() { if let e = engine { rp_engine_stop(e, 1) } }

    func stats() -> rp_worker_stats {
        var s = rp_worker_stats()
        if let e = engine { _ = rp_engine_worker_stats(e, 0, &s) }
        return s
    }

    /// A snapshot taken after at least one more loop turn than now.
    func freshStats() -> rp_worker_stats {
        let t = stats().turns
        _ = eventually(2000) { stats().turns > t + 1 }
        return stats()
    }

    /// Waits until no connection is open or closing and no operation is in flight.
    func quiescent(timeoutMs: Int64 = 5000) -> Bool {
        eventually(timeoutMs) { let s = stats(); return s.active == 0 && s.closing == 0 && s.inflight == 0 }
    }

    func client() throws -> TestClient { try TestClient(port: port) }

    /// The engine's queue counters: backend 0's (load-balanced requests) or a server's.
    func queue(server: Int32 = -1, backend: Int32 = -1) -> (current: Int32, max: Int32) {
        var cur: Int32 = 0, mx: Int32 = 0
        if let e = engine { rp_engine_queue(e, server, backend, &cur, &mx) }
        return (cur, mx)
    }
}
