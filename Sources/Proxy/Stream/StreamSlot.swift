// What the stream layer remembers about the exchange on one connection slot between the
// request head, the response head and the end (log line, counters). Plain values only, kept
// in a preallocated table per worker: nothing is allocated per request.
#if canImport(Glibc)
import Glibc
#endif

struct StreamSlot {
    /// A request head of this exchange was seen by Swift (else the log says `<BADREQ>`).
    var active = false
    var frontend: Int32 = -1
    var backend: Int32 = -1
    var decision = RequestDecision(server: nil, direct: false, cookieDirect: false,
                                   cookieLogChar: UInt8(ascii: "-"), requestIsPost: false,
                                   redispatched: false, sessionKey: .none)
    var client: ClientAddress = .none
    var isHeadRequest = false
    var requestMinor: Int8 = 1
    var closeAfter = false
    var noLog = false
    var badRequest = false
    var responseCookieChar = UInt8(ascii: "-")
    var requestDateMs: Int64 = 0
    var requestLineLength: Int32 = 0
    var serverCounted = false
    /// `redir PREFIX`: the server (global index) whose redirect answered, for the log and counters.
    var redirectServer: Int32 = -1
    /// Not active yet: its body is awaited (http-buffer-request); the log of a 408 shows its line.
    var waitingBody = false
    /// The request is a CONNECT: a 2xx answer turns the connection into a tunnel.
    var isConnect = false
    /// The request's method as `option checkcache` sees it (set only for such backends).
    var cacheMethod: CacheMethod = .unsafe
}

/// Per worker storage for the request lines the log prints (they must outlive the head buffer
/// of a keep-alive connection, which the next request reuses).
final class RequestLineStore {
    static let capacity = 1024
    let base: UnsafeMutablePointer<UInt8>
    let slots: Int
    init(slots: Int) { self.slots = slots; base = .allocate(capacity: slots * RequestLineStore.capacity) }
    deinit { base.deallocate() }

    @inline(__always) func save(slot: Int, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        let n = min(bytes.count, RequestLineStore.capacity)
        if n > 0 { memcpy(base + slot * RequestLineStore.capacity, bytes.baseAddress!, n) }
        return Int32(n)
    }

    /// The request line of `head` as forwarded (and as HAProxy logs it): without extra spaces
    /// and a normalised default port (RequestHead's cuts, in line order).
    @inline(__always) func save(slot: Int, _ head: RequestHead) -> Int32 {
        let line = head.requestLine
        let cuts = (head.extraSpaceBeforeTarget, head.targetPortCut, head.extraSpaceBeforeVersion)
        if cuts.0.isEmpty && cuts.1.isEmpty && cuts.2.isEmpty { return save(slot: slot, head.slice(line)) }
        var n = 0
        var from = Int(line.lo)
        for cut in [cuts.0, cuts.1, cuts.2] where !cut.isEmpty {
            n = append(slot, n, head.slice(ByteRange(from, Int(cut.lo))))
            from = Int(cut.hi)
        }
        n = append(slot, n, head.slice(ByteRange(from, Int(line.hi))))
        return Int32(n)
    }

    @inline(__always) private func append(_ slot: Int, _ at: Int, _ bytes: UnsafeRawBufferPointer) -> Int {
        let n = min(bytes.count, RequestLineStore.capacity - at)
        if n > 0 { memcpy(base + slot * RequestLineStore.capacity + at, bytes.baseAddress!, n) }
        return at + max(n, 0)
    }

    @inline(__always) func line(slot: Int, length: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + slot * RequestLineStore.capacity, count: Int(length))
    }
}
