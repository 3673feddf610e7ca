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
}

public struct HealthStateMachine: Equatable, Sendable {
    public let rise: Int
    public let fall: Int
    /// In 0 ... rise+fall-1; the server is UP iff `isUp` (health reached `rise` from below and
    /// has not fallen to 0 since).
    public private(set) var health: Int
    public private(set) var isUp: Bool

    /// HAProxy starts a server UP "at the edge of failing": health = rise, so one failure
    /// marks it DOWN (spec §7.2, HAProxy issue #51).
    public init(rise: Int, fall: Int) {
        self.rise = max(1, rise)
        self.fall = max(1, fall)
        self.health = self.rise
        self.isUp = true
    }

    public var maxHealth: Int { rise + fall - 1 }

    /// Records a passed check.
    public mutating func recordSuccess() -> HealthTransition? {
        if health < maxHealth { health += 1 }
        guard health >= rise else { return nil }
        health = maxHealth
        if isUp { return nil }
        isUp = true
        return .wentUp
    }

    /// Records a failed check.
    public mutating func recordFailure() -> HealthTransition? {
        if health > rise {
            health -= 1
            return nil
        }
        health = 0
        if !isUp { return nil }
        isUp = false
        return .wentDown
    }

    /// Takes the health the operator forced (`set server health`, maintenance), so that the
    /// next result counts from there.
    public mutating func force(health: Int, up: Bool) {
        self.health = min(max(0, health), maxHealth)
        isUp = up
    }

    /// The stats `status` word: `UP`, `UP n/fall` (going down), `DOWN`, `DOWN n/rise` (going up).
    public var statusWord: String {
        if isUp {
            if health == maxHealth { return "UP" }
            return "UP \(health - rise + 1)/\(fall)"
        }
        if health == 0 { return "DOWN" }
        return "DOWN \(health)/\(rise)"
    }

    /// Delay before the next check (HAProxy `srv_getinter`): `inter` when fully UP,
    /// `downinter` when fully DOWN, `fastinter` in the transitional states; each falls back
    /// to `inter`.
    public func nextInterval(_ intervals: CheckIntervals) -> Int {
        if health == maxHealth && isUp { return intervals.inter }
        if !isUp && health == 0 { return intervals.downinter ?? intervals.inter }
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
