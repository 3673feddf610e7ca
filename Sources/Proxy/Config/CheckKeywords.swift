// Health-check keywords of proxies: `option httpchk`, `option tcp-check` and HAProxy's protocol
// checks, `http-check …` and `tcp-check …` rules.

enum CheckKeywords {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("option httpchk", .backendSide, "option httpchk [METHOD] [URI] [VERSION[\\r\\nHeader:\\ value…]]",
                      "HTTP health checks (default `OPTIONS / HTTP/1.0`); refined by `http-check` rules.", negatable: true) { state, line throws(ConfigError) in
            if line.negated {
                try line.expectArguments(0...0, "no option httpchk")
                if state.proxy.checks.kind == .http { state.proxy.checks.kind = .layer4 }
                return
            }
            try line.expectArguments(0...3, "option httpchk [METHOD] [URI] [VERSION]")
            var send = HTTPCheckSend()
            send.fromOption = true
            switch line.argumentCount {
            case 1: send.uri = CheckFormat(literal: line.argument(0)!)          // a lone argument is the URI
            case 2: send.method = line.argument(0)!; send.uri = CheckFormat(literal: line.argument(1)!)
            case 3: send.method = line.argument(0)!; send.uri = CheckFormat(literal: line.argument(1)!)
            default: break
            }
            if line.argumentCount == 3 {
                // HAProxy 1.x/2.x trick: headers (and a body) hidden after the version.
                let (version, headers, body) = splitLegacyVersion(line.argument(2)!)
                send.version = version
                for (n, v) in headers { send.headers.append(.init(name: n, value: try CheckRuleParser.format(v, line))) }
                if let body { send.body = CheckFormat(literal: body) }
                if !headers.isEmpty || body != nil {
                    state.warn(line.location, "'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.")
                }
            }
            ownHTTPRules(&state)
            state.proxy.checks.kind = .http
            try addHTTPRule(CheckRule(.send(.http(send)), location: line.location), to: &state.proxy.checks.httpRules, line)
        },
        ConfigKeyword("option tcp-check", .backendSide, "option tcp-check",
                      "Health checks run the `tcp-check` rules (a plain connect without any).", negatable: true) { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "option tcp-check")
            if line.negated { if state.proxy.checks.kind == .tcpCheck { state.proxy.checks.kind = .layer4 }; return }
            state.proxy.checks.kind = .tcpCheck
        },
        protocolCheck("option ssl-hello-chk", .sslHello, "option ssl-hello-chk", "Check that the server answers an SSLv3 client hello.") { _, line throws(ConfigError) in
            try line.expectArguments(0...0, "option ssl-hello-chk")
        },
        protocolCheck("option smtpchk", .smtp, "option smtpchk [EHLO|HELO DOMAIN]", "SMTP checks: greeting 2xx, then HELO/EHLO answered 2xx.") { state, line throws(ConfigError) in
            try line.expectArguments(0...2, "option smtpchk [EHLO|HELO DOMAIN]")
            if line.argumentCount == 2, let verb = line.argument(0), verb == "EHLO" || verb == "HELO" {
                state.proxy.checks.smtpGreeting = "\(verb) \(line.argument(1)!)"
            } else {
                state.proxy.checks.smtpGreeting = "HELO localhost"     // HAProxy falls back silently
            }
        },
        protocolCheck("option mysql-check", .mysql, "option mysql-check [user USER [post-41|pre-41]]", "MySQL checks: handshake (and login + quit with a user).") { state, line throws(ConfigError) in
            try line.expectArguments(0...3, "option mysql-check [user USER [post-41|pre-41]]")
            state.proxy.checks.mysqlUser = nil
            state.proxy.checks.mysqlPost41 = true
            guard let w = line.argument(0) else { return }
            guard w == "user" else { throw line.error("'option mysql-check' only supports optional values: 'user' (got '\(w)').") }
            guard let user = line.argument(1), !user.isEmpty else { throw line.error("'option mysql-check user' expects <username> as argument.") }
            state.proxy.checks.mysqlUser = user
            if let v = line.argument(2) {
                guard v == "post-41" || v == "pre-41" else { throw line.error("keyword 'user' only supports 'post-41' and 'pre-41' (got '\(v)').") }
                state.proxy.checks.mysqlPost41 = v == "post-41"
            }
        },
        protocolCheck("option pgsql-check", .pgsql, "option pgsql-check user USER", "PostgreSQL checks: a startup packet answered with an authentication request.") { state, line throws(ConfigError) in
            try line.expectArguments(0...2, "option pgsql-check user USER")
            guard line.argumentCount == 2 else { throw line.error("'option pgsql-check' expects 'user <username>' as argument.") }
            guard line.argument(0) == "user" else { throw line.error("'option pgsql-check' only supports optional values: 'user'.") }
            state.proxy.checks.pgsqlUser = line.argument(1)!
        },
        protocolCheck("option redis-check", .redis, "option redis-check", "Redis checks: PING answered +PONG.") { _, line throws(ConfigError) in
            try line.expectArguments(0...0, "option redis-check")
        },
        protocolCheck("option ldap-check", .ldap, "option ldap-check", "LDAPv3 checks: an anonymous bind answered with success.") { _, line throws(ConfigError) in
            try line.expectArguments(0...0, "option ldap-check")
        },
        protocolCheck("option spop-check", .spop, "option spop-check", "SPOP checks: a HAPROXY-HELLO frame answered by a valid AGENT-HELLO.") { _, line throws(ConfigError) in
            try line.expectArguments(0...0, "option spop-check")
        },
        ConfigKeyword("http-check", .backendSide,
                      "http-check connect|send|expect|comment|set-var(check.N)|unset-var(check.N)|disable-on-404|send-state …",
                      "HTTP check rules (used with `option httpchk`): requests, expectations, extra connections.") { state, line throws(ConfigError) in
            guard let sub = line.argument(0) else {
                throw line.error("missing argument; expected 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var' or 'unset-var'")
            }
            switch sub {
            case "disable-on-404":
                try line.expectArguments(1...1, "http-check disable-on-404")
                state.proxy.checks.disableOn404 = true
                return
            case "send-state":
                try line.expectArguments(1...1, "http-check send-state")
                state.proxy.checks.sendState = true
                return
            default: break
            }
            var rule = try parseRule(line, sub: sub, family: .http)
            ownHTTPRules(&state)
            if case .connect = rule.action { try requireLeadingConnect(state.proxy.checks.httpRules, line) }
            if state.proxy.checks.kind == .http {
                try addHTTPRule(rule, to: &state.proxy.checks.httpRules, line)
            } else {
                // HAProxy keeps the rules of a proxy without `option httpchk` unchecked ("unused").
                rule.index = (state.proxy.checks.httpRules.last?.index ?? -1) + 1
                state.proxy.checks.httpRules.append(rule)
            }
        },
        ConfigKeyword("tcp-check", .backendSide,
                      "tcp-check connect|send|send-binary|send-lf|send-binary-lf|expect|comment|set-var(check.N)|unset-var(check.N) …",
                      "TCP check rules (used with `option tcp-check`): connections, data to send, expectations.") { state, line throws(ConfigError) in
            guard let sub = line.argument(0) else {
                throw line.error("missing argument; expected 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var' or 'unset-var'")
            }
            var rule = try parseRule(line, sub: sub, family: .tcp)
            if state.proxy.checks.tcpRulesOwner != state.proxy.location {
                state.proxy.checks.tcpRules = []
                state.proxy.checks.tcpRulesOwner = state.proxy.location
            }
            let rules = state.proxy.checks.tcpRules
            if case .connect = rule.action { try requireLeadingConnect(rules, line) }
            rule.index = (rules.last?.index ?? -1) + 1
            state.proxy.checks.tcpRules.append(rule)
        },
    ]

    /// Checks that need a whole server line: HAProxy refuses an agent check without a port.
    static func endOfConfiguration(_ state: inout ParseState) {
        for p in state.config.proxies where p.isBackend {
            for s in p.servers where s.checkSettings.agent.enabled && s.checkSettings.agent.port == nil {
                state.errors.append(ConfigError(s.location, "server", "server \(s.name) does not have agent port. Agent check has been disabled."))
            }
        }
    }

    static func protocolCheck(_ name: String, _ kind: CheckKind, _ syntax: String, _ summary: String,
                              _ parse: @escaping KeywordHandler) -> ConfigKeyword {
        ConfigKeyword(name, .backendSide, syntax, summary, negatable: true) { state, line throws(ConfigError) in
            if line.negated {
                try line.expectArguments(0...0, "no \(name)")
                if state.proxy.checks.kind == kind { state.proxy.checks.kind = .layer4 }
                return
            }
            try parse(&state, line)
            state.proxy.checks.kind = kind
        }
    }

    /// HAProxy: "first step MUST also be a 'connect', optionally preceded by a 'set-var', an
    /// 'unset-var' or a 'comment', when there is a 'connect' step" (the request of `option
    /// httpchk` may precede it: it moves after the connect).
    static func requireLeadingConnect(_ rules: [CheckRule], _ line: KeywordLine) throws(ConfigError) {
        for r in rules {
            switch r.action {
            case .connect: return
            case .comment, .setVar, .unsetVar: continue
            case .send(.http(let s)) where s.fromOption: continue
            default:
                throw line.error("first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the \(line.keyword) ruleset")
            }
        }
    }

    /// The first http-check line of a section starts the section's own ruleset.
    static func ownHTTPRules(_ state: inout ParseState) {
        guard state.proxy.checks.httpRulesOwner != state.proxy.location else { return }
        state.proxy.checks.httpRules = []
        state.proxy.checks.httpRulesOwner = state.proxy.location
    }

    static func parseRule(_ line: KeywordLine, sub: String, family: CheckRuleParser.Family) throws(ConfigError) -> CheckRule {
        let prefix = family == .http ? "http-check" : "tcp-check"
        switch sub {
        case "connect": return try CheckRuleParser.connect(line, from: 1, family: family)
        case "send" where family == .http: return try CheckRuleParser.httpSend(line, from: 1)
        case "send", "send-binary", "send-lf", "send-binary-lf":
            guard family == .tcp else {
                throw line.error("'http-check \(sub)' does not exist; HTTP checks use 'http-check send [meth M] [uri U] [ver V] [hdr N V] [body B]'")
            }
            return try CheckRuleParser.send(line, from: 1, kind: sub)
        case "expect": return try CheckRuleParser.expect(line, from: 1, family: family)
        case "comment":
            guard let c = line.argument(1) else { throw line.error("'\(prefix) comment' expects a string as argument") }
            if let extra = line.argument(2) { throw line.error("unexpected argument '\(extra)' after the comment") }
            return CheckRule(.comment, comment: c, location: line.location)
        default:
            if sub.hasPrefix("set-var(") || sub.hasPrefix("unset-var(") {
                return try CheckRuleParser.variable(line, word: sub, from: 1)
            }
            let list = family == .http ? "'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var', 'unset-var'"
                                       : "'comment', 'connect', 'send', 'send-binary', 'send-lf', 'send-binary-lf', 'expect', 'set-var', 'unset-var'"
            throw line.error("'\(prefix)' only supports \(list). but got '\(sub)'")
        }
    }

    /// HAProxy's tcpcheck_add_http_rule: the implicit request of `option httpchk` merges with
    /// the first explicit `http-check send`, and rules must come in connect/send/expect order.
    static func addHTTPRule(_ rule: CheckRule, to rules: inout [CheckRule], _ line: KeywordLine) throws(ConfigError) {
        var rule = rule
        // HAProxy's get_last_tcpcheck_rule skips comments and actions (set-var, unset-var).
        let effective = rules.filter {
            switch $0.action { case .comment, .setVar, .unsetVar: return false; default: return true }
        }
        if case .send(.http(let send)) = rule.action, send.fromOption {
            var firstIndex = rules.firstIndex { if case .comment = $0.action { return false }; return true }
            if let f = firstIndex, case .connect = rules[f].action {
                firstIndex = rules[(f + 1)...].firstIndex { if case .comment = $0.action { return false }; return true }
            }
            if let f = firstIndex, case .send(.http(let existing)) = rules[f].action {
                if existing.fromOption {
                    rules.remove(at: f)
                    rules.insert(rule, at: 0)
                } else {
                    rules[f].action = .send(.http(merge(existing, with: send, keepFromOption: false)))
                }
            } else {
                rules.insert(rule, at: 0)
            }
            return
        }
        let step = (rules.last?.index ?? -1) + 2
        if let last = effective.last {
            var lastIsImplicitSend = false
            if case .send(.http(let s)) = last.action, s.fromOption { lastIsImplicitSend = true }
            if !lastIsImplicitSend {
                switch (last.action, rule.action) {
                case (.connect, .send), (_, .setVar), (_, .unsetVar), (_, .comment): break
                case (_, .send): throw line.error("unable to add http-check send rule at step \(step) (missing connect rule).")
                case (.send, .expect), (.expect, .expect): break
                case (_, .expect): throw line.error("unable to add http-check expect rule at step \(step) (missing send rule).")
                case (.expect, .connect): break
                case (_, .connect): throw line.error("unable to add http-check connect rule at step \(step) (missing expect rule).")
                }
            }
        }
        if case .send(.http(let send)) = rule.action,
           let f = rules.firstIndex(where: { if case .comment = $0.action { return false }; return true }),
           case .send(.http(let implicit)) = rules[f].action, implicit.fromOption {
            // The explicit send takes the implicit one's place, completed by it.
            rules.remove(at: f)
            rule.action = .send(.http(merge(implicit, with: send, keepFromOption: false)))
        }
        rule.index = (rules.last?.index ?? -1) + 1
        rules.append(rule)
    }

    /// HAProxy's tcpcheck_overwrite_send_http_rule (2.6.12, with the fix for issue #1772): the
    /// new rule's method, URI, version, headers and body replace the old ones when given (its
    /// headers replace the whole old list).
    static func merge(_ old: HTTPCheckSend, with new: HTTPCheckSend, keepFromOption: Bool) -> HTTPCheckSend {
        var r = old
        if let m = new.method { r.method = m }
        if let u = new.uri { r.uri = u }
        if let v = new.version { r.version = v }
        if !new.headers.isEmpty { r.headers = new.headers }
        if let b = new.body { r.body = b }
        r.fromOption = keepFromOption
        return r
    }

    /// `HTTP/1.1\r\nHost: www\r\n\r\nbody` → ("HTTP/1.1", [("Host", "www")], "body").
    static func splitLegacyVersion(_ text: String) -> (String, [(String, String)], String?) {
        let b = Array(text.utf8)
        func find(_ needle: [UInt8], from: Int) -> Int? {
            guard b.count >= needle.count else { return nil }
            var i = from
            while i + needle.count <= b.count { if Array(b[i..<i + needle.count]) == needle { return i }; i += 1 }
            return nil
        }
        let crlf: [UInt8] = [13, 10], blank: [UInt8] = [13, 10, 13, 10]
        let bodyAt = find(blank, from: 0)
        var hdrAt = find(crlf, from: 0)
        if hdrAt == bodyAt { hdrAt = nil }
        let versionEnd = hdrAt ?? bodyAt ?? b.count
        let version = String(decoding: b[0..<versionEnd], as: UTF8.self)
        var headers: [(String, String)] = []
        if let h = hdrAt {
            let end = bodyAt ?? b.count
            let block = String(decoding: b[(h + 2)..<end], as: UTF8.self)
            for l in block.components(separatedBy: "\r\n") where !l.isEmpty {
                guard let colon = l.firstIndex(of: ":") else { continue }
                let name = String(l[..<colon]).trimmingCharacters(in: .whitespaces)
                let value = String(l[l.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                headers.append((name, value))
            }
        }
        let body = bodyAt.map { String(decoding: b[($0 + 4)...], as: UTF8.self) }
        return (version, headers, body)
    }
}
