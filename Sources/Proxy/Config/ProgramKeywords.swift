// The `program` section: `program NAME`, then `command`, `user`, `group` and
// `[no] option start-on-reload`, as HAProxy 2.6 reads them.

enum ProgramKeywords {
    /// `program NAME` opens a section.
    static func open(_ words: [String], at location: SourceLocation, state: inout ParseState) {
        guard words.count >= 2, !words[1].isEmpty else {
            state.errors.append(ConfigError(location, "program", "missing program name; expected 'program NAME'"))
            state.config.programs.append(ProgramConfig(name: "", location: location))
            return
        }
        let name = words[1]
        if words.count > 2 { state.errors.append(ConfigError(location, "program", "unexpected argument '\(words[2])'; expected 'program NAME'")) }
        if let other = state.config.programs.first(where: { $0.name == name }) {
            state.errors.append(ConfigError(location, "program", "program '\(name)' already exists (defined at \(other.location))"))
        }
        state.config.programs.append(ProgramConfig(name: name, location: location))
    }

    /// A program section must say what to run.
    static func close(_ state: inout ParseState) {
        guard let p = state.config.programs.last, p.command.isEmpty, !p.name.isEmpty else { return }
        state.errors.append(ConfigError(p.location, "program", "the program section '\(p.name)' lacks a command to launch; add 'command CMD [ARGS...]'"))
    }

    static func index(_ state: inout ParseState) -> Int { state.config.programs.count - 1 }

    static func user(_ state: inout ParseState, _ line: KeywordLine) throws(ConfigError) {
        try line.expectArguments(1...1, "user NAME")
        state.config.programs[index(&state)].user = line.argument(0)
    }

    static func group(_ state: inout ParseState, _ line: KeywordLine) throws(ConfigError) {
        try line.expectArguments(1...1, "group NAME")
        state.config.programs[index(&state)].group = line.argument(0)
    }

    static let all: [ConfigKeyword] = [
        ConfigKeyword("command", .program, "command CMD [ARGS...]",
                      "Program: the command the master starts (PATH is searched when CMD has no '/').") { state, line throws(ConfigError) in
            guard line.argumentCount >= 1 else { throw line.error("missing command; expected 'command CMD [ARGS...]'") }
            state.config.programs[index(&state)].command = Array(line.arguments)
        },
        ConfigKeyword("option start-on-reload", .program, "[no] option start-on-reload",
                      "Program: a reload starts a new instance (default); with `no`, it only signals the running one (SIGUSR1), as HAProxy.",
                      negatable: true) { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "[no] option start-on-reload")
            state.config.programs[index(&state)].startOnReload = !line.negated
        },
    ]
}
