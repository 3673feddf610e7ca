import Synchronization

/// `sample RANGES:SIZE` at run time: of every SIZE messages a logger accepts, it keeps those
/// whose 1-based position falls in RANGES. One atomic counter per logger, shared by every
/// worker (HAProxy counts per logger under a lock; this counts the same without one). Only
/// loggers with `sample` have one, so other configurations pay nothing.
public final class LogSampler: Sendable {
    public let sample: LogSample
    /// For position i (0-based) in a cycle: is it kept?
    let kept: [Bool]
    let counter = Atomic<Int>(0)

    public init(_ sample: LogSample) {
        self.sample = sample
        kept = (1...sample.size).map { p in sample.ranges.contains { $0.contains(p) } }
    }

    /// Counts one message and says whether this logger sends it.
    @inline(__always) public func take() -> Bool {
        let n = counter.add(1, ordering: .relaxed).oldValue
        return kept[n % kept.count]
    }
}
