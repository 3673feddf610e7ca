// swift-tools-version: 6.1
import PackageDescription
import class Foundation.ProcessInfo

let package = Package(
    name: "ringproxy",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ringproxy", targets: ["ringproxy"]),
        .executable(name: "ringbench", targets: ["ringbench"]),
        .library(name: "Proxy", targets: ["Proxy"]),
    ],
    dependencies: [
        // HdrHistogram: the reference latency histogram (used by ringbench for percentiles).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // The io_uring engine in C over Debian's liburing-dev (2.3). The per-CQE loop lives here;
        // Swift is called once per message head.
        .target(
            name: "CUring",
            cSettings: [.unsafeFlags(["-O2", "-Wall", "-Wno-unused-function"])],
            linkerSettings: [.linkedLibrary("uring"), .linkedLibrary("pthread")]
        ),
        // ringbench's load generator and its origin server in C (not part of the proxy).
        .target(
            name: "CBench",
            cSettings: [.unsafeFlags(["-O2", "-Wall", "-Wno-unused-function"])],
            linkerSettings: [.linkedLibrary("uring"), .linkedLibrary("pthread")]
        ),
        // DNS queries of the resolver thread over glibc's libresolv (Sources/CResolv/include/rp_dns.h).
        .target(name: "CResolv", linkerSettings: [.linkedLibrary("resolv")]),
        // Origin servers for the demo and the tests (an echo server, a PHP-like app): plain
        // POSIX sockets and threads, independent of the proxy on purpose.
        .target(name: "Origins"),
        // PCRE2 (regexes in rules, as HAProxy's USE_PCRE2) and libcrypt (userlist passwords).
        .systemLibrary(name: "CPCRE2", path: "Sources/CPCRE2"),
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt"),
        // libcrypto (digest/hmac/sha1/sha2 converters, as HAProxy's OpenSSL) and libxxhash (xxh*).
        .systemLibrary(name: "CLibCrypto", path: "Sources/CLibCrypto"),
        .systemLibrary(name: "CXXHash", path: "Sources/CXXHash"),
        .target(
            name: "Proxy",
            dependencies: ["CUring", "CPCRE2", "CCrypt", "CResolv", "CLibCrypto", "CXXHash"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        .executableTarget(name: "ringproxy", dependencies: ["Proxy", "Origins"]),
        .executableTarget(
            name: "ringbench",
            dependencies: ["CBench", .product(name: "Histogram", package: "hdrhistogram-swift")],
            path: "Sources/Bench"
        ),
        .testTarget(name: "ProxyTests", dependencies: ["Proxy", "CUring", "CResolv"]),
        // The C engine on its own, in-process, with a fake head handler (no HTTP parsing).
        .testTarget(name: "EngineTests", dependencies: ["CUring"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Proxy", "CUring", "CBench", "Origins"]),
    ]
)

// libFuzzer targets (`make fuzz`, sources in Fuzz/): declared only when RINGPROXY_FUZZ is set,
// because they are built with -sanitize=fuzzer (their main hands over to libFuzzer's driver).
if ProcessInfo.processInfo.environment["RINGPROXY_FUZZ"] != nil {
    package.targets.append(.target(name: "CFuzzDriver", path: "Fuzz/CFuzzDriver"))
    for name in ["FuzzRequestHead", "FuzzResponseHead", "FuzzChunk", "FuzzCookie", "FuzzConfig"] {
        package.targets.append(.executableTarget(name: name, dependencies: ["Proxy", "CUring", "CFuzzDriver"], path: "Fuzz/\(name)"))
        package.products.append(.executable(name: name, targets: [name]))
    }
}
