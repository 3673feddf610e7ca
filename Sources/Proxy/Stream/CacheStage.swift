// The HTTP cache in the stream layer. A hit (found by `http-request cache-use`) is answered
// the way `http-request return` is: the stored head goes through the backend's then the
// frontend's http-response rules and the http-after-response rules (HAProxy runs them on its
// cache applet's response too), and the engine sends the bytes as a local answer. A response
// `http-response cache-store` keeps is copied by the engine as it is forwarded (capture_max),
// and stored when its exchange ends complete. Proxies without a cache never get here.

import CUring

extension StreamHandler {
    /// Answers the request from the cache when cache-use found a fresh entry; false otherwise.
    func serveCacheHit(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ wr: WorkerRules, _ slotIndex: Int,
                       _ slot: inout StreamSlot, _ fe: FrontendPlan, _ be: BackendPlanInfo, _ head: RequestHead) -> Bool {
        guard let st = wr.existingSlot(slotIndex), let e = st.cache.hit, let compiled = rules else { return false }
        let ctx = wr.context
        let bp = compiled.proxies[be.proxy]
        let fp = compiled.proxies[fe.proxy]
        let notModified = st.cache.notModified
        let now = WallClock.nowMs() / 1000
        let v = ctx.response
        v.loadLocal(status: e.head.status)
        let stored = e.head.reason.withUnsafeBytes { v.setStatus(e.head.status, reason: $0) }
        var ok = stored
        if notModified { ok = ok && Self.notModifiedReason.withUnsafeBytes { v.setStatus(304, reason: $0) } }
        for h in e.head.headers where ok {
            ok = h.name.withUnsafeBytes { n in h.value.withUnsafeBytes { v.append(name: n, value: $0) } }
        }
        if ok && !e.head.contentLength && !notModified {
            ok = Self.bytes("content-length").withUnsafeBytes { n in Array(String(e.body.count).utf8).withUnsafeBytes { v.append(name: n, value: $0) } }
        }
        if ok { ok = Self.bytes("age").withUnsafeBytes { n in Array(String(e.age(now: now)).utf8).withUnsafeBytes { v.append(name: n, value: $0) } } }
        guard ok else { st.cache.hit = nil; return false }       // too large for the view: the server answers
        ctx.arena.reset()
        ctx.formatArena.reset()
        ctx.responseLoaded = true
        ctx.requestLoaded = false
        ctx.phase = .response
        ctx.status = v.status
        ctx.backend = Int(slot.backend)
        ctx.server = -1
        var outcome: RuleOutcome = .next
        if let bp, !bp.httpResponse.isEmpty { outcome = ctx.run(bp.httpResponse, of: bp) }
        if case .reply = outcome {} else if let fp, fp !== bp, !fp.httpResponse.isEmpty { outcome = ctx.run(fp.httpResponse, of: fp) }
        if case .reply(let kind) = outcome {
            localReply(kind, requestSide: false, call, w, wr, slotIndex, &slot, fe, head, fe: fp, be: bp)
            return true
        }
        afterResponseRules(wr, fe: fp, be: bp)
        st.localStatus = v.status
        st.termination = (UInt8(ascii: "L"), UInt8(ascii: "R"))     // HAProxy logs a hit LR--
        let mode: ConnectionMode = fe.clientMode == .close || be.clientMode == .close ? .close : .keepAlive
        let clientClose = !ConnectionPolicy.clientKeepsAlive(head, mode: mode)
        let sendsBody = !(head.isHead || notModified || v.status == 304 || v.status == 204)
        let fits = !sendsBody || e.body.count + v.htxDataBytes(request: false) + 1024 <= ReplyWriter.capacity
        let close: Bool
        if fits {
            let written = e.body.withUnsafeBytes { b in
                wr.writer.write(v, body: sendsBody ? b : UnsafeRawBufferPointer(start: nil, count: 0), requestMinor: head.versionMinor,
                                clientWantsClose: clientClose, httpClose: fp?.httpClose ?? false)
            }
            close = written.close
            respondBytes(call, written.0, status: v.status, close: close)
        } else {
            // larger than the reply writer: the head, then the body, in one answer the engine copies
            let written = wr.writer.write(v, body: UnsafeRawBufferPointer(start: nil, count: 0), requestMinor: head.versionMinor,
                                          clientWantsClose: clientClose, httpClose: fp?.httpClose ?? false)
            close = written.close
            respond(call, Array(written.0) + e.body, w, status: v.status, close: close)
        }
        slot.closeAfter = close
        w.slots[slotIndex] = slot
        return true
    }

    /// After the response head: asks the engine for a copy of the body when cache-store keeps it.
    func armCacheCapture(_ call: UnsafeMutablePointer<rp_head_call>, _ wr: WorkerRules, _ slotIndex: Int, _ head: ResponseHead) {
        guard let st = wr.existingSlot(slotIndex), var p = st.cache.pending, let compiled = rules else { return }
        guard call.pointee.tunnel == 0 else { st.cache.pending = nil; return }
        p.chunked = head.framing == .chunked
        st.cache.pending = p
        let maxObject = compiled.caches[p.cache].maxObjectSize
        // chunk framing takes room too: room for it, the decoded size is checked when storing
        let bound = p.chunked ? maxObject * 2 + 4096 : maxObject
        call.pointee.capture_max = UInt32(clamping: bound)
    }

    /// The end of an exchange: stores the response cache-store kept, when its body came whole.
    func finishCacheStore(_ info: rp_done_info, _ wr: WorkerRules, _ slotIndex: Int) {
        guard let st = wr.existingSlot(slotIndex), let p = st.cache.pending, let compiled = rules else { return }
        st.cache.pending = nil
        guard let raw = info.capture, info.status == Int32(p.head.status) else { return }
        let bytes = UnsafeRawBufferPointer(start: raw, count: Int(info.capture_len))
        let body: [UInt8]
        if p.chunked {
            guard let b = ChunkedBodyDecoder.decode(bytes) else { return }
            body = b
        } else {
            body = Array(bytes)
        }
        compiled.caches[p.cache].insert(CacheEntry(head: p.head, body: body))
    }

    /// HAProxy logs a hit as served by its cache applet: server `<CACHE>`, Tw/Tc/Tr 0.
    func cacheHitLog(_ r: inout HTTPLogRecord) {
        r.server = "<CACHE>"
        r.tw = 0; r.tc = 0; r.tr = 0
    }

    static let notModifiedReason = Array("Not Modified".utf8)
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
}
