// The stick-counter actions of http-request / http-response rules: `track-sc0|1|2 KEY
// [table T]`, `sc-inc-gpc0(N)`, `sc-inc-gpc1(N)`, `sc-set-gpt0(N) VALUE|EXPR`
// (configuration.txt 4.2, http-request). A missing table is an error at the end of the
// configuration (the proxy's own stick-table may come after the rule).

enum StickRuleSyntax {
    static func parse(_ action: String, _ param: String?, _ r: inout ArgCursor, context: SampleContext,
                      state: inout ParseState) throws(ConfigError) -> HTTPActionDef {
        let line = r.line
        if action.hasPrefix("track-sc") {
            if param != nil { throw line.error("'\(action)' takes no argument in parentheses") }
            let n = Int(String(action.last!))!
            let keyText = try r.value("a sample expression (the key)")
            let key = try SampleSyntax.parseWhole(keyText, context: context, line: line, state: &state)
            var table: String? = nil
            if r.peek == "table" {
                r.next()
                table = try r.value("a table name")
            }
            reference(table ?? state.proxy.name, line: line, state: &state)
            return .trackSC(n, key, table: table)
        }
        guard let p = param, let n = Int(p), (0...2).contains(n) else {
            throw line.error("'\(action)' expects a stick counter number as '\(action)(0|1|2)', got '\(param ?? "")'")
        }
        switch action {
        case "sc-inc-gpc0": return .scIncGPC(gpc: 0, counter: n)
        case "sc-inc-gpc1": return .scIncGPC(gpc: 1, counter: n)
        default:
            let v = try r.value("an integer or a sample expression")
            let text = Int64(v) != nil ? "int(\(v))" : v
            let e = try SampleSyntax.parseWhole(text, context: context, line: line, state: &state)
            guard SampleCast.exists(from: e.output, to: .int) else {
                throw line.error("'\(action)': '\(v)' cannot be converted to an integer")
            }
            return .scSetGPT0(counter: n, e)
        }
    }

    /// A table named by a rule or a fetch, checked once the configuration is read.
    static func reference(_ name: String, line: KeywordLine, state: inout ParseState) {
        state.config.rules.references.append(.init(kind: .table, name: name, location: line.location, keyword: line.keyword))
    }
}
