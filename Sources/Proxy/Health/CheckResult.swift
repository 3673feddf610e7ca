// The outcome of one health check, with HAProxy's status codes (stats `check_status`,
// `LastChk`) and the words of its state-change messages.

public enum CheckStatus: UInt8, Sendable, CaseIterable {
    case none = 0     // no check ran yet
    case l4ok, l4con, l4tout, sockerr
    case l7ok, l7sts, l7rsp, l7tout

    /// HAProxy's short code (`check_status` column, `LastChk`).
    public var code: String {
        switch self {
        case .none: return "INI"
        case .l4ok: return "L4OK"
        case .l4con: return "L4CON"
        case .l4tout: return "L4TOUT"
        case .sockerr: return "SOCKERR"
        case .l7ok: return "L7OK"
        case .l7sts: return "L7STS"
        case .l7rsp: return "L7RSP"
        case .l7tout: return "L7TOUT"
        }
    }

    /// HAProxy's description (`check_desc` column, `reason:` in messages).
    public var description: String {
        switch self {
        case .none: return "Initializing"
        case .l4ok: return "Layer4 check passed"
        case .l4con: return "Layer4 connection problem"
        case .l4tout: return "Layer4 timeout"
        case .sockerr: return "Socket error"
        case .l7ok: return "Layer7 check passed"
        case .l7sts: return "Layer7 wrong status"
        case .l7rsp: return "Layer7 invalid response"
        case .l7tout: return "Layer7 timeout"
        }
    }

    public var passed: Bool { self == .l4ok || self == .l7ok }
    /// Layer-7 results carry an HTTP status code (`check_code`).
    public var hasCode: Bool { self == .l7ok || self == .l7sts }
}

public struct CheckResult: Equatable, Sendable {
    public var status: CheckStatus
    /// HTTP status for layer-7 checks, else 0.
    public var code: Int
    /// `info: "..."` — errno text for L4CON, the reason phrase for L7.
    public var info: String
    public var durationMs: Int
    public init(status: CheckStatus, code: Int = 0, info: String = "", durationMs: Int) {
        self.status = status; self.code = code; self.info = info; self.durationMs = durationMs
    }
}
