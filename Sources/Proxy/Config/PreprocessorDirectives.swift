// `.notice`, `.warning`, `.alert` and `.diag "message"`: messages a configuration prints about
// itself (usually inside `.if` blocks). `.alert` is fatal and stops the reading, as in HAProxy.

enum Directives {
    static func apply(_ words: [String], at location: SourceLocation, state: inout ParseState) {
        let directive = words[0]
        guard [".notice", ".warning", ".alert", ".diag"].contains(directive) else {
            state.errors.append(ConfigError(location, "", "unknown directive '\(directive)'; expected .if, .elif, .else, .endif, .notice, .warning, .alert or .diag"))
            return
        }
        if words.count > 2 {
            state.errors.append(ConfigError(location, "", "unexpected argument '\(words[2])' for '\(directive)'; use quotes if the message should contain spaces"))
            return
        }
        let message = words.count > 1 ? words[1] : ""
        switch directive {
        case ".notice": state.config.preprocessor.notices.append("\(location): '\(message)'")
        case ".warning": state.warn(location, "'\(message)'")
        case ".diag": state.config.preprocessor.diagnostics.append("\(location): '\(message)'")
        default: ConfigParser.abort(&state, ConfigError(location, "", "'\(message)'"))
        }
    }
}

/// What the preprocessor leaves for the runtime.
public struct PreprocessorOutcome: Sendable {
    /// The environment after `setenv`/`unsetenv`/… and with HAPROXY_CFGFILES; the runtime makes
    /// the process environment equal to it when the proxy starts.
    public var environment = ConfigEnvironment()
    /// `.notice` messages (printed at start and by `-c`); `.diag` ones (printed with `-dD` only).
    public var notices: [String] = []
    public var diagnostics: [String] = []
    public init() {}
}
