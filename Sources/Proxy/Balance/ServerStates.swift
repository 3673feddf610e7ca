// The decision layer's view of server health: the health checker writes atomics, the
// decisions only ask "may I send new traffic to server i?". Taken as a generic parameter so
// tests can pass a plain array and the runtime its atomics, with no indirection cost.

public protocol ServerStates {
    /// True when server `index` (declaration order in its backend) is UP (or otherwise usable):
    /// persistence (cookie, session table) may send its clients there.
    func isUsable(_ index: Int) -> Bool
    /// True when the load balancer may pick it for a new client: usable, not draining, not
    /// in maintenance, weight above 0 (HAProxy's srv_is_usable). Defaults to `isUsable`.
    func isBalanceable(_ index: Int) -> Bool
    /// The current weight when it was changed at run time (`set server weight`); nil: as configured.
    func weight(_ index: Int) -> Int?
}

extension ServerStates {
    public func isBalanceable(_ index: Int) -> Bool { isUsable(index) }
    public func weight(_ index: Int) -> Int? { nil }
}

/// A fixed snapshot, for tests and tools.
public struct FixedServerStates: ServerStates {
    public var usable: [Bool]
    public init(_ usable: [Bool]) { self.usable = usable }
    public init(allUp count: Int) { usable = Array(repeating: true, count: count) }
    public func isUsable(_ index: Int) -> Bool { index < usable.count && usable[index] }
}
