// `http-request normalize-uri`: HAProxy 2.6's URI normalizers (uri_normalizer.c), applied to
// the path and query of the request target (nothing for "*" or an authority). The result is
// written into the sample arena; a malformed percent-encoding under `strict` answers 400, a
// result that does not fit the buffer is a failed rewrite (strict mode decides).

/// What a normalizer did.
enum URINormalizeResult { case done, invalid, failed }

enum URINormalize {
    @inline(__always) static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }
    /// RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
    @inline(__always) static func isUnreserved(_ c: UInt8) -> Bool {
        switch c {
        case 65...90, 97...122, 48...57, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): return true
        default: return false
        }
    }

    /// Writes the normalized form of `pq` (a path and query) into `w`; false for invalid input.
    static func write(_ n: URINormalizer, _ pq: UnsafeRawBufferPointer, _ w: inout ArenaWriter, scratch: SampleArena?) -> Bool {
        var q = 0
        while q < pq.count && pq[q] != UInt8(ascii: "?") { q += 1 }
        let path = UnsafeRawBufferPointer(rebasing: pq[0..<q])
        let rest = UnsafeRawBufferPointer(rebasing: pq[q...])
        switch n {
        case .pathMergeSlashes:
            var prevSlash = false
            for c in path {
                let slash = c == UInt8(ascii: "/")
                if !(slash && prevSlash) { w.byte(c) }
                prevSlash = slash
            }
            w.bytes(rest)
        case .pathStripDot:
            forEachSegment(path) { seg, last in
                if isDot(seg) { if last { w.byte(UInt8(ascii: "/")) }; return }
                w.byte(UInt8(ascii: "/")); w.bytes(seg)
            }
            w.bytes(rest)
        case .pathStripDotDot(let full):
            guard path.count > 0 else { w.bytes(rest); return true }
            // The segments kept, as (start, end) offsets in `path`, on a stack in the scratch.
            let cap = path.count + 1
            guard let scratch, let mem = scratch.allocate(cap * 8) else { w.overflow = true; return true }
            var top = 0
            func push(_ lo: Int, _ hi: Int) {
                mem.storeBytes(of: UInt32(lo), toByteOffset: top * 8, as: UInt32.self)
                mem.storeBytes(of: UInt32(hi), toByteOffset: top * 8 + 4, as: UInt32.self)
                top += 1
            }
            func isKeptDotDot(_ i: Int) -> Bool {
                let lo = Int(mem.loadUnaligned(fromByteOffset: i * 8, as: UInt32.self))
                let hi = Int(mem.loadUnaligned(fromByteOffset: i * 8 + 4, as: UInt32.self))
                return hi - lo == 2 && path[lo] == UInt8(ascii: ".") && path[lo + 1] == UInt8(ascii: ".")
            }
            forEachSegmentRange(path) { lo, hi, last in
                let seg = UnsafeRawBufferPointer(rebasing: path[lo..<hi])
                if seg.count == 2 && seg[0] == UInt8(ascii: ".") && seg[1] == UInt8(ascii: ".") {
                    if top > 0 && !isKeptDotDot(top - 1) { top -= 1 }
                    else if !full { push(lo, hi); return }
                    if last { push(hi, hi) }          // "/a/.." keeps its final slash
                } else {
                    push(lo, hi)
                }
            }
            if top == 0 { w.byte(UInt8(ascii: "/")) }
            for i in 0..<top {
                let lo = Int(mem.loadUnaligned(fromByteOffset: i * 8, as: UInt32.self))
                let hi = Int(mem.loadUnaligned(fromByteOffset: i * 8 + 4, as: UInt32.self))
                w.byte(UInt8(ascii: "/")); w.bytes(UnsafeRawBufferPointer(rebasing: path[lo..<hi]))
            }
            w.bytes(rest)
        case .percentDecodeUnreserved(let strict), .percentToUppercase(let strict):
            let decode: Bool
            if case .percentDecodeUnreserved = n { decode = true } else { decode = false }
            var i = 0
            while i < pq.count {
                let c = pq[i]
                guard c == UInt8(ascii: "%") else { w.byte(c); i += 1; continue }
                guard i + 2 < pq.count, let h = hex(pq[i + 1]), let l = hex(pq[i + 2]) else {
                    if strict { return false }
                    w.byte(c); i += 1; continue
                }
                let v = h << 4 | l
                if decode {
                    if isUnreserved(v) { w.byte(v) } else { w.bytes(UnsafeRawBufferPointer(rebasing: pq[i..<(i + 3)])) }
                } else {
                    w.byte(c); w.byte(Bytes.upper(pq[i + 1])); w.byte(Bytes.upper(pq[i + 2]))
                }
                i += 3
            }
        case .querySortByName:
            w.bytes(path)
            guard rest.count > 1 else { w.bytes(rest); return true }
            w.byte(UInt8(ascii: "?"))
            let query = UnsafeRawBufferPointer(rebasing: rest[1...])
            var params = 1
            for c in query where c == UInt8(ascii: "&") { params += 1 }
            guard let scratch, let mem = scratch.allocate(params * 8) else { w.overflow = true; return true }
            var k = 0, start = 0
            for e in 0...query.count where e == query.count || query[e] == UInt8(ascii: "&") {
                mem.storeBytes(of: UInt32(start), toByteOffset: k * 8, as: UInt32.self)
                mem.storeBytes(of: UInt32(e), toByteOffset: k * 8 + 4, as: UInt32.self)
                k += 1; start = e + 1
            }
            func param(_ i: Int) -> UnsafeRawBufferPointer {
                let lo = Int(mem.loadUnaligned(fromByteOffset: i * 8, as: UInt32.self))
                let hi = Int(mem.loadUnaligned(fromByteOffset: i * 8 + 4, as: UInt32.self))
                return UnsafeRawBufferPointer(rebasing: query[lo..<hi])
            }
            // Stable insertion sort by name (the bytes before '='), as HAProxy's qsort with
            // the position as tie-break.
            for i in 1..<max(1, params) {
                var j = i
                while j > 0 && nameLess(param(j), param(j - 1)) {
                    let a = mem.loadUnaligned(fromByteOffset: j * 8, as: UInt64.self)
                    let b = mem.loadUnaligned(fromByteOffset: (j - 1) * 8, as: UInt64.self)
                    mem.storeBytes(of: a, toByteOffset: (j - 1) * 8, as: UInt64.self)
                    mem.storeBytes(of: b, toByteOffset: j * 8, as: UInt64.self)
                    j -= 1
                }
            }
            for i in 0..<params {
                if i > 0 { w.byte(UInt8(ascii: "&")) }
                w.bytes(param(i))
            }
        case .fragmentStrip:
            var e = 0
            while e < pq.count && pq[e] != UInt8(ascii: "#") { e += 1 }
            w.bytes(UnsafeRawBufferPointer(rebasing: pq[0..<e]))
        case .fragmentEncode:
            for c in pq {
                if c == UInt8(ascii: "#") { w.byte(UInt8(ascii: "%")); w.byte(UInt8(ascii: "2")); w.byte(UInt8(ascii: "3")) }
                else { w.byte(c) }
            }
        }
        return true
    }

    @inline(__always) static func isDot(_ s: UnsafeRawBufferPointer) -> Bool { s.count == 1 && s[0] == UInt8(ascii: ".") }

    /// Names compared as HAProxy's istdiff: bytewise, a prefix first.
    static func nameLess(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        var la = 0; while la < a.count && a[la] != UInt8(ascii: "=") { la += 1 }
        var lb = 0; while lb < b.count && b[lb] != UInt8(ascii: "=") { lb += 1 }
        var i = 0
        while i < la && i < lb {
            if a[i] != b[i] { return a[i] < b[i] }
            i += 1
        }
        return la < lb
    }

    /// Calls `body` with each segment after a '/' of a path that starts with '/'.
    static func forEachSegment(_ path: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Bool) -> Void) {
        forEachSegmentRange(path) { lo, hi, last in body(UnsafeRawBufferPointer(rebasing: path[lo..<hi]), last) }
    }

    static func forEachSegmentRange(_ path: UnsafeRawBufferPointer, _ body: (Int, Int, Bool) -> Void) {
        guard path.count > 0 else { return }
        var lo = path[0] == UInt8(ascii: "/") ? 1 : 0
        while true {
            var hi = lo
            while hi < path.count && path[hi] != UInt8(ascii: "/") { hi += 1 }
            body(lo, hi, hi >= path.count)
            if hi >= path.count { return }
            lo = hi + 1
        }
    }
}

extension RuleContext {
    /// Applies a normalizer to the request view's target.
    func normalizeURI(_ n: URINormalizer) -> URINormalizeResult {
        guard phase == .request, let v = currentView else { return .done }
        let u = v.uriBytes
        guard let pq = URIParts(u).pathQuery else { return .done }
        var w = ArenaWriter(formatArena)
        w.bytes(UnsafeRawBufferPointer(rebasing: u[0..<pq.lowerBound]))
        guard URINormalize.write(n, UnsafeRawBufferPointer(rebasing: u[pq]), &w, scratch: arena) else { return .invalid }
        guard let out = w.finish(formatArena) else { return .failed }
        if Bytes.equal(out, u, ignoreCase: false) { return .done }
        return v.setURI(out) ? .done : .failed
    }
}
