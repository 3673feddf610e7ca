// `set-var proc.NAME EXPR` and `set-var-fmt proc.NAME FMT` in `global` (configuration.txt 3.1):
// process-wide variables set once, in order, when the configuration is compiled (so a later
// line may read an earlier one). Only the proc scope, and only fetches that read internal
// data (constants, other variables, uuid, rand, date...): there is no connection yet.

/// One `set-var`/`set-var-fmt` line of the global section.
public struct ProcessVariableSetting: Equatable, Sendable {
    public enum Value: Equatable, Sendable {
        case expression(SampleExprDef)
        case format(LogFormatDef)
    }
    public var variable: VariableRef
    public var value: Value
    public var location: SourceLocation
}

enum ProcessVariableKeywords {
    /// The fetches a global set-var may use (HAProxy: SMP_USE_CONST/INTRN only).
    static let internalFetches: Set<FetchKind> = [
        .alwaysTrue, .alwaysFalse, .env, .date, .hostname, .nbproc, .proc, .thread, .nbthread, .pid,
        .rand, .uuid, .str, .bool, .int, .ipv4, .ipv6, .bin, .meth, .variable, .stopping,
    ]

    static let all: [ConfigKeyword] = [
        ConfigKeyword("set-var", .global, "set-var proc.NAME EXPR",
                      "Sets a process-wide variable once at start from a sample expression of internal data (str(), int(), var()...).") { state, line throws(ConfigError) in
            try parse(&state, line, format: false)
        },
        ConfigKeyword("set-var-fmt", .global, "set-var-fmt proc.NAME FORMAT",
                      "Sets a process-wide variable once at start from a log-format string of internal data.") { state, line throws(ConfigError) in
            try parse(&state, line, format: true)
        },
    ]

    static func parse(_ state: inout ParseState, _ line: KeywordLine, format: Bool) throws(ConfigError) {
        let syntax = format ? "set-var-fmt proc.NAME FORMAT" : "set-var proc.NAME EXPR"
        try line.expectArguments(2...2, syntax)
        let name = line.argument(0)!
        guard let v = SampleSyntax.variable(name) else {
            throw line.error("invalid variable name '\(name)'; expected proc.NAME (NAME of a-z, A-Z, 0-9, '.' and '_')")
        }
        guard v.scope == .proc else {
            throw line.error("only process-wide variables can be set in the global section ('proc.' prefix), got '\(name)'")
        }
        let text = line.argument(1)!
        let value: ProcessVariableSetting.Value
        if format {
            let f = try LogFormatSyntax.parse(text, context: .log, line: line, state: &state)
            for n in f.nodes {
                if case .sample(let e, _) = n { try checkInternal(e, line) }
                else if case .field = n { throw line.error("log-format variables need a stream; only %[...] of internal data and text are allowed here") }
            }
            value = .format(f)
        } else {
            let e = try SampleSyntax.parseWhole(text, context: .log, line: line, state: &state)
            try checkInternal(e, line)
            value = .expression(e)
        }
        state.config.global.processVariables.append(ProcessVariableSetting(variable: v, value: value, location: line.location))
    }

    static func checkInternal(_ e: SampleExprDef, _ line: KeywordLine) throws(ConfigError) {
        guard internalFetches.contains(e.fetch) else {
            throw line.error("fetch method '\(e.fetchName)' reads connection or request data, which do not exist when the global section is read; only internal data may be used (str, int, var, uuid...)")
        }
    }
}
