// Keywords of HAProxy's rule language: http-request / http-response / http-after-response
// actions, the legacy `redirect` and `block`, error pages (errorfile, errorloc*, errorfiles,
// http-error), captures, log-format and unique-id, `stats http-request`, and the keywords of
// the `userlist` and `http-errors` sections.

import Foundation

enum HTTPRuleKeywords {
    static var all: [ConfigKeyword] {
        ruleKeywords(.request, HTTPRuleParser.requestActions)
            + ruleKeywords(.response, HTTPRuleParser.responseActions)
            + ruleKeywords(.afterResponse, HTTPRuleParser.afterResponseActions)
            + other
    }

    static let summaries: [String: String] = [
        "allow": "Stop evaluating this rule set; the message goes on.",
        "reject": "Close the client connection at once, without a response (counted as denied).",
        "set-timeout": "server|tunnel TIME|EXPR: this stream's server or tunnel timeout (backends only).",
        "deny": "Answer with an error (403 for requests, 502 for responses) or the given reply.",
        "tarpit": "Hold the connection for `timeout tarpit`, then answer 500 (or the given reply).",
        "return": "Answer with this status, headers and body (string, file, log-format, errorfile).",
        "redirect": "Answer with a redirect: location, prefix or scheme, code, drop-query, append-slash, cookies.",
        "auth": "Answer 401 asking for HTTP Basic credentials (realm).",
        "set-header": "Replace every occurrence of a header with a log-format value.",
        "add-header": "Add a header with a log-format value.",
        "del-header": "Remove headers by name (-m str|beg|end|sub|reg).",
        "replace-header": "Rewrite a header's whole value with a regex and a log-format replacement.",
        "replace-value": "Rewrite each comma-separated value of a header with a regex.",
        "set-method": "Rewrite the request method.", "set-path": "Rewrite the path (the query is kept).",
        "set-pathq": "Rewrite the path and the query.", "set-query": "Rewrite the query string.",
        "set-uri": "Rewrite the whole request URI.", "replace-path": "Rewrite the path with a regex.",
        "replace-pathq": "Rewrite the path and query with a regex.", "replace-uri": "Rewrite the URI with a regex.",
        "set-status": "Replace the response status (and reason).",
        "set-var": "Store a sample expression in a variable (proc, sess, txn, req, res).",
        "set-var-fmt": "Store a log-format string in a variable.", "unset-var": "Remove a variable.",
        "set-log-level": "Log this transaction at another level, or not at all (silent).",
        "capture": "Capture a sample into a capture slot (len N, or id N).",
        "use-service": "Answer with a built-in service: prometheus-exporter.",
        "strict-mode": "on|off: whether a failed rewrite fails the message (default on).",
        "early-hint": "Send a 103 Early Hints header (not supported: error).",
        "add-acl": "Add a key to an ACL pattern file (at run time).", "del-acl": "Remove a key from an ACL pattern file.",
        "set-map": "Set a key's value in a map file (at run time).", "del-map": "Remove a key from a map file.",
        "track-sc0": "Track stick counter 0: KEY (a sample) in the proxy's stick-table or `table T`.",
        "track-sc1": "Track stick counter 1: KEY (a sample) in the proxy's stick-table or `table T`.",
        "track-sc2": "Track stick counter 2: KEY (a sample) in the proxy's stick-table or `table T`.",
        "sc-inc-gpc0": "Add 1 to gpc0 (and gpc0_rate) of tracked counter N: sc-inc-gpc0(N).",
        "sc-inc-gpc1": "Add 1 to gpc1 (and gpc1_rate) of tracked counter N: sc-inc-gpc1(N).",
        "wait-for-body": "time T [at-least N]: wait for the body (all of it, N bytes, or a full buffer) before the rules run; after T a request gets a 408, a response is replaced by a 504. Its condition is evaluated before the other rules.",
        "normalize-uri": "Normalize the URI: path-strip-dot, path-strip-dotdot [full], path-merge-slashes, percent-decode-unreserved [strict], percent-to-uppercase [strict], query-sort-by-name, fragment-strip, fragment-encode (experimental).",
        "set-src": "Use an address (a sample) as the client's source address for this request (src, X-Forwarded-For).",
        "set-src-port": "Use a port (a sample) as the client's source port for this request.",
        "set-dst": "Use an address (a sample) as the destination address for this request (dst, X-Original-To).",
        "set-dst-port": "Use a port (a sample) as the destination port for this request.",
        "cache-use": "NAME: answer from this cache when it holds a fresh copy of the response (cache section).",
        "cache-store": "NAME: store the response in this cache when it may be cached (cache section).",
        "sc-set-gpt0": "Set gpt0 of tracked counter N to an integer or a sample: sc-set-gpt0(N) VALUE.",
    ]

    static func ruleKeywords(_ set: HTTPRuleSet, _ actions: [String]) -> [ConfigKeyword] {
        actions.map { a in
            let paren = ["set-var", "set-var-fmt", "unset-var", "add-acl", "del-acl", "set-map", "del-map"].contains(a)
            var arg = paren ? (a.hasSuffix("acl") || a.hasSuffix("map") ? "(FILE)" : "(SCOPE.NAME)") : ""
            if a.hasPrefix("sc-") { arg = "(N)" }
            return ConfigKeyword("\(set.rawValue) \(a)", .proxies, "\(set.rawValue) \(a)\(arg) ... [if|unless COND]",
                                 summaries[a] ?? "") { state, line throws(ConfigError) in
                if state.section == .defaults && state.proxy.name.isEmpty {
                    throw line.error("'\(set.rawValue)' not allowed in anonymous 'defaults' section.")
                }
                guard let rule = try HTTPRuleParser.parse(set, line, state: &state) else { return }
                switch set {
                case .request: state.proxy.rules.httpRequest.append(rule)
                case .response: state.proxy.rules.httpResponse.append(rule)
                case .afterResponse: state.proxy.rules.httpAfterResponse.append(rule)
                }
            }
        }
    }

    static let other: [ConfigKeyword] = [
        ConfigKeyword("redirect", [.frontend, .backend, .listen], "redirect location|prefix|scheme TARGET [code N] [drop-query] [append-slash] [set-cookie C] [clear-cookie C] [if|unless COND]",
                      "Legacy redirect rule, evaluated after the http-request rules.",
                      modern: "http-request redirect ...") { state, line throws(ConfigError) in
            var r = ArgCursor(line: line)
            var d = try HTTPRuleParser.parseRedirect(&r, context: .request, state: &state)
            d.legacy = true
            if !d.target.nodes.isEmpty { d.target = LogFormatDef(text: d.target.text, nodes: [.literal(d.target.text)]) }
            var condition: Condition? = nil
            if let w = r.peek {
                guard w == "if" || w == "unless" else { throw line.error("unexpected '\(w)'; expected 'if COND' or 'unless COND'") }
                condition = try ConditionParser.parse(line, from: r.index, state: &state)
            }
            state.proxy.rules.redirects.append(HTTPRuleDef(action: .redirect(d), condition: condition, location: line.location))
        },
        ConfigKeyword("block", [.frontend, .backend, .listen], "block if|unless COND",
                      "HAProxy 1.x: deny matching requests with 403.", modern: "http-request deny if|unless COND") { state, line throws(ConfigError) in
            guard let w = line.argument(0), w == "if" || w == "unless" else {
                throw line.error("expects 'if COND' or 'unless COND'")
            }
            let c = try ConditionParser.parse(line, from: 0, state: &state)
            var reply = ReplyDef(status: 403)
            reply.body = .errorFile(.proxyDefault)
            // 1.x evaluated `block` before every other request rule.
            let blocks = state.proxy.rules.httpRequest.prefix { $0.isBlock }.count
            state.proxy.rules.httpRequest.insert(HTTPRuleDef(action: .deny(reply), condition: c, location: line.location, isBlock: true), at: blocks)
            state.note(line.location, "'block' is legacy (removed in HAProxy 2.1); HAProxy 2.x spells it 'http-request deny \(line.arguments.joined(separator: " "))'")
        },
        ConfigKeyword("errorfile", SectionSet.proxies.union(.httpErrors), "errorfile CODE FILE",
                      "Send this file (a raw HTTP response, read at start) instead of the page for CODE.") { state, line throws(ConfigError) in
            try line.expectArguments(2...2, "errorfile CODE FILE")
            let code = try errorCode(line)
            let bytes = try ErrorFileLoader.load(line.argument(1)!, line: line)
            if state.section == .httpErrors {
                let i = state.config.rules.httpErrors.count - 1
                if i >= 0 { state.config.rules.httpErrors[i].pages[code] = bytes }
            } else {
                state.proxy.rules.errorPages.append((code, .file(path: line.argument(1)!, bytes: bytes), line.location))
            }
        },
        errorloc("errorloc", 302, "Redirect (302) instead of sending the page for CODE."),
        errorloc("errorloc302", 302, "Redirect with 302 instead of sending the page for CODE."),
        errorloc("errorloc303", 303, "Redirect with 303 instead of sending the page for CODE."),
        ConfigKeyword("errorfiles", .proxies, "errorfiles NAME [CODE...]",
                      "Use the pages of an http-errors section (all of them, or these codes).") { state, line throws(ConfigError) in
            guard let name = line.argument(0) else { throw line.error("expects NAME [CODE...]") }
            var codes: [Int] = []
            var i = 1
            while line.argument(i) != nil {
                let c = try line.integer(i, "status code")
                guard ErrorPageTexts.handledStatuses.contains(c) else { throw line.error("status code '\(c)' not handled") }
                codes.append(c); i += 1
            }
            if codes.isEmpty { state.proxy.rules.errorPages.append((0, .section(name), line.location)) }
            for c in codes { state.proxy.rules.errorPages.append((c, .section(name), line.location)) }
        },
        ConfigKeyword("http-error", .proxies, "http-error status CODE [content-type T] [string S|lf-string F|file F|lf-file F|errorfile F|errorfiles N] [hdr N V]...",
                      "Replace the page the proxy sends for CODE by this reply.") { state, line throws(ConfigError) in
            guard line.argument(0) == "status" else { throw line.error("expects 'status CODE' first") }
            var r = ArgCursor(line: line)
            let reply = try HTTPRuleParser.parseReply(&r, defaultStatus: 0, statusWords: ["status"], context: .request, state: &state)
            guard ErrorPageTexts.handledStatuses.contains(reply.status) else {
                throw line.error("status code '\(reply.status)' not handled by default")
            }
            if let w = r.peek { throw line.error("unexpected '\(w)'") }
            state.proxy.rules.errorReplies.append((reply, line.location))
        },
        ConfigKeyword("capture request", [.frontend, .listen], "capture request header NAME len N",
                      "Keep the last value of a request header for the log (`{...}`).") { state, line throws(ConfigError) in
            let (name, len) = try captureArgs(line)
            state.proxy.rules.captures.request.append(.init(name: name, length: len))
        },
        ConfigKeyword("capture response", [.frontend, .listen], "capture response header NAME len N",
                      "Keep the last value of a response header for the log.") { state, line throws(ConfigError) in
            let (name, len) = try captureArgs(line)
            state.proxy.rules.captures.response.append(.init(name: name, length: len))
        },
        ConfigKeyword("capture cookie", [.frontend, .listen], "capture cookie NAME len N",
                      "Log a request cookie and a response Set-Cookie by name (%CC, %CS).") { state, line throws(ConfigError) in
            let (name, len) = try captureArgs(line)
            if state.proxy.rules.captures.cookie != nil { throw line.error("only one 'capture cookie' per proxy") }
            state.proxy.rules.captures.cookie = (name, len)
        },
        ConfigKeyword("declare capture", [.frontend, .listen], "declare capture request|response len N",
                      "Reserve a capture slot for `http-request/-response capture ... id N`.") { state, line throws(ConfigError) in
            try line.expectArguments(3...3, "declare capture request|response len N")
            let dir = try line.oneOf(0, "direction", ["request", "response"])
            guard line.argument(1) == "len" else { throw line.error("expects 'len N'") }
            let len = try line.integer(2, "length", in: 1...65536)
            if dir == "request" { state.proxy.rules.captures.request.append(.init(name: "", length: len)) }
            else { state.proxy.rules.captures.response.append(.init(name: "", length: len)) }
        },
        ConfigKeyword("log-format", .frontendSide, "log-format FORMAT",
                      "The log line's format (`%ci:%cp [%tr] ...`, `%[sample]`); escape spaces or quote it.") { state, line throws(ConfigError) in
            guard line.argumentCount == 1 else {
                throw line.error(line.argumentCount == 0 ? "expects an argument." : "expects only one argument, don't forget to escape spaces!")
            }
            state.proxy.rules.logFormatText = (line.argument(0)!, line.location)
        },
        ConfigKeyword("error-log-format", .frontendSide, "error-log-format FORMAT",
                      "The format of the log line of connection errors.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "error-log-format FORMAT")
            state.proxy.rules.errorLogFormatText = (line.argument(0)!, line.location)
        },
        ConfigKeyword("unique-id-format", .frontendSide, "unique-id-format FORMAT",
                      "Build a unique id per request (%ID, unique-id fetch, unique-id-header).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "unique-id-format FORMAT")
            state.proxy.rules.uniqueIDFormatText = (line.argument(0)!, line.location)
        },
        ConfigKeyword("unique-id-header", .frontendSide, "unique-id-header NAME",
                      "Add the unique id to the request in this header.") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "unique-id-header NAME")
            state.proxy.rules.uniqueIDHeader = line.argument(0)
        },
        ConfigKeyword("stats http-request", [.frontend, .backend, .listen], "stats http-request allow|deny|auth [realm R] [if|unless COND]",
                      "Access rules of the statistics page.") { state, line throws(ConfigError) in
            guard let a = line.argument(0), ["allow", "deny", "auth"].contains(a) else {
                throw line.error("expects 'allow', 'deny' or 'auth'")
            }
            // Parse as an http-request rule with the action as the second word.
            var words = line.words
            words.removeFirst(line.argumentStart)
            let sub = KeywordLine(words: ["stats-http-request"] + words, argumentStart: 2, keyword: line.keyword, location: line.location)
            if let rule = try HTTPRuleParser.parse(.request, sub, state: &state) { state.proxy.rules.statsRules.append(rule) }
            state.proxy.stats.enabled = true
        },
    ]

    static func errorCode(_ line: KeywordLine) throws(ConfigError) -> Int {
        let c = try line.integer(0, "status code")
        guard ErrorPageTexts.handledStatuses.contains(c) else {
            throw line.error("status code '\(c)' cannot be customized; expected one of \(ErrorPageTexts.handledStatuses.sorted().map(String.init).joined(separator: ", "))")
        }
        return c
    }

    static func errorloc(_ name: String, _ code: Int, _ summary: String) -> ConfigKeyword {
        ConfigKeyword(name, .proxies, "\(name) CODE URL", summary) { state, line throws(ConfigError) in
            try line.expectArguments(2...2, "\(name) CODE URL")
            let status = try errorCode(line)
            state.proxy.rules.errorPages.append((status, .location(line.argument(1)!, code: code), line.location))
        }
    }

    /// `[header] NAME len N` (`header` for request/response captures).
    static func captureArgs(_ line: KeywordLine) throws(ConfigError) -> (String, Int) {
        let skip = line.keyword == "capture cookie" ? 0 : 1
        let syntax = line.keyword == "capture cookie" ? "capture cookie NAME len N" : "\(line.keyword) header NAME len N"
        if skip == 1 && line.argument(0) != "header" { throw line.error("expects 'header NAME len N'; expected '\(syntax)'") }
        try line.expectArguments((3 + skip)...(3 + skip), syntax)
        guard line.argument(1 + skip) == "len" else { throw line.error("expects 'len N' after the name; expected '\(syntax)'") }
        return (line.argument(skip)!, try line.integer(2 + skip, "length", in: 1...65536))
    }
}

/// The `user` and `group` lines of a userlist section (the registry entries are shared with
/// the global section's `user`/`group`, see GlobalKeywords).
enum UserlistKeywords {
    static func user(_ state: inout ParseState, _ line: KeywordLine) throws(ConfigError) {
        guard let name = line.argument(0) else { throw line.error("expects a user name") }
        var user = UserlistDef.User(name: name, password: "", hashed: false, groups: [])
        var i = 1
        while let w = line.argument(i) {
            switch w {
            case "password": guard let v = line.argument(i + 1) else { throw line.error("'password' expects a hash") }; user.password = v; user.hashed = true
            case "insecure-password": guard let v = line.argument(i + 1) else { throw line.error("'insecure-password' expects a password") }; user.password = v; user.hashed = false
            case "groups": guard let v = line.argument(i + 1) else { throw line.error("'groups' expects a list") }; user.groups = v.split(separator: ",").map(String.init)
            default: throw line.error(EditDistance.unknownMessage("user option", w, ["password", "insecure-password", "groups"]))
            }
            i += 2
        }
        let u = state.config.rules.userlists.count - 1
        guard u >= 0 else { return }
        if state.config.rules.userlists[u].users.contains(where: { $0.name == name }) { throw line.error("duplicate user '\(name)'") }
        state.config.rules.userlists[u].users.append(user)
    }

    static func group(_ state: inout ParseState, _ line: KeywordLine) throws(ConfigError) {
        guard let name = line.argument(0) else { throw line.error("expects a group name") }
        let u = state.config.rules.userlists.count - 1
        guard u >= 0 else { return }
        if state.config.rules.userlists[u].groups.contains(name) { throw line.error("duplicate group '\(name)'") }
        state.config.rules.userlists[u].groups.append(name)
        if line.argument(1) == "users", let list = line.argument(2) {
            for m in list.split(separator: ",").map(String.init) {
                if let k = state.config.rules.userlists[u].users.firstIndex(where: { $0.name == m }) {
                    state.config.rules.userlists[u].users[k].groups.append(name)
                } else {
                    state.config.rules.userlists[u].pendingMembers.append((m, name))
                }
            }
        } else if let w = line.argument(1) {
            throw line.error("unexpected '\(w)'; expected 'users U1,U2'")
        }
    }
}
