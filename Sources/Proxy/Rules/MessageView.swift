// A message as rules see it and change it: the start line and the header list, first the
// received ones (ranges of the head, nothing copied), then the ones rules add (bytes copied
// into the view's own buffer). Fetches read through the view, so a rule sees what earlier
// rules did; when the message is forwarded the view becomes HeadRewrite slices (a deleted
// header is a cut, a changed value a replaced range, an added header an insertion before
// the blank line). A local reply (deny, return, redirect...) is a view with no head at all.
// One view per direction per worker, reused: nothing is allocated per message.

#if canImport(Glibc)
import Glibc
#endif

public final class MessageView {
    /// A range of bytes in the head (source 0) or in the view's buffer (source 1).
    struct Span {
        var source: UInt8
        var lo: Int32
        var hi: Int32
        static let empty = Span(source: 1, lo: 0, hi: 0)
        var count: Int { Int(hi - lo) }
    }
    struct Entry {
        var name: Span
        var value: Span
        var original: Int32      // index in the head's header table, -1 when added
        var deleted: Bool
        var valueChanged: Bool
        /// Blanks around a value a rule produced: fetches read the trimmed `value` (as
        /// HAProxy's http_find_header), the wire gets the value as produced (HAProxy sends
        /// what the rule built). At most 255 each side (they live in the struct's padding).
        var blanksBefore: UInt8 = 0
        var blanksAfter: UInt8 = 0
        /// The value as it goes on the wire.
        var wire: Span { Span(source: value.source, lo: value.lo - Int32(blanksBefore), hi: value.hi + Int32(blanksAfter)) }
    }

    public static let entryCapacity = 256
    public static let bufferCapacity = 32 * 1024

    private(set) var head: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    let entries: UnsafeMutablePointer<Entry>
    private(set) var count = 0
    let buffer: UnsafeMutableRawPointer
    private(set) var used = 0
    /// Some edit did not fit: the message cannot be rewritten (HAProxy answers 500).
    private(set) var overflowed = false
    /// Anything changed since `load`.
    private(set) var changed = false
    /// HTX bytes rewrites may still add before HAProxy's buffer would be full (RewriteRoom.swift);
    /// Int.max when not limited. A rewrite that does not fit fails (strict mode decides).
    var rewriteRoom = Int.max

    // Start line. Request: method, uri; response: status, reason. Version minor for both.
    var method = Span.empty
    var uri = Span.empty
    var methodChanged = false
    var uriChanged = false
    public var status = 0
    var reason = Span.empty
    var statusChanged = false
    public var versionMinor = 1

    public init() {
        entries = .allocate(capacity: MessageView.entryCapacity)
        buffer = .allocate(byteCount: MessageView.bufferCapacity, alignment: 8)
    }
    deinit { entries.deallocate(); buffer.deallocate() }

    private func clear() {
        count = 0; used = 0; overflowed = false; changed = false; rewriteRoom = .max
        method = .empty; uri = .empty; methodChanged = false; uriChanged = false
        status = 0; reason = .empty; statusChanged = false; versionMinor = 1
    }

    /// The view of a received message's headers.
    func load(_ h: MessageHead) {
        clear()
        head = h.bytes
        versionMinor = h.versionMinor
        let n = min(h.headerCount, MessageView.entryCapacity)
        for i in 0..<n {
            let f = h.fields[i]
            entries[i] = Entry(name: Span(source: 0, lo: f.name.lo, hi: f.name.hi),
                               value: Span(source: 0, lo: f.value.lo, hi: f.value.hi),
                               original: Int32(i), deleted: false, valueChanged: false)
        }
        count = n
    }

    func load(request h: RequestHead) {
        load(h as MessageHead)
        method = Span(source: 0, lo: h.method.lo, hi: h.method.hi)
        uri = Span(source: 0, lo: h.target.lo, hi: h.target.hi)
    }

    func load(response h: ResponseHead) {
        load(h as MessageHead)
        status = h.status
        reason = Self.reasonSpan(h)
    }

    /// An empty message built by the proxy itself (a local reply).
    func loadLocal(status: Int, versionMinor: Int = 1) {
        clear()
        head = UnsafeRawBufferPointer(start: nil, count: 0)
        self.status = status
        self.versionMinor = versionMinor
    }

    /// The reason phrase range of a parsed status line (after "HTTP/1.x NNN ").
    static func reasonSpan(_ h: ResponseHead) -> Span {
        let lo = Int(h.statusLine.lo) + 13
        var hi = Int(h.statusLine.hi)
        if hi < lo { return Span(source: 0, lo: Int32(min(lo, hi)), hi: Int32(min(lo, hi))) }
        while hi > lo, h.bytes[hi - 1] == 10 || h.bytes[hi - 1] == 13 { hi -= 1 }
        return Span(source: 0, lo: Int32(lo), hi: Int32(hi))
    }

    // MARK: reading

    @inline(__always) func bytes(_ s: Span) -> UnsafeRawBufferPointer {
        if s.source == 0 { return UnsafeRawBufferPointer(rebasing: head[Int(s.lo)..<Int(s.hi)]) }
        return UnsafeRawBufferPointer(start: buffer + Int(s.lo), count: s.count)
    }
    @inline(__always) func name(_ i: Int) -> UnsafeRawBufferPointer { bytes(entries[i].name) }
    @inline(__always) func value(_ i: Int) -> UnsafeRawBufferPointer { bytes(entries[i].value) }
    /// The value as sent: with the blanks a rule put around it.
    @inline(__always) func wireValue(_ i: Int) -> UnsafeRawBufferPointer { bytes(entries[i].wire) }
    @inline(__always) func isLive(_ i: Int) -> Bool { !entries[i].deleted }
    var entryCount: Int { count }

    /// HAProxy's `htx->data` for this head (what `req.len`/`res.len` report in HTTP mode): the
    /// start line's 20 bytes of bookkeeping and its three parts (the version as 8 bytes),
    /// each header's name and value, and 1 byte for the end of headers.
    func htxDataBytes(request: Bool) -> Int {
        var n = 20 + 8 + 1 + (request ? method.count + uri.count : 3 + reason.count)
        for i in 0..<count where !entries[i].deleted { n += entries[i].name.count + entries[i].wire.count }
        return n
    }

    public var methodBytes: UnsafeRawBufferPointer { bytes(method) }
    public var uriBytes: UnsafeRawBufferPointer { bytes(uri) }
    public var reasonBytes: UnsafeRawBufferPointer { bytes(reason) }

    /// Whether header `i` is named `lower` (lower-case bytes).
    @inline(__always) func nameIs(_ i: Int, _ lower: UnsafeRawBufferPointer) -> Bool {
        let n = name(i)
        guard n.count == lower.count else { return false }
        var k = 0
        while k < n.count { if Bytes.lower(n[k]) != lower[k] { return false }; k += 1 }
        return true
    }

    /// Next live header named `lower` at or after `from`.
    @inline(__always) func find(_ lower: UnsafeRawBufferPointer, from: Int = 0) -> Int? {
        var i = from
        while i < count {
            if !entries[i].deleted && nameIs(i, lower) { return i }
            i += 1
        }
        return nil
    }

    /// The live header lines, for tests: "name: value".
    public var headerLines: [String] {
        (0..<count).filter { !entries[$0].deleted }.map {
            String(decoding: name($0), as: UTF8.self) + ": " + String(decoding: value($0), as: UTF8.self)
        }
    }

    // MARK: changing

    /// Copies bytes into the view's buffer; nil when full.
    private func store(_ b: UnsafeRawBufferPointer) -> Span? {
        guard used + b.count <= MessageView.bufferCapacity else { overflowed = true; return nil }
        if b.count > 0 { (buffer + used).copyMemory(from: b.baseAddress!, byteCount: b.count) }
        let s = Span(source: 1, lo: Int32(used), hi: Int32(used + b.count))
        used += b.count
        return s
    }

    /// Takes `delta` HTX bytes of the rewrite room; false (nothing taken) when they do not fit.
    @inline(__always) private func fits(_ delta: Int) -> Bool {
        guard rewriteRoom != .max else { return true }
        if delta > rewriteRoom { return false }
        rewriteRoom -= delta
        return true
    }

    /// A value without its surrounding blanks (HAProxy reads header values so).
    @inline(__always) static func trimmed(_ b: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let (l, h) = Bytes.trim(b, 0, b.count)
        return UnsafeRawBufferPointer(rebasing: b[l..<h])
    }

    /// Stores a rule-made value with its blanks (up to 255 each side): the span of the
    /// trimmed value, and how many blanks surround it in the buffer.
    private func storeValue(_ value: UnsafeRawBufferPointer) -> (Span, UInt8, UInt8)? {
        let (l, h) = Bytes.trim(value, 0, value.count)
        let before = min(l, 255), after = min(value.count - h, 255)
        guard let raw = store(UnsafeRawBufferPointer(rebasing: value[(l - before)..<(h + after)])) else { return nil }
        return (Span(source: 1, lo: raw.lo + Int32(before), hi: raw.hi - Int32(after)), UInt8(before), UInt8(after))
    }

    @discardableResult
    func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        guard count < MessageView.entryCapacity else { overflowed = true; return false }
        guard fits(HeadLimits.headerHTX(name: name.count, value: value.count)) else { return false }
        guard let n = store(name), let (v, before, after) = storeValue(value) else { return false }
        entries[count] = Entry(name: n, value: v, original: -1, deleted: false, valueChanged: false, blanksBefore: before, blanksAfter: after)
        count += 1
        changed = true
        return true
    }

    func delete(_ i: Int) {
        guard !entries[i].deleted else { return }
        if rewriteRoom != .max { rewriteRoom += HeadLimits.headerHTX(name: entries[i].name.count, value: entries[i].wire.count) }
        entries[i].deleted = true
        changed = true
    }

    /// Deletes every header named `lower`; returns how many.
    @discardableResult
    func deleteAll(_ lower: UnsafeRawBufferPointer) -> Int {
        var n = 0
        var i = 0
        while let h = find(lower, from: i) { delete(h); n += 1; i = h + 1 }
        return n
    }

    @discardableResult
    func setValue(_ i: Int, _ value: UnsafeRawBufferPointer) -> Bool {
        guard fits(value.count - entries[i].wire.count), let (v, before, after) = storeValue(value) else { return false }
        entries[i].value = v
        entries[i].blanksBefore = before; entries[i].blanksAfter = after
        entries[i].valueChanged = true
        changed = true
        return true
    }

    @discardableResult
    func setMethod(_ b: UnsafeRawBufferPointer) -> Bool {
        guard fits(b.count - method.count), let s = store(b) else { return false }
        method = s; methodChanged = true; changed = true
        return true
    }

    @discardableResult
    func setURI(_ b: UnsafeRawBufferPointer) -> Bool {
        guard fits(b.count - uri.count), let s = store(b) else { return false }
        uri = s; uriChanged = true; changed = true
        return true
    }

    @discardableResult
    func setStatus(_ code: Int, reason r: UnsafeRawBufferPointer) -> Bool {
        guard fits(r.count - reason.count), let s = store(r) else { return false }
        status = code; reason = s; statusChanged = true; changed = true
        return true
    }

    // MARK: output

    /// Records the request view's changes as edits of the received head `h` (the one `load`
    /// saw). Returns false when an edit did not fit.
    func emitEdits(request h: RequestHead, into rw: HeadRewrite) -> Bool {
        guard changed else { return true }
        if methodChanged { replace(h.method, with: bytes(method), rw) }
        if uriChanged { replace(h.target, with: bytes(uri), rw) }
        return emitHeaderEdits(h, into: rw)
    }

    func emitEdits(response h: ResponseHead, into rw: HeadRewrite) -> Bool {
        guard changed else { return true }
        if statusChanged {
            // "HTTP/1.x NNN reason": the code and the reason are rewritten, the version kept.
            let lo = Int(h.statusLine.lo) + 9
            let hi = Int(Self.reasonSpan(h).hi)
            let m = rw.mark
            rw.put(decimal: status)
            rw.put(byte: 32)
            rw.put(bytes(reason))
            rw.edit(at: lo, cutTo: max(lo, hi), from: m)
        }
        return emitHeaderEdits(h, into: rw)
    }

    private func emitHeaderEdits(_ h: MessageHead, into rw: HeadRewrite) -> Bool {
        for i in 0..<count {
            let e = entries[i]
            if e.original >= 0 {
                let f = h.fields[Int(e.original)]
                if e.deleted { rw.delete(f.line) }
                else if e.valueChanged { replace(f.value, with: bytes(e.wire), rw) }
            } else if !e.deleted {
                let m = rw.mark
                rw.put(bytes(e.name)); rw.put(": "); rw.put(bytes(e.wire)); rw.put("\r\n")
                rw.edit(at: h.endOfHeaders, cutTo: h.endOfHeaders, from: m)
            }
        }
        return !rw.overflowed
    }

    private func replace(_ r: ByteRange, with b: UnsafeRawBufferPointer, _ rw: HeadRewrite) {
        let m = rw.mark
        rw.put(b)
        rw.edit(at: Int(r.lo), cutTo: Int(r.hi), from: m)
    }
}
