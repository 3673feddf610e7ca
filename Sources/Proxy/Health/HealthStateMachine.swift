// The rise/fall health counter of one checked server (spec §7.2; HAProxy 1.4 checks.c and
// 2.6 check.c behave the same). Pure: the checker feeds it results, tests feed it a fake clock.

/// How often a server is checked, in milliseconds (`inter`, `fastinter`, `downinter`).
public struct CheckIntervals: Equatable, Sendable {
    public var inter: Int
    public var fastinter: Int?
    public var downinter: Int?
    public init(inter: Int, fastinter: Int? = nil, downinter: Int? = nil) {
        self.inter = inter; self.fastinter = fastinter; self.downinter = downinter
    }
    public init(_ server: ServerConfig) {
        self.init(inter: server.inter, fastinter: server.fastinter, downinter: server.downinter)
    }
}

/// What one check result did to the server's state.
public enum HealthTransition: Equatable, Sendable {
    case wentUp
    case wentDown
    /// NOLB: `http-check disable-on-404` got a 404 from a server that was not DOWN.
    case wentStopping
}

public struct HealthStateMachine: Equatable, Sendable {
    /// HAProxy's operational states of a checked server.
    public enum State: Equatable, Sendable { case running, stopping, stopped }

    public let rise: Int
    public let fall: Int
    /// In 0 ... rise+fall-1; the server is UP iff `isUp` (health reached `rise` from below and
    /// has not fallen to 0 since).
    public private(set) var health: Int
    public private(set) var state: State

    /// HAProxy starts a server UP "at the edge of failing": health = rise, so one failure
    /// marks it DOWN (spec §7.2, HAProxy issue #51).
    public init(rise: Int, fall: Int) {
        self.rise = max(1, rise)
        self.fall = max(1, fall)
        self.health = self.rise
        self.state = .running
    }

    public var maxHealth: Int { rise + fall - 1 }
    /// Running (takes traffic).
    public var isUp: Bool { state == .running }

    /// Records a result as HAProxy's set_server_check_status then check_notify_* do. `report`:
    /// the health counter moved (with a status change, what `option log-health-checks` logs).
    public mutating func record(_ status: CheckStatus) -> (report: Bool, transition: HealthTransition?) {
        var report = false
        if status.neutral { return (false, nil) }
        if status.passed {
            if health < maxHealth {
                report = true
                health += 1
                if health >= rise { health = maxHealth }
            }
            guard health >= rise else { return (report, nil) }
            if status == .l7okc {
                if state == .stopping { return (report, nil) }
                state = .stopping
                return (report, .wentStopping)
            }
            if state == .running { return (report, nil) }
            state = .running
            return (report, .wentUp)
        }
        if health > 0 {
            report = true
            health -= 1
            if health < rise { health = 0 }
        }
        guard health == 0, state != .stopped else { return (report, nil) }
        state = .stopped
        return (report, .wentDown)
    }

    /// An agent's reply sets the health outright (`up`: full, `down`/`fail`/`stopped`: 0);
    /// HAProxy then reports no counter change.
    public mutating func setAgentHealth(up: Bool) {
        health = up ? maxHealth : 0
        state = up ? .running : .stopped
    }

    /// Takes the health and state the operator forced (`set server health`, maintenance), so
    /// that the next result counts from there.
    public mutating func force(health: Int, state: State) {
        self.health = min(max(0, health), maxHealth)
        self.state = state
    }

    public mutating func force(health: Int, up: Bool) { force(health: health, state: up ? .running : .stopped) }

    /// Records a passed check.
    public mutating func recordSuccess() -> HealthTransition? { record(.l4ok).transition }

    /// Records a failed check.
    public mutating func recordFailure() -> HealthTransition? { record(.l4con).transition }

    /// The stats `status` word: `UP`, `UP n/fall` (going down), `NOLB`, `DOWN`, `DOWN n/rise` (going up).
    public var statusWord: String {
        switch state {
        case .running: return health == maxHealth ? "UP" : "UP \(health - rise + 1)/\(fall)"
        case .stopping: return health == maxHealth ? "NOLB" : "NOLB \(health - rise + 1)/\(fall)"
        case .stopped: return health == 0 ? "DOWN" : "DOWN \(health)/\(rise)"
        }
    }

    /// `status: X/Y UP|DOWN` of `option log-health-checks` lines.
    public var checkStatusText: String {
        health >= rise ? "\(health - rise + 1)/\(fall) UP" : "\(health)/\(rise) DOWN"
    }

    /// Delay before the next check (HAProxy `srv_getinter`): `inter` when fully UP,
    /// `downinter` when fully DOWN, `fastinter` in the transitional states; each falls back
    /// to `inter`.
    public func nextInterval(_ intervals: CheckIntervals) -> Int {
        if health == maxHealth && state == .running { return intervals.inter }
        if state == .stopped && health == 0 { return intervals.downinter ?? intervals.inter }
        return intervals.fastinter ?? intervals.inter
    }
}

/// When each checked server runs its first check: server k of N starts after
/// `min_inter × k / N` so that checks do not all fire at once (HAProxy `start_checks`).
public func staggeredFirstCheckDelays(_ firstIntervals: [Int]) -> [Int] {
    guard let minInter = firstIntervals.min() else { return [] }
    let n = firstIntervals.count
    return (0..<n).map { minInter * $0 / n }
}
