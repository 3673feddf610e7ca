// tcp-request / tcp-response rules, compiled and run. The conditions are the proxy's ACLs and
// the shared actions (track-sc*, sc-*, set-var, unset-var, capture) are the http-request
// rules' RuleActions, run by RuleContext.apply: one rule language. Only proxies with such
// rules get a program; the stream layer tests one optional per connection.

/// A compiled tcp rule.
struct TCPCompiledRule {
    enum Action {
        case accept, reject, silentDrop, close
        /// Handled at load (the listener reads a PROXY header first): nothing to do here.
        case expectProxy
        case apply(RuleAction)
    }
    let condition: CompiledCondition?
    let action: Action
    /// Where it was written (last_rule_file/line when it ends the set).
    var origin = RuleOrigin.none
}

/// What a tcp rule set decided.
enum TCPRuleVerdict: Equatable {
    /// No rule ended the set, or `accept`.
    case accept
    case reject
    case silentDrop
    /// `tcp-response content close`.
    case close
    /// A fetch needs bytes that have not come yet (content rules within inspect-delay).
    case needMore
}

/// A proxy's tcp rules.
final class TCPRuleProgram {
    let acls: [CompiledACL]
    let connection: [TCPCompiledRule]
    let session: [TCPCompiledRule]
    let content: [TCPCompiledRule]
    let response: [TCPCompiledRule]
    /// `tcp-request inspect-delay` (ms; 0: rules run on what is there, once).
    let inspectDelayMs: Int
    /// Some content rule reads the HTTP request (mode tcp: wait for a complete head).
    let contentReadsHTTP: Bool
    /// `tcp-response inspect-delay` (ms; 0: the response rules run once, on what is there).
    let responseInspectDelayMs: Int
    init(acls: [CompiledACL], connection: [TCPCompiledRule], session: [TCPCompiledRule], content: [TCPCompiledRule],
         response: [TCPCompiledRule], inspectDelayMs: Int, contentReadsHTTP: Bool, responseInspectDelayMs: Int = 0) {
        self.acls = acls; self.connection = connection; self.session = session; self.content = content
        self.response = response; self.inspectDelayMs = inspectDelayMs; self.contentReadsHTTP = contentReadsHTTP
        self.responseInspectDelayMs = responseInspectDelayMs
    }
    /// Rules that run at accept (connection, then session: ringproxy has no step between them).
    var hasAcceptRules: Bool { !connection.isEmpty || !session.isEmpty }
}

extension RuleContext {
    /// Runs one tcp rule set in order, as HAProxy's tcp_exec_l4/l5/l6_rules: the first
    /// accept/reject/silent-drop/close whose condition holds ends it; the other actions run and
    /// evaluation goes on. `waiting`: the data may still grow (a missing HTTP head then means
    /// "wait" rather than "no match").
    func runTCP(_ rules: [TCPCompiledRule], acls: [CompiledACL], headMissing: Bool, waiting: Bool) -> TCPRuleVerdict {
        if headMissing && waiting { return .needMore }
        content.final = !waiting
        for r in rules {
            if let c = r.condition {
                switch evaluateContent(c, acls) {
                case .pass: break
                case .fail: continue
                case .miss: return .needMore          // a value more bytes may change: wait
                }
            }
            switch r.action {
            case .accept: ruleEnded(r.origin); return .accept
            case .reject: ruleEnded(r.origin); return .reject
            case .silentDrop: ruleEnded(r.origin); return .silentDrop
            case .close: ruleEnded(r.origin); return .close
            case .expectProxy: continue
            case .apply(let a):
                switch a {
                case .capture, .setVar, .setVarFormat, .unsetVar, .trackSC, .scIncGPC, .scSetGPT0: _ = applyTCP(a)
                case .setAddress(let t, let e): overrideAddress(t, e)
                default: break
                }
            }
        }
        return .accept
    }

    /// The bookkeeping actions need no message view (apply() returns early without one).
    private func applyTCP(_ a: RuleAction) -> Bool {
        switch a {
        case .setVar(let slotRef, let expr):
            if let s = evaluate(expr) { setVariable(slotRef, s) }
            return true
        case .setVarFormat(let slotRef, let fmt):
            if let b = render(fmt) { setVariable(slotRef, .string(b)) }
            return true
        case .unsetVar(let slotRef): unsetVariable(slotRef); return true
        case .trackSC(let n, let key, let table): trackStickCounter(n, key, table: table); return true
        case .scIncGPC(let gpc, let n): incrementTracked(gpc: gpc, counter: n); return true
        case .scSetGPT0(let n, let value): setTrackedGPT0(counter: n, value); return true
        case .capture(let expr, let i, let request):
            guard let sl = slot, var s = evaluate(expr), SampleCast.convert(&s, to: .string, arena) else { return true }
            if request { if i < sl.requestCaptures.count { sl.requestCaptures[i].set(s.bytes) } }
            else if i < sl.responseCaptures.count { sl.responseCaptures[i].set(s.bytes) }
            return true
        default: return true
        }
    }
}

extension Compiler {
    /// The proxy's tcp rules, or nil when it has none.
    mutating func tcpProgram(_ p: ProxyConfig, _ table: ACLTable) throws -> TCPRuleProgram? {
        let t = p.tcpRules
        guard !t.isEmpty else { return nil }
        func compile(_ list: [TCPRuleDef]) throws -> [TCPCompiledRule] {
            try list.map { d in
                let condition = try d.condition.map { try table.condition($0, d.location) }
                let a: TCPCompiledRule.Action
                switch d.action {
                case .accept: a = .accept
                case .reject: a = .reject
                case .silentDrop: a = .silentDrop
                case .close: a = .close
                case .expectProxy: a = .expectProxy
                case .common(let h):
                    let set: HTTPRuleSet = d.stage == .response ? .response : .request
                    a = .apply(try action(HTTPRuleDef(action: h, condition: nil, location: d.location), p, set))
                }
                return TCPCompiledRule(condition: condition, action: a, origin: origins.origin(d.location, pool))
            }
        }
        return TCPRuleProgram(acls: table.acls, connection: try compile(t.connection), session: try compile(t.session),
                              content: try compile(t.content),
                              response: try compile(t.response),
                              inspectDelayMs: t.inspectDelay ?? 0, contentReadsHTTP: TCPRuleUsage.readsHTTP(t.content, p),
                              responseInspectDelayMs: t.responseInspectDelay ?? 0)
    }
}

/// Which fetches a rule set reads, decided at load.
enum TCPRuleUsage {
    static func readsHTTP(_ rules: [TCPRuleDef], _ p: ProxyConfig) -> Bool {
        func http(_ e: SampleExprDef) -> Bool {
            guard let spec = AclParser.fetchSpec(e.fetchName) else { return false }
            switch spec.usage {
            case .requestHeaders, .requestPermanent, .eitherDirection: return true
            default: return false
            }
        }
        func aclHTTP(_ name: String) -> Bool {
            p.acls.contains { a in
                guard a.name == name else { return false }
                if let c = a.criterion { return http(c.expression) }
                switch a.fetch {
                case .header, .path, .url, .method: return true
                default: return false
                }
            }
        }
        for r in rules {
            if let c = r.condition, c.alternatives.contains(where: { $0.contains { aclHTTP($0.acl) } }) { return true }
            guard case .common(let a) = r.action else { continue }
            switch a {
            case .trackSC(_, let e, _), .setVar(_, let e), .capture(let e, _, _), .scSetGPT0(_, let e):
                if http(e) { return true }
            default: break
            }
        }
        return false
    }
}
