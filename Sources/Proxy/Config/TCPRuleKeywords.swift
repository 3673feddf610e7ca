// `tcp-request connection|session|content ACTION [if|unless COND]`, `tcp-request inspect-delay`,
// `tcp-response content ACTION [if|unless COND]`, `tcp-response inspect-delay` (configuration.txt
// 4.2). Actions shared with http-request rules (track-sc*, sc-*, set-var, unset-var, capture)
// are read by HTTPRuleParser so that there is one rule language; accept, reject, silent-drop,
// expect-proxy and close are read here. An action HAProxy has and ringproxy does not is an
// error naming file:line.

enum TCPRuleKeywords {
    static let common = ["track-sc0", "track-sc1", "track-sc2", "sc-inc-gpc0", "sc-inc-gpc1", "sc-set-gpt0",
                         "set-var", "set-var-fmt", "unset-var"]

    /// set-src/set-dst at the connection's, the session's or the stream's level (AddressLevels.swift).
    static let addresses = ["set-src", "set-src-port", "set-dst", "set-dst-port"]

    /// The actions each stage accepts (HAProxy 2.6's, minus the ones ringproxy lacks).
    static func actions(_ stage: TCPRuleStage) -> [String] {
        switch stage {
        case .connection: return ["accept", "reject", "silent-drop", "expect-proxy"] + common + addresses
        case .session: return ["accept", "reject", "silent-drop"] + common + addresses
        case .content: return ["accept", "reject", "silent-drop", "capture"] + common + addresses
        case .response: return ["accept", "reject", "silent-drop", "close", "sc-inc-gpc0", "sc-inc-gpc1", "sc-set-gpt0",
                                "set-var", "set-var-fmt", "unset-var"]
        }
    }

    /// HAProxy 2.6 actions ringproxy does not run (named in the error).
    static let unsupported = ["expect-netscaler-cip", "set-mark",
                              "set-tos", "set-priority-class", "set-priority-offset", "switch-mode", "use-service",
                              "do-resolve", "sc-inc-gpc", "sc-set-gpt", "send-spoe-group", "lua", "set-bandwidth-limit",
                              "attach-srv", "set-fc-mark", "set-fc-tos", "set-nice", "set-log-level", "set-var-fmt"]

    static var all: [ConfigKeyword] {
        [
            rules("tcp-request connection", .connection, .frontendSide,
                  "Layer-4 rules at accept: accept, reject, silent-drop, expect-proxy layer4, track-sc*, sc-*, set-var, set-src/set-dst(-port)."),
            rules("tcp-request session", .session, .frontendSide,
                  "Rules once the session exists (after the PROXY header): accept, reject, track-sc*, sc-*, set-var, set-src/set-dst(-port)."),
            rules("tcp-request content", .content, .proxies,
                  "Rules on the request's first bytes (within inspect-delay; HTTP fetches in mode tcp wait for a complete head)."),
            rules("tcp-response content", .response, .backendSide,
                  "Rules on the server's first bytes (mode tcp, within inspect-delay) or its response before http-response rules (mode http): accept, reject, close, set-var, sc-*."),
            ConfigKeyword("tcp-request inspect-delay", .proxies, "tcp-request inspect-delay TIME",
                          "How long tcp-request content rules may wait for the data they need.") { state, line throws(ConfigError) in
                try line.expectArguments(1...1, "tcp-request inspect-delay TIME")
                try anonymousDefaults(state, line)
                state.proxy.tcpRules.inspectDelay = try line.time(0, "inspect-delay")
            },
            ConfigKeyword("tcp-response inspect-delay", .backendSide, "tcp-response inspect-delay TIME",
                          "How long tcp-response content rules may wait for the data they need.") { state, line throws(ConfigError) in
                try line.expectArguments(1...1, "tcp-response inspect-delay TIME")
                try anonymousDefaults(state, line)
                state.proxy.tcpRules.responseInspectDelay = try line.time(0, "inspect-delay")
            },
        ]
    }

    static func anonymousDefaults(_ state: ParseState, _ line: KeywordLine) throws(ConfigError) {
        if state.section == .defaults && state.proxy.name.isEmpty {
            throw line.error("'\(line.keyword)' not allowed in anonymous 'defaults' section.")
        }
    }

    static func rules(_ name: String, _ stage: TCPRuleStage, _ sections: SectionSet, _ summary: String) -> ConfigKeyword {
        ConfigKeyword(name, sections, "\(name) ACTION [ARGS] [if|unless COND]", summary) { state, line throws(ConfigError) in
            try anonymousDefaults(state, line)
            let rule = try parse(stage, line, state: &state)
            switch stage {
            case .connection: state.proxy.tcpRules.connection.append(rule)
            case .session: state.proxy.tcpRules.session.append(rule)
            case .content: state.proxy.tcpRules.content.append(rule)
            case .response: state.proxy.tcpRules.response.append(rule)
            }
        }
    }

    static func parse(_ stage: TCPRuleStage, _ line: KeywordLine, state: inout ParseState) throws(ConfigError) -> TCPRuleDef {
        guard let word = line.argument(0) else {
            throw line.error("expects an action; expected one of \(actions(stage).joined(separator: ", "))")
        }
        let (action, _) = HTTPRuleParser.splitParen(word)
        guard actions(stage).contains(action) else {
            if unsupported.contains(action) || HTTPRuleParser.requestActions.contains(action) {
                throw line.error("action '\(action)' in '\(line.keyword)' rules is not supported by ringproxy")
            }
            throw line.error(EditDistance.unknownMessage("'\(line.keyword)' action", action, actions(stage)))
        }
        let ctx: SampleContext = stage == .response ? .response : (state.proxy.kind == .frontend ? .frontendRequest : .request)
        var next = 1
        let def: TCPActionDef
        switch action {
        case "accept": def = .accept
        case "reject": def = .reject
        case "silent-drop":
            if line.argument(1) == "rst-ttl" { throw line.error("'silent-drop rst-ttl' is not supported by ringproxy") }
            def = .silentDrop
        case "close": def = .close
        case "expect-proxy":
            guard line.argument(1) == "layer4" else { throw line.error("'expect-proxy' expects 'layer4'") }
            next = 2
            def = .expectProxy
        default:
            // The shared actions: read as the same http-request/-response action.
            let sub = KeywordLine(words: line.words, argumentStart: line.argumentStart + 1, keyword: line.keyword, location: line.location)
            guard let r = try HTTPRuleParser.parse(stage == .response ? .response : .request, sub, state: &state) else {
                throw line.error("unexpected action '\(action)'")
            }
            return TCPRuleDef(stage: stage, action: .common(r.action), condition: r.condition, location: line.location)
        }
        var condition: Condition? = nil
        if let w = line.argument(next) {
            guard w == "if" || w == "unless" else {
                throw line.error("unexpected '\(w)' after the '\(action)' action; expected 'if COND' or 'unless COND'")
            }
            condition = try ConditionParser.parse(line, from: next, state: &state, context: ctx)
        }
        return TCPRuleDef(stage: stage, action: def, condition: condition, location: line.location)
    }

    /// Once every section is read: an unconditional `expect-proxy layer4` that every
    /// connection reaches makes the proxy's listeners expect a PROXY header (as accept-proxy);
    /// a conditional one makes them ask the connection rules at accept (on the socket's
    /// addresses, before any byte). Either way no rule that may end the set may come first:
    /// ringproxy runs the connection rules again on the first request, after the header.
    static func endOfConfiguration(_ state: inout ParseState) {
        for i in state.config.proxies.indices {
            let rules = state.config.proxies[i].tcpRules.connection
            guard let k = rules.lastIndex(where: { $0.action == .expectProxy }) else { continue }
            if let blocking = rules[..<k].first(where: { $0.action != .expectProxy && !isBookkeeping($0.action) }) {
                state.errors.append(ConfigError(rules[k].location, "tcp-request connection",
                    "'expect-proxy layer4' after a rule that may end the rule set (line \(blocking.location.line)) is not supported by ringproxy"))
                continue
            }
            let always = rules.contains { $0.action == .expectProxy && $0.condition == nil }
            for b in state.config.proxies[i].binds.indices {
                if always { state.config.proxies[i].binds[b].options.acceptProxy = true }
                else { state.config.proxies[i].binds[b].options.expectProxyIf = true }
            }
        }
    }

    static func isBookkeeping(_ a: TCPActionDef) -> Bool {
        if case .common = a { return true }
        return false
    }
}
