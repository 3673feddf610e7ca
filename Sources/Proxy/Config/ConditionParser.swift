// `if|unless TERM...`: ACL names (optionally `!`-negated) joined by implicit AND, alternatives
// separated by `or`/`||`, and anonymous ACLs `{ FETCH [flags] PATTERN... }`.

enum ConditionParser {
    static let predefinedNames = ["TRUE", "FALSE", "LOCALHOST", "METH_GET", "METH_HEAD", "METH_POST", "METH_PUT",
                                  "METH_DELETE", "METH_OPTIONS", "METH_TRACE", "METH_CONNECT", "HTTP", "HTTP_1.0",
                                  "HTTP_1.1", "HTTP_2.0", "HTTP_URL_ABS", "HTTP_URL_SLASH", "HTTP_URL_STAR", "HTTP_CONTENT", "WAIT_END", "RDP_COOKIE"]

    /// Parses the condition starting at argument `start` (which is `if` or `unless`) to the end of the line.
    /// ACLs must be declared earlier in the same section, as in HAProxy.
    static func parse(_ line: KeywordLine, from start: Int, state: inout ParseState,
                      context: SampleContext = .request) throws(ConfigError) -> Condition {
        let unless = line.argument(start) == "unless"
        var alternatives: [[Condition.Term]] = [[]]
        var i = start + 1
        var negateNext = false
        while let word = line.argument(i) {
            if word == "or" || word == "||" {
                if negateNext { throw line.error("'!' must be followed by an ACL name") }
                guard !alternatives[alternatives.count - 1].isEmpty else { throw line.error("'\(word)' must be between two conditions") }
                alternatives.append([])
                i += 1
                continue
            }
            var name = word
            var negated = negateNext
            negateNext = false
            if name == "!" { negateNext = !negated; i += 1; continue }
            if name.hasPrefix("!") { negated.toggle(); name.removeFirst() }
            if name == "{" {
                guard let close = (i + 1..<line.argumentCount).first(where: { line.argument($0) == "}" }) else {
                    throw line.error("missing '}' to close the anonymous ACL")
                }
                state.anonymousAclCount += 1
                let generated = "{anonymous#\(state.anonymousAclCount)}"
                state.proxy.acls.append(try AclParser.parse(name: generated, line, from: i + 1, to: close, state: &state, context: context))
                alternatives[alternatives.count - 1].append(Condition.Term(acl: generated, negated: negated))
                i = close + 1
                continue
            }
            if name == "}" { throw line.error("unexpected '}' without a matching '{'") }
            alternatives[alternatives.count - 1].append(try resolve(name, negated: negated, line, &state))
            i += 1
        }
        if negateNext { throw line.error("'!' must be followed by an ACL name") }
        guard !alternatives[alternatives.count - 1].isEmpty else {
            throw line.error(alternatives.count == 1 ? "missing condition after '\(unless ? "unless" : "if")'" : "missing condition after 'or'")
        }
        return Condition(unless: unless, alternatives: alternatives)
    }

    /// A named ACL of the section or a predefined one (added to the proxy's list on first use).
    static func resolve(_ name: String, negated: Bool, _ line: KeywordLine, _ state: inout ParseState) throws(ConfigError) -> Condition.Term {
        if state.proxy.acls.contains(where: { $0.name == name }) { return Condition.Term(acl: name, negated: negated) }
        // FALSE is !TRUE (one predefined ACL less to evaluate).
        let predefinedName = name == "FALSE" ? "TRUE" : name
        if var definition = AclParser.predefined(predefinedName, at: line.location) {
            if !state.proxy.acls.contains(where: { $0.name == predefinedName }) {
                // HAProxy parses a predefined ACL on its first use in a proxy: one pattern reference.
                definition.criterion?.reference = state.config.rules.patternRefs.count
                state.config.rules.patternRefs.append(PatternRefDef(
                    path: nil, display: "acl '\(definition.criterion?.expression.fetchName ?? name)' file '\(line.location.file)' line \(line.location.line)",
                    usedByACL: true, usedByMap: false, hasValues: false, uniqueID: nil))
                state.proxy.acls.append(definition)
            }
            return Condition.Term(acl: predefinedName, negated: name == "FALSE" ? !negated : negated)
        }
        let known = Array(Set(state.proxy.acls.map(\.name).filter { !$0.hasPrefix("{") })).sorted()
        var message = "unknown ACL '\(name)'; ACLs must be declared with 'acl' earlier in the same section"
        if !known.isEmpty { message += " (declared here: \(known.joined(separator: ", ")))" }
        if let s = EditDistance.suggestion(for: name, among: known + predefinedNames) { message += " (did you mean '\(s)'?)" }
        throw line.error(message)
    }
}
