// `compression algo|type|offload`: read and checked as HAProxy 2.6 checks them, not applied.
// ringproxy forwards responses as the server sends them; an uncompressed response is always a
// valid answer to `Accept-Encoding`, so a configuration that asks for compression still works,
// only without the bandwidth saving. Each line says so in a warning.

/// What the `compression` lines ask for (ProxyConfig.compression).
public struct CompressionSettings: Equatable, Sendable {
    public var algorithms: [String] = []
    public var types: [String] = []
    public var offload = false
    public init() {}
}

enum CompressionKeywords {
    /// HAProxy 2.6's algorithms with zlib (as Debian builds it).
    static let algorithms = ["identity", "gzip", "deflate", "raw-deflate"]

    static let all: [ConfigKeyword] = [
        ConfigKeyword("compression algo", .proxies, "compression algo ALGO...",
                      "HTTP compression algorithms (\(algorithms.joined(separator: ", "))). Read, not applied yet: responses are forwarded uncompressed.") { state, line throws(ConfigError) in
            guard line.argumentCount > 0 else { throw line.error("expects at least one algorithm; expected one of \(algorithms.joined(separator: ", "))") }
            for a in line.arguments where !algorithms.contains(a) {
                throw line.error(EditDistance.unknownMessage("compression algorithm", a, algorithms))
            }
            state.proxy.compression.algorithms = Array(line.arguments)
            warnNotApplied(&state, line)
        },
        ConfigKeyword("compression type", .proxies, "compression type MIME...",
                      "MIME types to compress. Read, not applied yet: responses are forwarded uncompressed.") { state, line throws(ConfigError) in
            guard line.argumentCount > 0 else { throw line.error("expects at least one MIME type") }
            state.proxy.compression.types = Array(line.arguments)
            warnNotApplied(&state, line)
        },
        ConfigKeyword("compression offload", .proxies, "compression offload",
                      "Remove Accept-Encoding so that servers do not compress. Read, not applied yet: requests keep their Accept-Encoding.") { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "compression offload")
            state.proxy.compression.offload = true
            state.warn(line.location, "'compression offload' is read but not applied yet: ringproxy does not compress, so it leaves Accept-Encoding to the servers")
        },
    ]

    static func warnNotApplied(_ state: inout ParseState, _ line: KeywordLine) {
        state.warn(line.location, "'\(line.words.prefix(2).joined(separator: " "))' is read but not applied yet: ringproxy forwards responses uncompressed")
    }
}
