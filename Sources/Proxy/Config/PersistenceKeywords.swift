// Persistence: `cookie`, legacy `appsession`, and the HAProxy 2.x `stick-table` + `stick` rules.

enum PersistenceKeywords {
    static let cookieOptions = ["rewrite", "insert", "prefix", "indirect", "nocache", "postonly", "preserve",
                                "httponly", "secure", "domain", "maxidle", "maxlife", "attr"]

    static let all: [ConfigKeyword] = [
        ConfigKeyword("persist", .backendSide, "persist rdp-cookie[(NAME)]",
                      "mode tcp: send an RDP client whose cookie NAME (default msts) names a server's address and port to that server.") { state, line throws(ConfigError) in
            // HAProxy's own messages
            guard let method = line.argument(0) else { throw line.error("missing persist method.") }
            guard method.hasPrefix("rdp-cookie") else { throw line.error("'persist' only supports 'rdp-cookie'.") }
            guard let name = BalanceKeywords.cookieName(method, prefix: "rdp-cookie", default: "msts") else {
                throw line.error("'persist rdp-cookie(name)' requires an rdp cookie name.")
            }
            try line.expectArguments(1...1, "persist rdp-cookie[(NAME)]")
            state.proxy.rdpPersistCookie = name
        },
        ConfigKeyword("cookie", .backendSide,
                      "cookie NAME [rewrite|insert|prefix] [indirect] [nocache] [postonly] [preserve] [httponly] [secure] [domain D]* [maxidle T] [maxlife T] [attr A]",
                      "Cookie-based persistence; no mode = passive (the server sets the cookie).") { state, line throws(ConfigError) in
            let cookie = try parseCookie(line)
            if (cookie.maxidle != nil || cookie.maxlife != nil) && cookie.mode != .insert {
                // HAProxy accepts this and ignores the dates; say so instead of staying silent.
                state.warn(line.location, "'cookie': 'maxidle'/'maxlife' only apply in 'insert' mode; ignored here")
            }
            state.proxy.cookie = cookie
        },
        ConfigKeyword("appsession", [.backend, .listen],
                      "appsession NAME len N timeout T [request-learn] [prefix] [mode path-parameters|query-string]",
                      "HAProxy 1.4 application-session persistence (learns the server from its session cookie).",
                      modern: "stick-table type string len N size 1m expire T + stick on req.cook(NAME) + stick on urlp(NAME,;) + stick store-response res.cook(NAME)") { state, line throws(ConfigError) in
            let session = try parseAppSession(line)
            state.proxy.appSession = session
            state.note(line.location, "'\(line.words.joined(separator: " "))' is legacy (removed in HAProxy 1.6); HAProxy 2.x spells it \(modernAppSession(session))")
        },
        ConfigKeyword("stick-table", [.frontend, .backend, .listen],
                      "stick-table type ip|ipv6|integer|string [len N]|binary [len N] size N [expire T] [peers NAME] [srvkey name|addr] [store TYPE[(PERIOD)],...]",
                      "The table `stick` rules store server assignments in, and `track-sc*` rules count in (`store`: conn_cnt, http_req_rate(10s), gpc0...); `peers` shares it with a peers section.") { state, line throws(ConfigError) in
            let table = try parseStickTable(line)
            state.proxy.stickTable = table
        },
        stick(.on, "Match the request on the table, and store its server if new."),
        stick(.match, "Match the request on the table only."),
        stick(.storeRequest, "Store the request's key with the chosen server."),
        stick(.storeResponse, "Store a key found in the response (e.g. a Set-Cookie) with the server."),
    ]

    static func parseCookie(_ line: KeywordLine) throws(ConfigError) -> CookieConfig {
        guard let name = line.argument(0) else { throw line.error("missing cookie name; expected '\(line.keyword) NAME [options]'") }
        guard !name.isEmpty, !name.contains(where: { "=;, \t\"".contains($0) }) else { throw line.error("invalid cookie name '\(name)'") }
        var cookie = CookieConfig(name: name)
        var i = 1
        var modeWord: String? = nil
        func value(_ what: String) throws(ConfigError) -> String {
            guard let v = line.argument(i + 1) else { throw line.error("missing \(what) after '\(line.argument(i)!)'") }
            return v
        }
        while let option = line.argument(i) {
            switch option {
            case "rewrite", "insert", "prefix":
                if let previous = modeWord, previous != option {
                    throw line.error("'\(option)' conflicts with '\(previous)'; expected only one of rewrite, insert, prefix")
                }
                modeWord = option
                cookie.mode = CookieMode(rawValue: option)!
            case "indirect": cookie.indirect = true
            case "nocache": cookie.nocache = true
            case "postonly": cookie.postonly = true
            case "preserve": cookie.preserve = true
            case "httponly": cookie.httponly = true
            case "secure": cookie.secure = true
            case "domain": cookie.domains.append(try value("a domain")); i += 1
            case "attr":
                let attr = try value("an attribute")
                guard !attr.contains(where: { $0 == ";" || $0.isNewline }) else { throw line.error("invalid attribute '\(attr)'; ';' and control characters are not allowed") }
                cookie.attrs.append(attr); i += 1
            case "maxidle": _ = try value("a time"); cookie.maxidle = try line.time(i + 1, "maxidle"); i += 1
            case "maxlife": _ = try value("a time"); cookie.maxlife = try line.time(i + 1, "maxlife"); i += 1
            default:
                throw line.error(EditDistance.unknownMessage("cookie option", option, cookieOptions))
            }
            i += 1
        }
        return cookie
    }

    static func parseAppSession(_ line: KeywordLine) throws(ConfigError) -> AppSessionConfig {
        let syntax = "appsession NAME len N timeout T [request-learn] [prefix] [mode path-parameters|query-string]"
        guard let name = line.argument(0) else { throw line.error("missing cookie name; expected '\(syntax)'") }
        var length: Int? = nil, timeout: Int? = nil
        var learn = false, prefix = false
        var mode = AppSessionMode.pathParameters
        var i = 1
        while let word = line.argument(i) {
            switch word {
            case "len": length = try line.integer(i + 1, "len", in: 1...65535); i += 2
            case "timeout": timeout = try line.time(i + 1, "timeout"); i += 2
            case "request-learn": learn = true; i += 1
            case "prefix": prefix = true; i += 1
            case "mode":
                mode = AppSessionMode(rawValue: try line.oneOf(i + 1, "mode", ["path-parameters", "query-string"]))!; i += 2
            default:
                throw line.error(EditDistance.unknownMessage("appsession option", word, ["len", "timeout", "request-learn", "prefix", "mode"]))
            }
        }
        guard let length else { throw line.error("missing 'len N'; expected '\(syntax)'") }
        guard let timeout else { throw line.error("missing 'timeout T'; expected '\(syntax)'") }
        var session = AppSessionConfig(cookieName: name, length: length, timeout: timeout)
        session.requestLearn = learn
        session.prefix = prefix
        session.mode = mode
        return session
    }

    /// The stick-table rules that do what an appsession line did (spec Appendix A).
    static func modernAppSession(_ s: AppSessionConfig) -> String {
        let learn = s.requestLearn ? "on" : "match"
        let url = s.mode == .pathParameters ? "urlp(\(s.cookieName),;)" : "urlp(\(s.cookieName))"
        return "'stick-table type string len \(s.length) size 1m expire \(formatTime(s.timeout))' + 'stick \(learn) req.cook(\(s.cookieName))'"
            + " + 'stick \(learn) \(url)' + 'stick store-response res.cook(\(s.cookieName))'"
    }

    /// Milliseconds in the largest exact unit (18000000 → 5h).
    static func formatTime(_ ms: Int) -> String {
        for (unit, factor) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] where ms > 0 && ms % factor == 0 {
            return "\(ms / factor)\(unit)"
        }
        return "\(ms)"
    }

    /// `stick-table ...` (or a peers section's `table NAME ...`, where `peers` is not allowed).
    static func parseStickTable(_ line: KeywordLine, inPeersSection: Bool = false) throws(ConfigError) -> StickTableConfig {
        var table = StickTableConfig()
        var sawType = false, sawSize = false
        var i = 0
        while let word = line.argument(i) {
            switch word {
            case "type":
                table.type = try line.oneOf(i + 1, "table type", ["ip", "ipv6", "integer", "string", "binary"])
                sawType = true; i += 2
                if (table.type == "string" || table.type == "binary"), line.argument(i) == "len" {
                    table.length = try line.integer(i + 1, "len", in: 1...65535); i += 2
                } else {
                    table.length = table.type == "binary" ? 32 : 31
                }
            case "size":
                guard let text = line.argument(i + 1) else { throw line.error("missing value after 'size'") }
                guard let n = ConfigUnits.size(text), n > 0 else { throw line.error("invalid size '\(text)'; expected a positive number with an optional k, m or g suffix") }
                table.size = n; sawSize = true; i += 2
            case "expire": table.expire = try line.time(i + 1, "expire"); i += 2
            case "peers" where !inPeersSection:
                guard let name = line.argument(i + 1) else { throw line.error("missing peers section name after 'peers'") }
                table.peers = name; i += 2
            case "srvkey":
                table.serverKey = try line.oneOf(i + 1, "server key type", ["name", "addr"]); i += 2
            case "peers":
                throw line.error("unknown argument 'peers' (a peers section's table is already shared with its peers)")
            case "store":
                guard let list = line.argument(i + 1) else { throw line.error("missing data type list after 'store'") }
                try StickStoreSyntax.parse(list, into: &table.store, line: line); i += 2
            case "nopurge", "write-to", "recv-only":
                throw line.error("'\(word)' is not supported by ringproxy; expected 'type T [len N] size N [expire T]'")
            default:
                throw line.error(EditDistance.unknownMessage("stick-table option", word, ["type", "len", "size", "expire", "peers", "srvkey", "store"]))
            }
        }
        guard sawType else { throw line.error("missing 'type'; expected 'stick-table type T [len N] size N [expire T]'") }
        guard sawSize else { throw line.error("missing 'size'; expected 'stick-table type T [len N] size N [expire T]'") }
        return table
    }

    static func stick(_ kind: StickRuleKind, _ summary: String) -> ConfigKeyword {
        let name = "stick " + kind.rawValue
        let fetches = kind == .storeResponse ? "res.cook(NAME)" : "req.cook(NAME)|urlp(NAME[,DELIM])|url_param(NAME[,DELIM])|src"
        let syntax = "\(name) \(fetches) [table NAME] [if|unless COND]"
        return ConfigKeyword(name, [.backend, .listen], syntax, summary) { state, line throws(ConfigError) in
            guard let pattern = line.argument(0) else { throw line.error("missing pattern; expected '\(syntax)'") }
            var rule = StickRule(kind: kind, fetch: try parseStickFetch(pattern, kind: kind, line))
            var i = 1
            if line.argument(i) == "table" {
                guard let t = line.argument(i + 1) else { throw line.error("missing table name after 'table'") }
                rule.table = t; i += 2
            }
            if let word = line.argument(i) {
                guard word == "if" || word == "unless" else { throw line.error("unexpected '\(word)'; expected 'table NAME', 'if COND' or 'unless COND'") }
                rule.condition = try ConditionParser.parse(line, from: i, state: &state)
            }
            state.proxy.stickRules.append(rule)
        }
    }

    static func parseStickFetch(_ pattern: String, kind: StickRuleKind, _ line: KeywordLine) throws(ConfigError) -> StickFetch {
        let (name, args) = splitFetch(pattern)
        let responseSide = kind == .storeResponse
        switch name {
        case "src" where args == nil:
            if responseSide { throw line.error("'src' is a request fetch; 'stick store-response' needs a response fetch such as res.cook(NAME)") }
            return .source
        case "req.cook", "cook":
            if responseSide { throw line.error("'\(name)' is a request fetch; 'stick store-response' needs a response fetch such as res.cook(NAME)") }
            guard let a = args, a.count == 1, !a[0].isEmpty else { throw line.error("expected '\(name)(NAME)'") }
            return .requestCookie(a[0])
        case "res.cook", "scook", "set-cookie":
            if !responseSide { throw line.error("'\(name)' is a response fetch, only usable with 'stick store-response'") }
            guard let a = args, a.count == 1, !a[0].isEmpty else { throw line.error("expected '\(name)(NAME)'") }
            return .responseCookie(a[0])
        case "urlp", "url_param":
            if responseSide { throw line.error("'\(name)' is a request fetch; 'stick store-response' needs a response fetch such as res.cook(NAME)") }
            guard let a = args, (1...2).contains(a.count), !a[0].isEmpty else { throw line.error("expected '\(name)(NAME[,DELIM])'") }
            return .urlParam(a[0], delimiter: a.count == 2 ? a[1] : nil)
        default:
            let known = responseSide ? ["res.cook"] : ["req.cook", "urlp", "url_param", "src"]
            throw line.error(EditDistance.unknownMessage("stick pattern", name, known))
        }
    }

    /// `name(a,b)` → ("name", ["a", "b"]); `name` → ("name", nil).
    static func splitFetch(_ text: String) -> (String, [String]?) {
        guard let open = text.firstIndex(of: "("), text.hasSuffix(")") else { return (text, nil) }
        let name = String(text[..<open])
        let inner = text[text.index(after: open)..<text.index(before: text.endIndex)]
        return (name, inner.split(separator: ",", omittingEmptySubsequences: false).map(String.init))
    }
}
