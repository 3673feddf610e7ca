// The decision layer's view of server health: the health checker writes atomics, the
// decisions only ask "may I send new traffic to server i?". Taken as a generic parameter so
// tests can pass a plain array and the runtime its atomics, with no indirection cost.

public protocol ServerStates {
    /// True when server `index` (declaration order in its backend) is UP (or otherwise usable).
    func isUsable(_ index: Int) -> Bool
}

/// A fixed snapshot, for tests and tools.
public struct FixedServerStates: ServerStates {
    public var usable: [Bool]
    public init(_ usable: [Bool]) { self.usable = usable }
    public init(allUp count: Int) { usable = Array(repeating: true, count: count) }
    public func isUsable(_ index: Int) -> Bool { index < usable.count && usable[index] }
}
