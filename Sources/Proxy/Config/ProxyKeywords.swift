// Basic proxy keywords: mode, retries, timeouts (and their legacy spellings), http-reuse,
// monitor-uri.

enum ProxyKeywords {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("mode", .proxies, "mode http|tcp", "HTTP analysis or plain TCP relaying.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "mode http|tcp")
            state.proxy.mode = ProxyMode(rawValue: try line.oneOf(0, "mode", ["http", "tcp"]))!
        },
        ConfigKeyword("retries", .backendSide, "retries N", "Connection retries after a failed connect (default 3).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "retries N")
            state.proxy.retries = try line.integer(0, "retries", in: 0...1000)
        },
        timeout("connect", .backendSide, "Maximum time to connect to a server.") { $0.connect = $1 },
        timeout("client", .frontendSide, "Client inactivity timeout.") { $0.client = $1 },
        timeout("server", .backendSide, "Server inactivity timeout.") { $0.server = $1 },
        timeout("queue", .backendSide, "Maximum time in a server queue (default: timeout connect).") { $0.queue = $1 },
        timeout("check", .backendSide, "Health-check read timeout (default: inter).") { $0.check = $1 },
        timeout("http-request", .proxies, "Maximum time to receive a complete request head.") { $0.httpRequest = $1 },
        timeout("http-keep-alive", .proxies, "Idle time allowed between two requests on a connection.") { $0.httpKeepAlive = $1 },
        timeout("tunnel", .backendSide, "Inactivity timeout once a connection is a tunnel (WebSocket, CONNECT).") { $0.tunnel = $1 },
        legacyTimeout("contimeout", "connect", .backendSide) { $0.connect = $1 },
        legacyTimeout("clitimeout", "client", .frontendSide) { $0.client = $1 },
        legacyTimeout("srvtimeout", "server", .backendSide) { $0.server = $1 },
        ConfigKeyword("http-reuse", .backendSide, "http-reuse never|safe|aggressive|always",
                      "Sharing of idle server connections between clients.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "http-reuse never|safe|aggressive|always")
            state.proxy.httpReuse = try line.oneOf(0, "mode", ["never", "safe", "aggressive", "always"])
        },
        ConfigKeyword("monitor-uri", .frontendSide, "monitor-uri URI",
                      "Answer 200 to this exact URI without forwarding or logging.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "monitor-uri URI")
            state.proxy.monitorURI = line.argument(0)
        },
    ]

    static func timeout(_ name: String, _ sections: SectionSet, _ summary: String,
                        _ set: @escaping @Sendable (inout Timeouts, Int) -> Void) -> ConfigKeyword {
        ConfigKeyword("timeout " + name, sections, "timeout \(name) TIME", summary) { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "timeout \(name) TIME")
            set(&state.proxy.timeouts, try line.time(0, "timeout"))
        }
    }

    static func legacyTimeout(_ name: String, _ modern: String, _ sections: SectionSet,
                              _ set: @escaping @Sendable (inout Timeouts, Int) -> Void) -> ConfigKeyword {
        ConfigKeyword(name, sections, "\(name) TIME", "Legacy spelling of `timeout \(modern)`.", modern: "timeout \(modern) TIME") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "\(name) TIME")
            let value = try line.time(0, "timeout")
            set(&state.proxy.timeouts, value)
            state.note(line.location, "'\(name) \(line.argument(0)!)' is legacy (fatal since HAProxy 2.1); HAProxy 2.x spells it 'timeout \(modern) \(line.argument(0)!)'")
        }
    }
}
