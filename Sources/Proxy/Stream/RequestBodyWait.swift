// `option http-buffer-request`: a request whose body is not all in the buffer yet is not
// processed; the engine keeps reading (RP_NEED_MORE with body_wait) and calls again, until
// the body is whole, the buffer is full, or the client leaves (client_closed: decided with
// what is there; HAProxy then logs CR with no server) or times out (the engine's 408, cR).
// Only frontends that can reach the option pay for this (FrontendPlan.waitsForBody).

import CUring
#if canImport(Glibc)
import Glibc
#endif

enum RequestBodyWait {
    /// Whether the body is still to come. A CONNECT, a body-less request, one that expects a
    /// `100 Continue` (ringproxy does not send HAProxy's own interim answer: the server does)
    /// and a full buffer go on at once.
    static func mustWait(_ head: RequestHead, body: UnsafeRawBufferPointer, bufferFull: Bool) -> Bool {
        if bufferFull || head.isConnect || head.expectContinue { return false }
        switch head.framing {
        case .contentLength(let n): return Int64(body.count) < n
        case .chunked: return !ChunkedBody.isComplete(body)
        case .none, .untilClose: return false
        }
    }

    /// Frontends whose requests wait: the option on the frontend, or on a backend it names
    /// (default_backend, its own, or any use_backend target). HAProxy waits in the backend
    /// for a backend's option, after the frontend's rules; ringproxy waits before them.
    static func frontendWaits(_ config: Configuration, _ topo: Topology, frontend p: ProxyConfig, ownBackend: Int?) -> Bool {
        reaches(config, topo, frontend: p, ownBackend: ownBackend) { $0.connection.bufferRequest || BodyWaitRules.any($0.rules.httpRequest) }
    }

    /// Whether the frontend or a backend it can route to satisfies `test`.
    static func reaches(_ config: Configuration, _ topo: Topology, frontend p: ProxyConfig, ownBackend: Int?,
                        _ test: (ProxyConfig) -> Bool) -> Bool {
        if test(p) { return true }
        func named(_ name: String?) -> Bool {
            guard let name, let bi = topo.backendByName[name] else { return false }
            return test(config.proxies[topo.backends[bi].proxy])
        }
        if let own = ownBackend, test(config.proxies[topo.backends[own].proxy]) { return true }
        if named(p.defaultBackend) { return true }
        if p.useBackends.contains(where: { $0.dynamic != nil }) {
            return config.proxies.contains { $0.kind == .backend && test($0) }
        }
        return p.useBackends.contains { named($0.backend) }
    }

    /// The proxies with `http-request wait-for-body` rules among the frontend (configuration
    /// index `fp`) and the backends it can reach, the frontend first (configuration indexes).
    static func waitForBodyProxies(_ config: Configuration, _ topo: Topology, frontend fp: Int, ownBackend: Int?) -> [Int] {
        let p = config.proxies[fp]
        var found: [Int] = []
        func add(_ i: Int) { if BodyWaitRules.any(config.proxies[i].rules.httpRequest) && !found.contains(i) { found.append(i) } }
        add(fp)
        if let own = ownBackend { add(topo.backends[own].proxy) }
        func named(_ name: String?) { if let name, let bi = topo.backendByName[name] { add(topo.backends[bi].proxy) } }
        named(p.defaultBackend)
        if p.useBackends.contains(where: { $0.dynamic != nil }) {
            for i in config.proxies.indices where config.proxies[i].kind == .backend { add(i) }
        } else {
            for u in p.useBackends { named(u.backend) }
        }
        return found
    }
}

extension StreamHandler {
    /// The request's body is awaited: remember its line for the log of a 408 and ask for more.
    func awaitBody(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int,
                   _ fe: FrontendPlan, _ head: RequestHead, _ bytes: UnsafeRawBufferPointer, consumed: Int) -> Bool {
        let body = UnsafeRawBufferPointer(rebasing: bytes[consumed...])
        guard fe.waitsForBody, call.pointee.client_closed == 0,
              RequestBodyWait.mustWait(head, body: body, bufferFull: call.pointee.head_too_big != 0) else { return false }
        // a wait-for-body rule that applies bounds the wait; http-buffer-request alone waits
        // for the head's timeout
        var ms = 0
        if !fe.bodyWaitProxies.isEmpty, let t = requestBodyWait(call, w, slotIndex, fe, head, body: body) { ms = t }
        else if !fe.buffersRequest { return false }
        call.pointee.inspect_ms = UInt32(clamping: ms)
        var slot = StreamSlot()
        slot.frontend = call.pointee.frontend
        slot.waitingBody = true
        if !fe.log.loggers.isEmpty { slot.requestLineLength = w.lines.save(slot: slotIndex, head) }
        w.slots[slotIndex] = slot
        call.pointee.body_wait = 1
        return true
    }

    /// The body bytes in the buffer: the data itself, or a chunked body's first chunk.
    static func bodyBytes(_ call: UnsafeMutablePointer<rp_head_call>, _ head: RequestHead) -> UnsafeRawBufferPointer {
        let at = Int(call.pointee.head_len), len = Int(call.pointee.len)
        guard at <= len else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        var raw = UnsafeRawBufferPointer(start: call.pointee.buf + at, count: len - at)
        switch head.framing {
        case .contentLength(let n): raw = UnsafeRawBufferPointer(rebasing: raw[0..<min(raw.count, Int(clamping: n))])
        case .chunked:
            var first = UnsafeRawBufferPointer(start: nil, count: 0)
            var seen = false
            ChunkedBody.forEachData(raw) { part in if !seen { first = part; seen = true } }
            raw = first
        default: break
        }
        return raw
    }

    /// The local address of an accepted socket (dst, dst_port, %fi, %fp), asked only by
    /// configurations that read it.
    static func localAddress(fd: Int32) -> (ClientAddress, Int)? {
        guard fd >= 0 else { return nil }
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &ss) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { return nil }
        return withUnsafePointer(to: &ss) { p in
            let a = clientAddress(p)
            return a == .none ? nil : (a, socketAddress(p) ?? 0)
        }
    }
}
