// Process-wide settings of `global` beyond the basics: numeric ids, the node's name and
// description, and how strict limits and warnings are (`hard-stop-after`: ReloadSettings).

public struct ProcessSettings: Equatable, Sendable {
    /// `uid N` / `gid N`: numeric ids (a name goes to `user` / `group`).
    public var uid: UInt32? = nil
    public var gid: UInt32? = nil
    public var node: String? = nil
    public var description: String? = nil
    /// `strict-limits` (HAProxy 2.6's default) / `no strict-limits`.
    public var strictLimits = true
    /// `zero-warning`: a warning is fatal (as `-dW`).
    public var zeroWarning = false
    /// `unix-bind`: defaults for the UNIX sockets of `bind` lines (UnixBindKeywords.swift).
    public var unixBind = UnixBindDefaults()
    public init() {}
}

enum ProcessKeywords {
    static let all: [ConfigKeyword] = [
        numericID("uid", "user"),
        numericID("gid", "group"),
        ConfigKeyword("node", .global, "node NAME", "This node's name (the statistics page shows it with `stats show-node`).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "node NAME")
            state.config.global.process.node = line.argument(0)
        },
        ConfigKeyword("strict-limits", .global, "[no] strict-limits",
                      "Fail to start when a limit (file descriptors) cannot be raised (HAProxy 2.6's default).", negatable: true) { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "strict-limits")
            state.config.global.process.strictLimits = !line.negated
            if !line.negated {
                state.warn(line.location, "'strict-limits' has nothing to enforce: ringproxy does not raise the file-descriptor limit, it runs with the one it is given")
            }
        },
        ConfigKeyword("zero-warning", .global, "zero-warning", "Refuse to start when the configuration caused a warning (as -dW).") { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "zero-warning")
            state.config.global.process.zeroWarning = true
        },
        ConfigKeyword("bind-process", .proxies, "bind-process N...", "Deprecated in HAProxy 2.6: has no effect.") { state, line throws(ConfigError) in
            state.warn(line.location, "'bind-process' has no effect, is deprecated, and will be removed in version 2.7 (as in HAProxy 2.6)")
        },
    ]

    /// `uid N` / `gid N`: a number; a name is a warning and ignored, as in HAProxy 2.6.
    static func numericID(_ name: String, _ byName: String) -> ConfigKeyword {
        ConfigKeyword(name, .global, "\(name) N", "Numeric \(byName) id to switch to after binding (`\(byName) NAME` for a name).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "\(name) N")
            let text = line.argument(0)!
            guard let n = UInt32(text) else {
                state.warn(line.location, "\(name): string '\(text)' is not a number; ignored (use '\(byName) \(text)' for a name)")
                return
            }
            if name == "uid" {
                if state.config.global.user != nil || state.config.global.process.uid != nil { throw line.error("user/uid already specified") }
                state.config.global.process.uid = n
            } else {
                if state.config.global.group != nil || state.config.global.process.gid != nil { throw line.error("group/gid already specified") }
                state.config.global.process.gid = n
            }
        }
    }
}
