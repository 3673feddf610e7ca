// One server's state as HAProxy 2.6 keeps it (server-t.h): the operational state the checks
// (or `set server health`) decide, the administrative flags the operator sets (maintenance,
// drain), the check health counter and the user weight. Pure values; ServerStateControl
// applies HAProxy's transitions to them.

/// HAProxy's `srv_state` (numbers as in `show servers state`).
public enum ServerOpState: UInt8, Sendable {
    case stopped = 0, starting = 1, running = 2, stopping = 3
}

/// HAProxy's `srv_admin` flags (numbers as in `show servers state`).
public struct ServerAdminFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `disable server`, `set server state maint`, the stats page's MAINT.
    public static let forcedMaint = ServerAdminFlags(rawValue: 0x01)
    /// Inherited from a tracked server.
    public static let inheritedMaint = ServerAdminFlags(rawValue: 0x02)
    /// `disabled` in the configuration (a marker: it alone is not maintenance).
    public static let configMaint = ServerAdminFlags(rawValue: 0x04)
    /// `set server state drain`, the stats page's DRAIN.
    public static let forcedDrain = ServerAdminFlags(rawValue: 0x08)
    public static let inheritedDrain = ServerAdminFlags(rawValue: 0x10)
    /// The address failed to resolve.
    public static let resolutionMaint = ServerAdminFlags(rawValue: 0x20)
    public static let hostnameMaint = ServerAdminFlags(rawValue: 0x40)

    /// SRV_ADMF_MAINT: the flags that mean "in maintenance".
    public static let maintenance: ServerAdminFlags = [.forcedMaint, .inheritedMaint, .resolutionMaint]
    public static let drain: ServerAdminFlags = [.forcedDrain, .inheritedDrain]

    public var inMaintenance: Bool { !intersection(.maintenance).isEmpty }
    public var draining: Bool { !intersection(.drain).isEmpty }
}

public struct ServerStatus: Equatable, Sendable {
    public var op: ServerOpState = .running
    public var admin: ServerAdminFlags = []
    public let rise: Int
    public let fall: Int
    /// The check's rise/fall counter (0 ... rise+fall-1).
    public var checkHealth: Int
    /// `check` in the configuration (CHK_ST_CONFIGURED).
    public let checkConfigured: Bool
    /// Checks run (CHK_ST_ENABLED): configured and not `disable health`.
    public var checkEnabled: Bool
    /// Checks are paused by maintenance (CHK_ST_PAUSED).
    public var checkPaused = false
    public var userWeight: Int
    public let initialWeight: Int
    public var lastStatus: CheckStatus = .none
    /// `agent-check` with an agent port (the agent's CHK_ST_CONFIGURED).
    public var agentConfigured = false
    /// The agent runs: configured and not `disable agent` (a dynamic server's starts disabled).
    public var agentEnabled = false

    public init(rise: Int, fall: Int, weight: Int, checked: Bool) {
        self.rise = max(1, rise); self.fall = max(1, fall)
        checkHealth = self.rise
        checkConfigured = checked
        checkEnabled = checked
        userWeight = weight
        initialWeight = weight
    }

    public var maxHealth: Int { rise + fall - 1 }

    /// Takes load-balanced traffic (HAProxy's srv_is_usable).
    public var isBalanceable: Bool { Self.balanceable(op: op, admin: admin, weight: userWeight) }

    @inline(__always)
    static func balanceable(op: ServerOpState, admin: ServerAdminFlags, weight: Int) -> Bool {
        (op == .running || op == .starting) && admin.intersection([.forcedMaint, .inheritedMaint, .resolutionMaint, .forcedDrain, .inheritedDrain]).isEmpty && weight > 0
    }

    /// `srv_check_state` of `show servers state` (CHK_ST_CONFIGURED|ENABLED|PAUSED).
    public var checkStateFlags: Int {
        (checkConfigured ? 0x2 : 0) | (checkEnabled ? 0x4 : 0) | (checkPaused ? 0x8 : 0)
    }

    /// `srv_agent_state`: CHK_ST_CONFIGURED|CHK_ST_AGENT, and CHK_ST_ENABLED (maintenance does not pause agents).
    public var agentStateFlags: Int { agentConfigured ? 0x12 | (agentEnabled ? 0x4 : 0) : 0 }
}

extension CheckStatus {
    /// HAProxy's HCHK_STATUS_* number (`srv_check_status` of `show servers state`).
    public var haproxyCode: Int {
        switch self {
        case .none: return 1          // INI
        case .checked: return 3
        case .sockerr: return 5
        case .l4ok: return 6
        case .l4tout: return 7
        case .l4con: return 8
        case .l6ok: return 9
        case .l6tout: return 10
        case .l6rsp: return 11
        case .l7tout: return 12
        case .l7rsp: return 13
        case .l7ok: return 15         // L7OKD
        case .l7okc: return 16        // L7OKCD
        case .l7sts: return 17
        }
    }

    /// HAProxy's CHK_RES_* of the last check (`srv_check_result`): 0 unknown, 1 neutral, 2 failed, 3 passed, 4 conditionally passed.
    public var haproxyResult: Int {
        switch self {
        case .none: return 0
        case .checked: return 1       // neutral
        case .l7okc: return 4         // conditionally passed
        default: return passed ? 3 : 2
        }
    }

    /// The status for an HCHK_STATUS_* number (a server-state file), nil when unknown here.
    public init?(haproxyCode: Int) {
        guard let s = CheckStatus.allCases.first(where: { $0.haproxyCode == haproxyCode }) else { return nil }
        self = s
    }
}
