// The outcome of one health check, with HAProxy's status codes (stats `check_status`,
// `LastChk`) and the words of its state-change messages.

public enum CheckStatus: UInt8, Sendable, CaseIterable {
    case none = 0     // no check ran yet
    case l4ok, l4con, l4tout, sockerr
    case l7ok, l7sts, l7rsp, l7tout
    case l6ok, l6tout, l6rsp
    /// Layer7 check conditionally passed (`http-check disable-on-404` on a 404): NOLB.
    case l7okc
    /// An agent's reply without a health word: nothing changes.
    case checked

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
        case .l6ok: return "L6OK"
        case .l6tout: return "L6TOUT"
        case .l6rsp: return "L6RSP"
        case .l7okc: return "L7OKC"
        case .checked: return "CHECKED"
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
        case .l6ok: return "Layer6 check passed"
        case .l6tout: return "Layer6 timeout"
        case .l6rsp: return "Layer6 invalid response"
        case .l7okc: return "Layer7 check conditionally passed"
        case .checked: return "No status change"
        }
    }

    /// Counts as a success for the rise/fall counters (a conditional pass too).
    public var passed: Bool { self == .l4ok || self == .l6ok || self == .l7ok || self == .l7okc }
    /// Neither a success nor a failure (HAProxy's CHK_RES_NEUTRAL).
    public var neutral: Bool { self == .checked || self == .none }
    /// Layer-7 results carry a code (`check_code`): HAProxy's statuses from L57DATA on.
    public var hasCode: Bool { self == .l7ok || self == .l7okc || self == .l7sts }
}

public struct CheckResult: Equatable, Sendable {
    public var status: CheckStatus
    /// HTTP status (or protocol code) for layer-7 checks, else 0.
    public var code: Int
    /// `info: "..."` — errno text for L4CON, the reason phrase for L7, a protocol message…
    public var info: String
    public var durationMs: Int
    public init(status: CheckStatus, code: Int = 0, info: String = "", durationMs: Int) {
        self.status = status; self.code = code; self.info = info; self.durationMs = durationMs
    }
}
