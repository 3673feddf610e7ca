// What every ringproxy microbenchmark measures, and the malloc budget it is held to.

import Benchmark
import CPerfProbe

public enum Measurement {
    /// Wall time and mallocs per operation; instructions too when this machine exposes a
    /// hardware counter (package-benchmark would otherwise report a silent 0).
    public static let metrics: [BenchmarkMetric] = {
        var m: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal]
        if ringproxy_bench_can_count_instructions() != 0 { m.insert(.instructions, at: 1) }
        return m
    }()

    /// Each measured iteration runs the operation 1000 times (`benchmark.scaledIterations`),
    /// so a ~100 ns operation is not lost in the clock's own cost; results are per operation.
    /// Mallocs per operation are held to the p90 budget in Thresholds/<Target>.<Benchmark>.p90.json
    /// (0 for the per-request paths) with no tolerance either way, by
    /// `swift package benchmark thresholds check`.
    public static var configuration: Benchmark.Configuration {
        Benchmark.Configuration(
            metrics: metrics,
            warmupIterations: 10,
            scalingFactor: .kilo,
            maxDuration: .seconds(2),
            maxIterations: 10_000,
            thresholds: [.mallocCountTotal: BenchmarkThresholds(absolute: BenchmarkThresholds.Absolute.strict)]
        )
    }
}
