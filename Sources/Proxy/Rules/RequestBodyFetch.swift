// The body fetches (req.body, req.body_len, req.body_size, req.body_param; res.body,
// res.body_len, res.body_size): what of the body is in the buffer when the rules run, as
// HAProxy sees it with `option http-buffer-request` or `wait-for-body` (without them,
// nothing: the stream layer hands over no body and the fetches find none, as HAProxy's do
// before any body byte is analysed). A chunked body is read without its framing (HAProxy's
// HTX holds only the data), copied into the arena.

import CUring

/// The body bytes the stream layer handed to the rules for this request.
struct RequestBodyBytes {
    /// Bytes after the head that are in the buffer (framing included when chunked).
    var raw = UnsafeRawBufferPointer(start: nil, count: 0)
    var chunked = false
    /// Content-Length when the request has one, else -1.
    var declaredLength: Int64 = -1
    /// The rules may read it (the proxy waited for it).
    var available = false
}

extension RuleContext {
    func bodySample(_ f: Fetch) -> Sample? {
        let b: RequestBodyBytes
        switch f {
        case .responseBody, .responseBodyLength, .responseBodySize:
            guard responseLoaded, phase == .response else { return nil }
            b = responseBody
        default:
            guard requestLoaded, phase == .request else { return nil }
            b = body
        }
        guard b.available, let data = bodyData(b) else { return nil }
        switch f {
        case .requestBody, .responseBody: return .binary(data)
        case .requestBodyLength, .responseBodyLength: return .int(Int64(data.count))
        default:
            // HAProxy: the announced length (Content-Length), else what is there.
            return .int(b.declaredLength >= 0 ? b.declaredLength : Int64(data.count))
        }
    }

    /// The body's data: the bytes themselves, or for a chunked body its chunks' data joined in
    /// the arena (what has arrived of it).
    func bodyData(_ body: RequestBodyBytes) -> UnsafeRawBufferPointer? {
        if !body.chunked {
            let n = body.declaredLength >= 0 ? min(body.raw.count, Int(clamping: body.declaredLength)) : body.raw.count
            return UnsafeRawBufferPointer(rebasing: body.raw[0..<n])
        }
        guard let out = arena.allocate(max(body.raw.count, 1)) else { return nil }
        var n = 0
        ChunkedBody.forEachData(body.raw) { part in
            out.advanced(by: n).copyMemory(from: part.baseAddress!, byteCount: part.count)
            n += part.count
        }
        return UnsafeRawBufferPointer(start: out, count: n)
    }

    /// `req.body_param([NAME])` (2.6 takes no case flag): the body read as `a=1&b=2` (HAProxy's smp_fetch_body_param).
    func bodyParamValue(_ name: [UInt8], _ ignoreCase: Bool, _ c: inout FetchCursor) -> Sample? {
        guard !c.done, requestLoaded, phase == .request, body.available, let u = bodyData(body) else { c.done = true; return nil }
        var pos = c.offset
        while pos < u.count {
            var end = pos
            while end < u.count && u[end] != UInt8(ascii: "&") { end += 1 }
            var valueStart = -1
            if name.isEmpty {
                var eq = pos
                while eq < end && u[eq] != UInt8(ascii: "=") { eq += 1 }
                valueStart = eq < end ? eq + 1 : end
            } else if end - pos >= name.count, name.withUnsafeBytes({ Bytes.equalPrefix(u, pos, $0, ignoreCase: ignoreCase) }),
                      end - pos == name.count || u[pos + name.count] == UInt8(ascii: "=") {
                valueStart = min(pos + name.count + 1, end)
            }
            pos = end + 1
            if valueStart >= 0 {
                c.offset = pos
                if !c.iterate { c.done = true }
                return .string(UnsafeRawBufferPointer(rebasing: u[valueStart..<end]))
            }
        }
        c.done = true
        return nil
    }
}

/// Walks a chunked body's framing and hands over the data of each chunk (what is complete
/// of it); stops at the last chunk or where the bytes end.
enum ChunkedBody {
    static func forEachData(_ b: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var i = 0
        while i < b.count {
            var size = 0, digits = 0
            while i < b.count, let h = URLCoding.hexVal(b[i]) { size = size &* 16 &+ Int(h); digits += 1; i += 1 }
            if digits == 0 || digits > 15 { return }
            while i < b.count && b[i] != UInt8(ascii: "\n") { i += 1 }            // extensions, CR
            i += 1
            if size == 0 || i >= b.count { return }
            let n = min(size, b.count - i)
            body(UnsafeRawBufferPointer(rebasing: b[i..<(i + n)]))
            i += n
            if n < size { return }
            while i < b.count && b[i] != UInt8(ascii: "\n") { i += 1 }            // CRLF after the data
            i += 1
        }
    }

    /// True when `b` holds a whole chunked body (up to the end of its trailers).
    static func isComplete(_ b: UnsafeRawBufferPointer) -> Bool {
        guard b.count > 0 else { return false }
        var c = rp_chunk()
        rp_chunk_init(&c)
        var used = 0
        return rp_chunk_scan(&c, b.baseAddress!.assumingMemoryBound(to: UInt8.self), b.count, &used) == Int32(RP_CHUNK_DONE)
    }
}
