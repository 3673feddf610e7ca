// The `tune.*` keywords ringproxy implements (the others match IgnoredKeywords' `tune.*`).

enum TuneKeywords {
    /// The engine's buffers are fixed (EngineBuffers.receiveBytes): a larger tune.bufsize is
    /// capped there, with a warning that says so (heads are then limited as with that size).
    static let largestBufferSize = EngineBuffers.receiveBytes
    /// Below this a request line and a few headers no longer fit (HAProxy warns that very low
    /// values break things; ringproxy refuses them).
    static let smallestBufferSize = 1024

    static let all: [ConfigKeyword] = [
        ConfigKeyword("tune.bufsize", .global, "tune.bufsize N",
                      "Buffer size: a head must fit in N − tune.maxrewrite (HAProxy's measure), else 400 (request) or 502 (response). \(smallestBufferSize)..\(largestBufferSize), default 16384.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "tune.bufsize N")
            let n = try line.integer(0, "tune.bufsize")
            guard n >= smallestBufferSize else {
                throw line.error("\(n) is too small; expected \(smallestBufferSize)..\(largestBufferSize)")
            }
            guard n <= largestBufferSize else {
                state.warn(line.location, "'tune.bufsize \(n)' is larger than ringproxy's per-connection buffers: \(largestBufferSize) bytes are used (a request or response head must fit in \(largestBufferSize) − tune.maxrewrite bytes; bodies are streamed whatever their size)")
                state.config.global.tune.bufferSize = largestBufferSize
                return
            }
            state.config.global.tune.bufferSize = n
        },
        ConfigKeyword("tune.maxrewrite", .global, "tune.maxrewrite N",
                      "Room kept free in the buffer for header rewrites (a head must fit in tune.bufsize − N); at most half of tune.bufsize, default 1024.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "tune.maxrewrite N")
            state.config.global.tune.maxRewrite = try line.integer(0, "tune.maxrewrite")
        },
        ConfigKeyword("tune.http.maxhdr", .global, "tune.http.maxhdr N",
                      "Most header lines in a head, its first line included (more: 400 / 502). 1..32767, default 101.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "tune.http.maxhdr N")
            state.config.global.tune.maxHeaders = try line.integer(0, "tune.http.maxhdr", in: 1...32767)
        },
        ConfigKeyword("tune.dynamic-servers", .global, "tune.dynamic-servers N",
                      "ringproxy only (HAProxy has no such limit): servers `add server` can create per backend, whose slots are reserved at start. 0..\(DynamicServerSlots.largest), default \(DynamicServerSlots.perBackend); each costs the balancers one skipped slot per pick.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "tune.dynamic-servers N")
            state.config.global.tune.dynamicServers = try line.integer(0, "tune.dynamic-servers", in: 0...DynamicServerSlots.largest)
        },
    ]
}
