import Glibc

/// Milliseconds on CLOCK_MONOTONIC: health timing and state ages must not jump with the wall clock.
public enum MonotonicClock {
    @inline(__always) public static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
