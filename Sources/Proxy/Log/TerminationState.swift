/// The four termination-state characters of a log line (spec §14): why the session ended,
/// in which phase, and the persistence-cookie flags on the request and response sides.
public struct TerminationState: Equatable, Sendable {
    public var cause: UInt8       // - c C s S P R I D L K U
    public var phase: UInt8       // - R C H D L Q T
    public var requestCookie: UInt8   // - N I D V E O (with a cookie-persistent backend)
    public var responseCookie: UInt8  // - N I U P R D

    public init(cause: UInt8 = UInt8(ascii: "-"), phase: UInt8 = UInt8(ascii: "-"),
                requestCookie: UInt8 = UInt8(ascii: "-"), responseCookie: UInt8 = UInt8(ascii: "-")) {
        self.cause = cause; self.phase = phase; self.requestCookie = requestCookie; self.responseCookie = responseCookie
    }

    /// Builds from a 4-character literal such as `"SC--"` (tests and fixed cases).
    public init(_ s: StaticString) {
        precondition(s.utf8CodeUnitCount == 4)
        let p = s.utf8Start
        self.init(cause: p[0], phase: p[1], requestCookie: p[2], responseCookie: p[3])
    }

    public static let normal = TerminationState("----")
    /// No server available / all connection attempts failed (503).
    public static let noServer = TerminationState("SC--")
    /// Server timeout before response headers (504).
    public static let serverTimeout = TerminationState("sH--")
    /// Server closed or reset before a valid response (502).
    public static let serverAborted = TerminationState("SH--")
    /// Malformed request (400).
    public static let badRequest = TerminationState("PR--")
    /// Client timeout before a complete request (408).
    public static let clientTimeout = TerminationState("cR--")
    /// Client closed before a complete request.
    public static let clientAborted = TerminationState("CR--")
}
