// swift-tools-version: 6.1
// Microbenchmarks for ringproxy's per-request decision path (package-benchmark).
// A separate package so the root `swift build` / `swift test` never build it:
//   cd benchmarks && swift package benchmark
import PackageDescription

/// One benchmark executable per area, each in Benchmarks/<name>/ as package-benchmark expects.
func benchmarkTarget(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            .product(name: "Benchmark", package: "benchmark"),
            .product(name: "Proxy", package: "ringproxy"),
            "BenchmarkFixtures",
        ],
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "ringproxy-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The root package by path; named so the product reference does not depend on the
        // folder the repository was cloned into (a path package is otherwise named after it).
        .package(name: "ringproxy", path: ".."),
        // Only the malloc counters: the default RuntimeInterposer trait is not wanted here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        benchmarkTarget("HeadParsing"),
        benchmarkTarget("Persistence"),
        benchmarkTarget("Routing"),
        benchmarkTarget("Balancing"),
        benchmarkTarget("Rules"),
        // The configurations and messages the benchmarks share, and what they measure.
        .target(
            name: "BenchmarkFixtures",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Proxy", package: "ringproxy"),
                "CPerfProbe",
            ]
        ),
        // Whether this machine can count instructions (perf_event_open needs C).
        .target(name: "CPerfProbe"),
    ]
)
