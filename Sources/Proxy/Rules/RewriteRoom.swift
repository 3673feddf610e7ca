// How much a rule may add to a message before HAProxy's buffer would be full, so a rewrite
// fails where HAProxy's fails (strict mode then answers 500: http-rules/strict_rw_mode.vtc).
// HAProxy holds the message in tune.bufsize bytes of HTX (HeadLimits: 41 bytes of bookkeeping,
// 8 per block); it reads at most bufsize − maxrewrite bytes of it, head and body together, so
// maxrewrite is what is left for rewrites when the buffer is full. ringproxy's own buffers
// differ: the room is counted on HAProxy's model from the head and the body bytes received.

extension MessageView {
    /// Limits rewrites of the view just loaded: `headHTX` is the head's HTX size,
    /// `bufferedBody` the body bytes received with it.
    func limitRewrites(headHTX: Int, bufferedBody: Int, _ limits: HeadLimits) {
        var used = headHTX
        if bufferedBody > 0 { used = max(headHTX, min(headHTX + 8 + bufferedBody, limits.bufferSize - limits.effectiveMaxRewrite)) }
        rewriteRoom = max(0, limits.bufferSize - 41 - used)
    }
}

extension RequestHead {
    /// HTX bytes of the request line, headers and end of headers.
    var htxBytes: Int {
        HeadLimits.requestLineHTX(method: Int(method.hi - method.lo), target: Int(target.hi - target.lo)) + headerHTXBytes
    }
}

extension ResponseHead {
    /// HTX bytes of the status line, headers and end of headers.
    var htxBytes: Int {
        let r = MessageView.reasonSpan(self)
        return HeadLimits.statusLineHTX(reason: r.count) + headerHTXBytes
    }
}

extension MessageHead {
    /// Body bytes of this message among the `received` bytes of the buffer (head first):
    /// what HAProxy would hold beside the head (not the next pipelined message).
    func bodyBytesHeld(received: Int) -> Int {
        let after = max(0, received - headLength)
        switch framing {
        case .none: return 0
        case .contentLength(let n): return Int(min(Int64(after), n))
        case .chunked, .untilClose: return after
        }
    }
}
