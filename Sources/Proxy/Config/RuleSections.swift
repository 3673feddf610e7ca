// The rule language's sections (`userlist NAME`, `http-errors NAME`) and the work done when
// a proxy section ends (its log-format strings are read then, once `mode` is known).

enum RuleSections {
    static func open(_ section: ConfigSection, _ words: [String], at location: SourceLocation, state: inout ParseState) {
        guard words.count >= 2 else {
            state.errors.append(ConfigError(location, section.rawValue, "missing name; expected '\(section.rawValue) NAME'"))
            state.skippingSection = true
            return
        }
        if words.count > 2 {
            state.errors.append(ConfigError(location, section.rawValue, "unexpected argument '\(words[2])'; expected '\(section.rawValue) NAME'"))
        }
        let name = words[1]
        switch section {
        case .userlist:
            if let other = state.config.rules.userlists.first(where: { $0.name == name }) {
                state.errors.append(ConfigError(location, "userlist", "duplicate userlist '\(name)'; already defined at \(other.location)"))
            }
            state.config.rules.userlists.append(UserlistDef(name: name, location: location))
        case .httpErrors:
            if let other = state.config.rules.httpErrors.first(where: { $0.name == name }) {
                state.errors.append(ConfigError(location, "http-errors", "duplicate http-errors section '\(name)'; already defined at \(other.location)"))
            }
            state.config.rules.httpErrors.append(HTTPErrorsDef(name: name, location: location))
        default:
            break
        }
    }

    /// A frontend, backend or listen section ended: parse its (possibly inherited) log-format
    /// strings now that its mode is final.
    static func endOfProxy(_ state: inout ParseState) {
        let p = state.proxy
        let http = p.mode == .http
        // HAProxy refuses to mix the two ways of guarding the statistics page.
        if let first = p.rules.statsRules.first, p.stats.realm != StatsConfig().realm || !p.stats.auths.isEmpty {
            state.errors.append(ConfigError(first.location, "stats http-request",
                                            "proxy '\(p.name)': stats 'auth'/'realm' and 'http-request' can't be used at the same time."))
        }
        func parse(_ text: (String, SourceLocation)?, _ keyword: String, _ context: SampleContext) -> LogFormatDef? {
            guard let (t, loc) = text else { return nil }
            let line = KeywordLine(words: [keyword, t], argumentStart: 1, keyword: keyword, location: loc)
            do { return try LogFormatSyntax.parse(t, context: context, line: line, state: &state, mergeSpaces: true, httpMode: http) }
            catch { state.errors.append(error); return nil }
        }
        if p.isFrontend {
            state.proxy.rules.logFormat = parse(p.rules.logFormatText, "log-format", .log)
            state.proxy.rules.errorLogFormat = parse(p.rules.errorLogFormatText, "error-log-format", .log)
            state.proxy.rules.uniqueIDFormat = parse(p.rules.uniqueIDFormatText, "unique-id-format", .request)
        }
        // Captures declared with `http-request capture ... id N` must exist.
        for r in p.rules.httpRequest {
            if case .capture(_, nil, let id?) = r.action, id >= p.rules.captures.request.count {
                state.errors.append(ConfigError(r.location, "http-request capture", "unable to find capture id '\(id)' referenced by http-request capture rule"))
            }
        }
        for r in p.rules.httpResponse + p.rules.httpAfterResponse {
            if case .capture(_, _, let id?) = r.action, id >= p.rules.captures.response.count {
                state.errors.append(ConfigError(r.location, "http-response capture", "unable to find capture id '\(id)' referenced by http-response capture rule"))
            }
        }
    }

    /// Checks once the whole configuration is read: names that expressions and rules refer to.
    static func endOfConfiguration(_ state: inout ParseState) {
        let userlists = Set(state.config.rules.userlists.map(\.name))
        let errors = Set(state.config.rules.httpErrors.map(\.name))
        let proxies = state.config.proxies
        for r in state.config.rules.references {
            switch r.kind {
            case .userlist where !userlists.contains(r.name):
                state.errors.append(ConfigError(r.location, r.keyword, "unable to find userlist '\(r.name)'"))
            case .httpErrors where !errors.contains(r.name):
                state.errors.append(ConfigError(r.location, r.keyword, "unknown http-errors section '\(r.name)'"))
            case .backend where !proxies.contains(where: { $0.isBackend && $0.name == r.name }):
                state.errors.append(ConfigError(r.location, r.keyword, "unable to find backend '\(r.name)'"))
            case .server:
                // `BACKEND/SERVER` (ServerFetches.swift resolves it when the rules are compiled)
                let parts = r.name.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let (b, s) = (parts[0], parts.count > 1 ? parts[1] : "")
                if !proxies.contains(where: { $0.isBackend && $0.name == b && $0.servers.contains { $0.name == s } }) {
                    state.errors.append(ConfigError(r.location, r.keyword, "unable to find server '\(s)' in proxy '\(b)'"))
                }
            case .table where !proxies.contains(where: { $0.name == r.name && $0.stickTable != nil })
                && !PeersTableName.declared(r.name, in: state.config.peers.sections + state.peers.sections + (state.peers.current.map { [$0] } ?? [])):
                state.errors.append(ConfigError(r.location, r.keyword, "unable to find table '\(r.name)'"))
            default: break
            }
        }
        // `group G users U` lines that named users declared later.
        for i in 0..<state.config.rules.userlists.count {
            let u = state.config.rules.userlists[i]
            for (user, group) in u.pendingMembers {
                if let k = u.users.firstIndex(where: { $0.name == user }) {
                    state.config.rules.userlists[i].users[k].groups.append(group)
                } else {
                    state.errors.append(ConfigError(u.location, "group", "userlist '\(u.name)': group '\(group)' names unknown user '\(user)'"))
                }
            }
        }
        // Users must name existing groups.
        for u in state.config.rules.userlists {
            for user in u.users {
                for g in user.groups where !u.groups.contains(g) {
                    state.errors.append(ConfigError(u.location, "user", "userlist '\(u.name)': user '\(user.name)' refers to unknown group '\(g)'"))
                }
            }
        }
        // `errorfiles NAME` in proxies.
        for p in proxies {
            for e in p.rules.errorPages {
                if case .section(let name) = e.source, !errors.contains(name) {
                    state.errors.append(ConfigError(e.location, "errorfiles", "unknown http-errors section '\(name)' (in proxy '\(p.name)')"))
                }
            }
        }
    }

    /// Compiles the rules once to report what only the compiler sees; last, once the peers
    /// sections are in the configuration (a `table peers/NAME` names one of their tables).
    static func compileCheck(_ state: inout ParseState) {
        if state.errors.isEmpty, let problem = RuleCompiler.check(state.config) {
            state.errors.append(ConfigError(file: "", line: 0, keyword: "", message: problem))
        }
    }
}
