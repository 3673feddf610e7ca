// The parsed form of an HTTP/1.x message head, as offsets into the raw bytes received.
// Nothing is copied: the parser records where each piece is, and edits are sent as slices
// around the original bytes (see HeadRewrite). One RequestHead/ResponseHead per worker is
// reused for every message, so parsing allocates nothing.

/// A half-open range of byte offsets [lo, hi) inside a head buffer.
public struct ByteRange: Equatable, Sendable {
    public var lo: Int32
    public var hi: Int32
    @inline(__always) public init(_ lo: Int, _ hi: Int) { self.lo = Int32(truncatingIfNeeded: lo); self.hi = Int32(truncatingIfNeeded: hi) }
    public static let empty = ByteRange(0, 0)
    @inline(__always) public var count: Int { Int(hi &- lo) }
    @inline(__always) public var isEmpty: Bool { hi <= lo }
}

/// One header line: its name, its value (surrounding blanks trimmed) and the whole line
/// including its CRLF (what to cut to delete the header).
public struct HeaderField: Equatable, Sendable {
    public var name: ByteRange
    public var value: ByteRange
    public var line: ByteRange
    public init(name: ByteRange, value: ByteRange, line: ByteRange) { self.name = name; self.value = value; self.line = line }
}

/// How the body of a message is delimited (RFC 9112 §6).
public enum BodyFraming: Equatable, Sendable {
    case none                  // no body (GET without length, 1xx/204/304, HEAD response)
    case contentLength(Int64)  // exactly N bytes follow the head
    case chunked               // chunked transfer coding, until the last chunk and trailers
    case untilClose            // response delimited by the server closing the connection
}

/// Storage shared by request and response heads: the header table, allocated once.
public class MessageHead {
    /// The raw bytes of the head, from the first byte up to and including the blank line.
    public var bytes: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Header table; `headerCount` entries are valid.
    public let fields: UnsafeMutablePointer<HeaderField>
    public var headerCount: Int = 0
    /// HTTP/1.x minor version (0 or 1).
    public var versionMinor: Int = 1
    /// Offset of the final CRLF (the blank line): new headers are inserted here.
    public var endOfHeaders: Int = 0
    /// Length of the whole head including the blank line.
    public var headLength: Int = 0
    public var framing: BodyFraming = .none
    /// `Connection: close` seen (or HTTP/1.0 without keep-alive).
    public var wantsClose: Bool = false
    /// `Connection: keep-alive` seen.
    public var saidKeepAlive: Bool = false
    /// Content-Length lines to drop when forwarding (CL together with chunked, duplicate equal CLs).
    public var dropContentLength: Bool = false
    /// The framing was ambiguous (Transfer-Encoding with Content-Length, or Transfer-Encoding
    /// in an HTTP/1.0 message): the connection it came on must not carry another message
    /// (RFC 9112 §6.1).
    public var framingForcesClose: Bool = false
    /// Some line of the head ends with a bare LF: it must be normalised before forwarding.
    public var hasBareLineFeed: Bool = false
    /// HTX bytes of the header lines (see HeadLimits).
    public var headerHTXBytes: Int = 0
    /// `option accept-invalid-http-request`: a `#` in the request target is accepted (set by
    /// the caller before parsing; not reset).
    public var acceptsFragment = false
    /// Size limits (tune.bufsize, tune.maxrewrite, tune.http.maxhdr); fixed for the head's life.
    public let limits: HeadLimits

    public init(limits: HeadLimits = .haproxyDefault) {
        self.limits = limits
        fields = .allocate(capacity: limits.maxHeaders + 1)
    }
    deinit { fields.deallocate() }

    public func reset() {
        headerCount = 0; versionMinor = 1; endOfHeaders = 0; headLength = 0
        framing = .none; wantsClose = false; saidKeepAlive = false; dropContentLength = false
        framingForcesClose = false; hasBareLineFeed = false; headerHTXBytes = 0
    }

    /// The bytes of a range, as a buffer (no copy).
    @inline(__always) public func slice(_ r: ByteRange) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[Int(r.lo)..<Int(r.hi)])
    }

    /// Case-insensitive comparison of a range with an ASCII name given in lower case.
    @inline(__always) public func equalsLowercased(_ r: ByteRange, _ lower: StaticString) -> Bool {
        let n = lower.utf8CodeUnitCount
        guard r.count == n else { return false }
        let p = lower.utf8Start
        var i = 0
        while i < n {
            var c = bytes[Int(r.lo) + i]
            if c >= 65 && c <= 90 { c |= 0x20 }
            if c != p[i] { return false }
            i += 1
        }
        return true
    }

    /// Index of the first header named `lower` (ASCII, lower case) at or after `from`, or nil.
    @inline(__always) public func findHeader(_ lower: StaticString, from: Int = 0) -> Int? {
        var i = from
        while i < headerCount {
            if equalsLowercased(fields[i].name, lower) { return i }
            i += 1
        }
        return nil
    }

    /// A String copy of a range: for logs, tests and the control plane, never the hot path.
    public func string(_ r: ByteRange) -> String { String(decoding: slice(r), as: UTF8.self) }
}

/// A request head: method, target and headers.
public final class RequestHead: MessageHead {
    public var method: ByteRange = .empty
    public var target: ByteRange = .empty
    /// The request line without its CRLF (for the log).
    public var requestLine: ByteRange = .empty
    public var isHead: Bool = false
    public var isPost: Bool = false
    public var isGetHeadPost: Bool = false
    public var isConnect: Bool = false
    public var expectContinue: Bool = false
    /// Scheme-based normalisation (RequestTarget.normalise, checkConnect): the `:port` to cut
    /// from the target and the one cut from the Host value (empty: none). The Host field's
    /// value range already ends before its cut, so rules and fetches read the Host as HAProxy's
    /// parser leaves it; the forwarded head drops the cut (RequestNormalisation).
    public var targetPortCut: ByteRange = .empty
    public var hostPortCut: ByteRange = .empty
    /// Spaces beyond the first between method and target, and target and version (usually
    /// empty): not forwarded, as HAProxy writes the request line with single spaces.
    public var extraSpaceBeforeTarget: ByteRange = .empty
    public var extraSpaceBeforeVersion: ByteRange = .empty
    /// `Connection: upgrade` with a body: the Upgrade headers are not forwarded.
    public var dropUpgrade: Bool = false
    /// The body's bytes in the buffer after the head (first chunk's data when chunked), set
    /// only for a backend that hashes POST bodies (`balance url_param … check_post`).
    public var bufferedBody = UnsafeRawBufferPointer(start: nil, count: 0)
    public override func reset() {
        super.reset(); method = .empty; target = .empty; requestLine = .empty
        isHead = false; isPost = false; isGetHeadPost = false; isConnect = false; expectContinue = false
        targetPortCut = .empty; hostPortCut = .empty
        extraSpaceBeforeTarget = .empty; extraSpaceBeforeVersion = .empty; dropUpgrade = false
        bufferedBody = UnsafeRawBufferPointer(start: nil, count: 0)
    }
}

/// A response head: status and headers.
public final class ResponseHead: MessageHead {
    public var status: Int = 0
    public var statusLine: ByteRange = .empty
    public override func reset() { super.reset(); status = 0; statusLine = .empty }
}
