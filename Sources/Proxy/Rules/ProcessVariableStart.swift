// The global section's `set-var`/`set-var-fmt` (ProcessVariableKeywords), compiled with the
// rules and evaluated once, in configuration order, before any worker starts; and the runtime
// API's `get var` / `set var` on the same process variables (management.txt 9.3).

import Synchronization

/// One compiled global set-var line.
struct InitialProcessVariable {
    enum Value { case expression(SampleExpr), format(LogFormatProgram) }
    let slot: VarSlot
    let value: Value
}

extension Compiler {
    /// Compiles the global set-var lines (their names join the variable table first, so every
    /// proc variable the configuration names exists from the start, as in HAProxy).
    mutating func processVariableStart() throws -> [InitialProcessVariable] {
        try config.global.processVariables.map { g in
            let p = ProxyConfig(kind: .defaults, name: "", location: g.location)
            let slot = VarSlot(scope: .proc, index: variables.slot(g.variable))
            switch g.value {
            case .expression(let e): return InitialProcessVariable(slot: slot, value: .expression(try expr(e, p)))
            case .format(let f): return InitialProcessVariable(slot: slot, value: .format(try format(f, p, http: false)))
            }
        }
    }
}

extension RuleContext {
    /// Runs compiled global set-var lines (no connection: only internal data is readable).
    func applyProcessVariables(_ list: [InitialProcessVariable]) {
        for v in list {
            arena.reset(); formatArena.reset()
            switch v.value {
            case .expression(let e): if let s = evaluate(e) { setVariable(v.slot, s) }
            case .format(let f): if let b = render(f) { setVariable(v.slot, .string(b)) }
            }
        }
        arena.reset(); formatArena.reset()
    }
}

/// `get var` and `set var` of the runtime API, over a compiled configuration's proc variables.
public final class ProcessVariableAccess: @unchecked Sendable {
    // @unchecked: immutable; ProcessVariables synchronises itself, and `set` compiles into a
    // context of its own under `lock`.
    private let rules: CompiledRules
    private let topology: Topology
    private let stick: StickTableSet
    private let lock = Mutex<Void>(())

    init(rules: CompiledRules, topology: Topology, stick: StickTableSet) {
        self.rules = rules; self.topology = topology; self.stick = stick
    }

    private func index(_ name: String) -> Int? {
        rules.tables.variables.firstIndex { $0.scope == .proc && $0.text == name }
    }

    /// `get var NAME`: HAProxy's answer, errors included.
    public func get(_ name: String) -> (ok: Bool, text: String) {
        if name.isEmpty { return (false, "Missing process-wide variable identifier.\n") }
        guard let i = index(name), let text = rules.tables.processVariables.describe(i, { s in
            Self.describe(s, name)
        }) else { return (false, "Variable not found.\n") }
        return (true, text)
    }

    /// HAProxy's `get var` line: the value cast to a string, non-printable bytes as dots.
    static func describe(_ s: Sample, _ name: String) -> String {
        let arena = SampleArena()
        var t = s
        let type = SampleSyntax.typeName(s.type)
        guard SampleCast.convert(&t, to: .string, arena) else { return "\(name): type=\(type) value=(undisplayable)" }
        var out = "\(name): type=\(type) value=<"
        for b in t.bytes { out.unicodeScalars.append(Unicode.Scalar((0x20..<0x7f).contains(b) ? b : UInt8(ascii: "."))) }
        return out + ">"
    }

    /// `set var NAME [expr|fmt] VALUE`: nil when done, else HAProxy's error text.
    public func set(_ words: [String]) -> String? {
        guard words.count > 2, !words[2].isEmpty else { return "Missing process-wide variable identifier.\n" }
        guard words.count > 3, !words[3].isEmpty else { return "Missing either 'expr', 'fmt' or expression.\n" }
        var isFormat = false
        var text = words[3]
        if words.count > 4 {
            guard words[3] == "fmt" || words[3] == "expr" else {
                return "'set var': arg type must be either 'expr' or 'fmt' but got '\(words[3])'."
            }
            isFormat = words[3] == "fmt"
            text = words[4...].joined(separator: " ")
        }
        let name = words[2]
        guard let v = SampleSyntax.variable(name), v.scope == .proc else {
            return "'set var': cannot set variable '\(name)', only scope 'proc' is permitted here."
        }
        var state = ParseState()
        state.section = .global
        let line = KeywordLine(words: ["set-var", name, text], argumentStart: 1, keyword: "set var", location: SourceLocation(file: "CLI", line: 1))
        let setting: ProcessVariableSetting
        do {
            if isFormat {
                setting = ProcessVariableSetting(variable: v, value: .format(try LogFormatSyntax.parse(text, context: .log, line: line, state: &state)), location: line.location)
            } else {
                let e = try SampleSyntax.parseWhole(text, context: .log, line: line, state: &state)
                try ProcessVariableKeywords.checkInternal(e, line)
                setting = ProcessVariableSetting(variable: v, value: .expression(e), location: line.location)
            }
        } catch { return error.message }
        return lock.withLock { _ -> String? in
            var config = rules.configuration
            config.global.processVariables = [setting]
            var c = Compiler(config: config, topology: topology, stick: stick)
            // Same numbering as the running rules: a name they do not know has no storage.
            for r in rules.tables.variables { _ = c.variables.slot(r) }
            let known = c.variables.count
            let compiled: [InitialProcessVariable]
            do { compiled = try c.processVariableStart() } catch { return "\(error)" }
            if c.variables.count != known { return "Variable not found.\n" }
            let ctx = RuleContext(tables: rules.tables, worker: 0)
            ctx.applyProcessVariables(compiled)
            withExtendedLifetime(c.pool) {}
            return nil
        }
    }
}
