// `setenv`, `presetenv`, `unsetenv`, `resetenv` in `global`: they change the environment that
// `"${VAR}"` reads on the following lines, and the one the proxy runs with.

enum EnvironmentKeywords {
    static let all: [ConfigKeyword] = [
        set("setenv", overwrite: true, "Set an environment variable (for the lines after it and for the process)."),
        set("presetenv", overwrite: false, "Set an environment variable unless it is already set."),
        ConfigKeyword("unsetenv", .global, "unsetenv NAME...", "Remove environment variables.") { state, line throws(ConfigError) in
            guard line.argumentCount > 0, !(line.argument(0) ?? "").isEmpty else {
                throw line.error("expects at least one variable name")
            }
            for name in line.arguments where !name.isEmpty { state.environment.unset(name) }
        },
        ConfigKeyword("resetenv", .global, "resetenv [NAME...]", "Remove every environment variable except the named ones.") { state, line throws(ConfigError) in
            state.environment.reset(keeping: Array(line.arguments))
        },
    ]

    static func set(_ name: String, overwrite: Bool, _ summary: String) -> ConfigKeyword {
        ConfigKeyword(name, .global, "\(name) NAME VALUE", summary) { state, line throws(ConfigError) in
            guard let variable = line.argument(0), !variable.isEmpty, let value = line.argument(1), !value.isEmpty else {
                throw line.error("expects a name and a value")
            }
            guard !variable.contains("=") else { throw line.error("invalid variable name '\(variable)': it may not contain '='") }
            if let extra = line.argument(2) {
                // HAProxy 2.6 accepts and drops a third word; say so rather than drop it silently.
                state.warn(line.location, "'\(name)': extra argument '\(extra)' ignored (quote the value if it contains spaces)")
            }
            if line.argumentCount > 3 { throw line.error("too many arguments; expected '\(name) NAME VALUE'") }
            state.environment.set(variable, value, overwrite: overwrite)
        }
    }
}
