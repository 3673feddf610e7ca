// Heads with bare-LF line endings are accepted (RFC 9112 §2.2 lets a recipient do so, and
// HAProxy 2.6 does) but never forwarded as they are: a server that splits lines on CRLF only
// would read `X-A: a\nContent-Length: 48\r\n` as one header and the body as another request.
// HAProxy rewrites every head it forwards, so its servers only ever see CRLF; ringproxy
// forwards heads as slices of the bytes received, so such a head is first copied here with
// CRLF line endings and parsed again from the copy (the engine copies slices that lie
// outside its buffer into its `EngineBuffers.copiedBytes` of room). A head with bare LFs
// that does not fit there is refused (400 / 502): heads like that come from hand-written
// clients and servers, and are small.

public final class LineEndingNormaliser {
    public let capacity: Int
    private let buffer: UnsafeMutablePointer<UInt8>

    public init(capacity: Int = EngineBuffers.copiedBytes) {
        self.capacity = capacity
        buffer = .allocate(capacity: capacity)
    }
    deinit { buffer.deallocate() }

    /// The head's first `head.headLength` bytes with every bare LF preceded by a CR, or nil
    /// when the result would exceed `room` bytes (at most `capacity`). The copy stays valid
    /// until the next call.
    public func normalise(_ head: MessageHead, room: Int) -> UnsafeRawBufferPointer? {
        let b = head.bytes
        let n = head.headLength
        let limit = Swift.min(room, capacity)
        var out = 0
        var i = 0
        while i < n {
            let c = b[i]
            if c == asciiLF && (i == 0 || b[i - 1] != asciiCR) {
                guard out < limit else { return nil }
                buffer[out] = asciiCR; out += 1
            }
            guard out < limit else { return nil }
            buffer[out] = c; out += 1
            i += 1
        }
        return UnsafeRawBufferPointer(start: buffer, count: out)
    }

    /// Replaces a request head that has bare LFs by its normalised copy, parsed again into
    /// `head`. `.invalid(.headTooLarge)` when the copy does not fit in `room` bytes.
    public func normaliseRequest(_ head: RequestHead, room: Int) -> ParseResult {
        guard let copy = normalise(head, room: room) else { return .invalid(.headTooLarge) }
        let r = RequestParser.parse(copy, into: head)
        return r == .incomplete ? .invalid(.headTooLarge) : r
    }

    /// The same for a response head.
    public func normaliseResponse(_ head: ResponseHead, room: Int, requestWasHead: Bool) -> ParseResult {
        guard let copy = normalise(head, room: room) else { return .invalid(.headTooLarge) }
        let r = ResponseParser.parse(copy, into: head, requestWasHead: requestWasHead)
        return r == .incomplete ? .invalid(.headTooLarge) : r
    }
}
