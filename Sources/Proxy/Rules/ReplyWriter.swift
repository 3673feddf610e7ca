// Serialises a reply the proxy makes (the response view and its body) as HAProxy 2.6's H1 mux
// writes an HTX response: `HTTP/1.x CODE REASON`, header names in lower case, `close` and
// `keep-alive` tokens taken out of Connection headers, then the mux's own `connection:`
// header last (close when the connection will be closed and the reply is HTTP/1.1,
// keep-alive when it stays open for an HTTP/1.0 side). One writer per worker; the bytes stay
// valid until the next reply (the engine copies them).

public final class ReplyWriter {
    public static let capacity = 64 * 1024
    let buffer: UnsafeMutableRawPointer
    public init() { buffer = .allocate(byteCount: ReplyWriter.capacity, alignment: 16) }
    deinit { buffer.deallocate() }

    /// The bytes, and whether the client connection closes after them.
    func write(_ v: MessageView, body: UnsafeRawBufferPointer, requestMinor: Int, clientWantsClose: Bool,
               httpClose: Bool) -> (UnsafeRawBufferPointer, close: Bool) {
        var w = Writer(buffer, ReplyWriter.capacity)
        // What the Connection headers say, and whether the length is known.
        var connClose = false, connKeepAlive = false, hasLength = false
        for i in 0..<v.entryCount where v.isLive(i) {
            if v.nameIs(i, HeaderNames.connectionName) {
                Self.forEachToken(v.value(i)) { t in
                    if Bytes.equal(t, HeaderNames.closeValue, ignoreCase: true) { connClose = true }
                    else if Bytes.equal(t, HeaderNames.keepAliveValue, ignoreCase: true) { connKeepAlive = true }
                }
            } else if v.nameIs(i, HeaderNames.contentLengthName) || v.nameIs(i, HeaderNames.transferEncodingName) {
                hasLength = true
            }
        }
        if v.status == 204 || v.status == 304 || v.status < 200 { hasLength = true }
        let close = clientWantsClose || !hasLength || connClose || (httpClose && !connKeepAlive)

        w.text("HTTP/1.")
        w.byte(v.versionMinor == 1 ? UInt8(ascii: "1") : UInt8(ascii: "0"))
        w.byte(32)
        w.decimal(v.status)
        w.byte(32)
        w.bytes(v.reasonBytes)
        w.text("\r\n")
        for i in 0..<v.entryCount where v.isLive(i) {
            let value = v.value(i)
            if v.nameIs(i, HeaderNames.connectionName) {
                // Other tokens (e.g. upgrade) stay.
                var first = true
                var any = false
                Self.forEachToken(value) { t in
                    if Bytes.equal(t, HeaderNames.closeValue, ignoreCase: true) || Bytes.equal(t, HeaderNames.keepAliveValue, ignoreCase: true) { return }
                    if first { w.lower(v.name(i)); w.text(": "); first = false } else { w.text(", ") }
                    w.bytes(t); any = true
                }
                if any { w.text("\r\n") }
                continue
            }
            w.lower(v.name(i))
            w.text(": ")
            w.bytes(v.wireValue(i))
            w.text("\r\n")
        }
        if close {
            if v.versionMinor == 1 { w.text("connection: close\r\n") }
        } else if v.versionMinor == 0 || requestMinor == 0 {
            w.text("connection: keep-alive\r\n")
        }
        w.text("\r\n")
        w.bytes(body)
        return (UnsafeRawBufferPointer(start: buffer, count: w.count), close)
    }

    /// The comma-separated tokens of a value, trimmed.
    static func forEachToken(_ v: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var s = 0
        while s <= v.count {
            var e = s
            while e < v.count && v[e] != UInt8(ascii: ",") { e += 1 }
            let (a, b) = Bytes.trim(v, s, e)
            if b > a { body(UnsafeRawBufferPointer(rebasing: v[a..<b])) }
            s = e + 1
        }
    }

    struct Writer {
        let p: UnsafeMutableRawPointer
        let cap: Int
        var count = 0
        init(_ p: UnsafeMutableRawPointer, _ cap: Int) { self.p = p; self.cap = cap }
        @inline(__always) mutating func byte(_ b: UInt8) {
            if count < cap { p.storeBytes(of: b, toByteOffset: count, as: UInt8.self); count += 1 }
        }
        mutating func bytes(_ b: UnsafeRawBufferPointer) {
            let n = min(b.count, cap - count)
            if n > 0 { (p + count).copyMemory(from: b.baseAddress!, byteCount: n); count += n }
        }
        mutating func lower(_ b: UnsafeRawBufferPointer) { for c in b { byte(Bytes.lower(c)) } }
        mutating func text(_ s: StaticString) { bytes(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)) }
        mutating func decimal(_ v: Int) {
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
            var x = v < 0 ? 0 : v
            var n = 0
            withUnsafeMutableBytes(of: &digits) { d in
                repeat { d[n] = UInt8(48 + x % 10); x /= 10; n += 1 } while x > 0
                while n > 0 { n -= 1; byte(d[n]) }
            }
        }
    }
}

extension HeaderNames {
    nonisolated(unsafe) static let keepAliveValue = StaticBytes(Array("keep-alive".utf8), in: .process).buffer
    nonisolated(unsafe) static let transferEncodingName = StaticBytes(Array("transfer-encoding".utf8), in: .process).buffer
}
