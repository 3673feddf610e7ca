// How large a message head may be, from `tune.bufsize`, `tune.maxrewrite` and
// `tune.http.maxhdr`, counted the way HAProxy 2.6.12 counts (measured on the wire with
// Debian's 2.6.12, HTTPHeadLimitTests and FramingHAProxyAgreementTests):
// - bytes: a read never fills more than bufsize − 64 bytes of HAProxy's input buffer, so a head
//   still incomplete after that many bytes is refused (400 / 502), whatever maxrewrite is;
// - HTX: a complete head is converted into HAProxy's internal form, which must leave
//   maxrewrite bytes free. Its size is 36 + method + target + version for a request line
//   (36 + version + status + reason for a status line), 8 + name + value per header
//   (blanks trimmed) and 8 for the end of the headers; a head above bufsize − maxrewrite − 41
//   is refused. (With the defaults: 15,319 bytes, a 15,250-byte URI with one Host header.)
// - headers: at most maxhdr − 1 header lines (the start line counts as one).

public struct HeadLimits: Sendable, Equatable {
    /// `tune.bufsize` (rounded up to a multiple of 16, as HAProxy does on 64-bit machines).
    public var bufferSize: Int
    /// `tune.maxrewrite` as configured; `effectiveMaxRewrite` is what applies.
    public var maxRewrite: Int
    /// `tune.http.maxhdr`.
    public var maxHeaders: Int

    public init(bufferSize: Int = 16384, maxRewrite: Int = 1024, maxHeaders: Int = 101) {
        self.bufferSize = (bufferSize + 15) & ~15
        self.maxRewrite = maxRewrite
        self.maxHeaders = maxHeaders
    }

    public static let haproxyDefault = HeadLimits()

    /// HAProxy lowers maxrewrite to half the buffer when it is larger.
    public var effectiveMaxRewrite: Int { Swift.min(maxRewrite, bufferSize / 2) }
    /// Bytes received without a complete head at which the head is refused.
    public var rawBytes: Int { bufferSize - 64 }
    /// The largest HTX size of a complete head.
    public var htxBytes: Int { bufferSize - effectiveMaxRewrite - 41 }
    /// The most header lines a head may have.
    public var headerLines: Int { maxHeaders - 1 }

    /// HTX bytes of a request line and of the end-of-headers marker.
    @inline(__always) static func requestLineHTX(method: Int, target: Int) -> Int { 36 + method + target + 8 + 8 }
    /// HTX bytes of a status line (`HTTP/1.x NNN reason`) and of the end-of-headers marker.
    @inline(__always) static func statusLineHTX(reason: Int) -> Int { 36 + 8 + 3 + reason + 8 }
    /// HTX bytes of one header.
    @inline(__always) static func headerHTX(name: Int, value: Int) -> Int { 8 + name + value }
}

/// The engine's per-connection buffers (`BUFSZ` and `INSZ` in Sources/CUring; a test checks
/// that these agree with the C source): a head must arrive within `receiveBytes`, and bytes
/// of a forwarded head that lie outside that buffer (inserted headers, a normalised head)
/// are copied into `copiedBytes` of room.
public enum EngineBuffers {
    public static let receiveBytes = 32768
    public static let copiedBytes = 8192
}

/// The largest head any configuration accepts: what the engine's buffer holds.
public let maxHeadBytes = EngineBuffers.receiveBytes
