// The spec's observation harness (Appendix B): answer with the server name and the request
// head exactly as received, steered by query options.

/// Query options (all combinable, `setck` repeatable):
/// `setck=NAME=VAL` → `Set-Cookie: NAME=VAL; path=/`; `cc=V` → `Cache-Control: V`;
/// `hdr=Name:Value` → any response header (repeatable; e.g. `Expires`, `ETag`,
/// `Last-Modified` for the cacheability rules of `nocache`);
/// `status=NNN`; `sleep=MS` before answering; `close=1` → close without answering (after
/// the sleep, if any); `reset=1` → the same with a TCP reset (RST) instead of a FIN;
/// `size=N` → N bytes of `BodyPattern` instead of the echo; `chunked=1` → chunked response;
/// `hash=1` → body `bytes=N fnv1a64=HEX\n` of the request body.
struct EchoResponder: OriginResponder {
    func reply(to request: OriginRequest, serverName: String) -> OriginReply {
        var reply = OriginReply()
        var response = OriginResponse()
        response.headers.append(("X-Server", serverName))
        response.headers.append(("Content-Type", "text/plain"))
        var size: Int?
        var hash = false
        var close = false
        for (name, value) in request.query {
            switch name {
            case "setck": response.headers.append(("Set-Cookie", "\(value); path=/"))
            case "cc": response.headers.append(("Cache-Control", value))
            case "hdr":
                if let colon = value.firstIndex(of: ":"), colon != value.startIndex {
                    response.headers.append((String(value[..<colon]),
                                             String(value[value.index(after: colon)...].trimmingBlanks())))
                }
            case "status": if let s = Int(value), (100...999).contains(s) { response.status = s }
            case "sleep": reply.delayMilliseconds = max(0, Int(value) ?? 0)
            case "close": close = close || value == "1"
            case "reset":
                reply.reset = value == "1"
                close = close || reply.reset
            case "size": size = Int(value).map { max(0, $0) }
            case "chunked": response.chunked = value == "1"
            case "hash": hash = value == "1"
            default: break
            }
        }
        if close { return reply } // response stays nil
        if let size {
            response.body = .pattern(count: size)
        } else if hash {
            let line = "bytes=\(request.body.count) fnv1a64=\(FNV1a64.hex(FNV1a64.hash(request.body)))\n"
            response.body = .bytes(Array(line.utf8))
        } else {
            response.body = .bytes(Array((serverName + "\n").utf8) + request.rawHead)
        }
        reply.response = response
        return reply
    }
}
