// Reads one `http-request|http-response|http-after-response ACTION ARGS [if|unless COND]`
// line into an HTTPRuleDef, with HAProxy 2.6's argument rules (http_act.c, http_htx.c's
// reply parser). Files (errorfile, file, lf-file) are read here so a missing one is an
// error naming file:line.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum HTTPRuleParser {
    /// The actions each rule set accepts.
    static let requestActions = ["allow", "reject", "set-timeout", "deny", "tarpit", "return", "redirect", "auth", "set-header", "add-header",
        "del-header", "replace-header", "replace-value", "set-method", "set-path", "set-pathq", "set-query", "set-uri",
        "replace-path", "replace-pathq", "replace-uri", "set-var", "set-var-fmt", "unset-var", "set-log-level", "capture",
        "use-service", "strict-mode", "early-hint", "add-acl", "del-acl", "set-map", "del-map",
        "track-sc0", "track-sc1", "track-sc2", "sc-inc-gpc0", "sc-inc-gpc1", "sc-set-gpt0",
        "normalize-uri", "set-src", "set-src-port", "set-dst", "set-dst-port", "wait-for-body", "cache-use"]
    static let responseActions = ["allow", "deny", "return", "redirect", "set-header", "add-header", "del-header",
        "replace-header", "replace-value", "set-status", "set-var", "set-var-fmt", "unset-var", "set-log-level",
        "capture", "strict-mode", "add-acl", "del-acl", "set-map", "del-map",
        "track-sc0", "track-sc1", "track-sc2", "sc-inc-gpc0", "sc-inc-gpc1", "sc-set-gpt0", "wait-for-body", "cache-store"]
    static let afterResponseActions = ["allow", "set-header", "add-header", "del-header", "replace-header",
        "replace-value", "set-status", "set-var", "set-var-fmt", "unset-var", "capture", "strict-mode"]

    static func actions(_ set: HTTPRuleSet) -> [String] {
        switch set { case .request: requestActions; case .response: responseActions; case .afterResponse: afterResponseActions }
    }

    /// Parses the line; `actionWord` is the action as written (`set-var(txn.x)`).
    /// nil when the line was fully handled another way (a leading use-service).
    static func parse(_ set: HTTPRuleSet, _ line: KeywordLine, state: inout ParseState) throws(ConfigError) -> HTTPRuleDef? {
        let actionWord = line.words[line.argumentStart - 1]
        let (action, param) = splitParen(actionWord)
        let ctx: SampleContext = set == .request ? (state.proxy.kind == .frontend ? .frontendRequest : .request) : .response
        var r = ArgCursor(line: line)
        let def: HTTPActionDef
        switch action {
        case "allow": def = .allow
        case "reject" where set == .request: def = .reject
        case "set-timeout" where set == .request:
            let which = try r.value("timeout name (server or tunnel)")
            guard let kind = StreamTimeoutKind(rawValue: which) else {
                throw line.error("'set-timeout' expects 'server' or 'tunnel', got '\(which)'")
            }
            guard state.proxy.kind != .frontend else {
                throw line.error("'set-timeout': proxy '\(state.proxy.name)' has no backend capability")
            }
            let text = try r.value("timeout value or sample expression")
            if case .value(let ms, _) = ConfigUnits.time(text) {
                def = .setTimeout(kind, try SampleSyntax.parseWhole("int(\(ms))", context: ctx, line: line, state: &state))
            } else {
                def = .setTimeout(kind, try SampleSyntax.parseWhole(text, context: ctx, line: line, state: &state))
            }
        case "deny", "tarpit":
            // As parse_http_deny: no argument, or only `deny_status N`, is the legacy form that
            // sends the proxy's error page; anything else is a full reply.
            let dflt = set == .request ? (action == "tarpit" ? 500 : 403) : 502
            var reply: ReplyDef
            func ends(_ w: String?) -> Bool { w == nil || w == "if" || w == "unless" }
            if ends(r.peek) {
                reply = ReplyDef(status: dflt)
                reply.body = .errorFile(.proxyDefault)
            } else if r.peek == "deny_status" && ends(line.argument(r.index + 2)) {
                r.next()
                let v = try r.value("status code")
                guard let n = Int(v), (200...599).contains(n) else { throw line.error("Unexpected status code '\(v)'") }
                guard ErrorPageTexts.handledStatuses.contains(n) else {
                    throw line.error("status code '\(n)' not handled by default with 'default-errorfiles' argument.")
                }
                reply = ReplyDef(status: n)
                reply.body = .errorFile(.proxyDefault)
            } else {
                reply = try parseReply(&r, defaultStatus: dflt, statusWords: ["deny_status", "status"], context: ctx, state: &state)
            }
            if action == "tarpit" {
                state.warn(line.location, "'tarpit' answers at once: holding the connection for 'timeout tarpit' needs engine support not yet in ringproxy")
            }
            def = action == "deny" ? .deny(reply) : .tarpit(reply)
        case "return":
            def = .returnReply(try parseReply(&r, defaultStatus: 200, statusWords: ["status"], context: ctx, state: &state))
        case "redirect":
            def = .redirect(try parseRedirect(&r, context: ctx, state: &state))
        case "auth":
            var realm: String? = nil
            if r.peek == "realm" { r.next(); realm = try r.value("realm") }
            def = .auth(realm: realm)
        case "set-header", "add-header", "early-hint":
            let name = try r.value("header name")
            let fmt = try LogFormatSyntax.parse(try r.value("value format"), context: ctx, line: line, state: &state)
            def = action == "set-header" ? .setHeader(name: name, value: fmt)
                : action == "add-header" ? .addHeader(name: name, value: fmt) : .earlyHint(name: name, value: fmt)
        case "del-header":
            let name = try r.value("header name")
            var m = HeaderNameMatch.exact
            if r.peek == "-m" {
                r.next()
                let w = try r.value("match method")
                guard let mm = HeaderNameMatch(rawValue: w) else {
                    throw line.error(EditDistance.unknownMessage("'-m' method", w, ["str", "beg", "end", "sub", "reg"]))
                }
                m = mm
                if m == .regex, let p = Regex.problem(name) { throw line.error("invalid regex '\(name)': \(p)") }
            }
            def = .delHeader(name: name, match: m)
        case "replace-header", "replace-value":
            let name = try r.value("header name")
            let re = try r.value("match regex")
            if let p = Regex.problem(re) { throw line.error("invalid regex '\(re)': \(p)") }
            let fmt = try LogFormatSyntax.parse(try r.value("replacement format"), context: ctx, line: line, state: &state)
            def = action == "replace-header" ? .replaceHeader(name: name, regex: re, replacement: fmt)
                : .replaceValue(name: name, regex: re, replacement: fmt)
        case "set-method", "set-path", "set-pathq", "set-query", "set-uri":
            let fmt = try LogFormatSyntax.parse(try r.value("format"), context: ctx, line: line, state: &state)
            switch action {
            case "set-method": def = .setMethod(fmt)
            case "set-path": def = .setPath(fmt)
            case "set-pathq": def = .setPathQ(fmt)
            case "set-query": def = .setQuery(fmt)
            default: def = .setURI(fmt)
            }
        case "replace-path", "replace-pathq", "replace-uri":
            let re = try r.value("match regex")
            if let p = Regex.problem(re) { throw line.error("invalid regex '\(re)': \(p)") }
            let fmt = try LogFormatSyntax.parse(try r.value("replacement format"), context: ctx, line: line, state: &state)
            switch action {
            case "replace-path": def = .replacePath(regex: re, replacement: fmt)
            case "replace-pathq": def = .replacePathQ(regex: re, replacement: fmt)
            default: def = .replaceURI(regex: re, replacement: fmt)
            }
        case "set-status":
            let code = try r.value("status code")
            guard let n = Int(code), (100...999).contains(n) else { throw line.error("expects an integer status code between 100 and 999, got '\(code)'") }
            var reason: String? = nil
            if r.peek == "reason" { r.next(); reason = try r.value("reason") }
            def = .setStatus(n, reason: reason)
        case "set-var", "set-var-fmt", "unset-var":
            let parts = (param ?? "").split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
            guard param != nil, var v = SampleSyntax.variable(parts[0]) else {
                throw line.error("'\(action)' expects a variable name as '\(action)(SCOPE.NAME)' with SCOPE one of proc, sess, txn, req, res")
            }
            if parts.count > 1 {
                if action == "unset-var" { throw line.error("'unset-var' takes no condition, got '\(parts.dropFirst().joined(separator: ","))'") }
                switch VarConditions.parse(parts.dropFirst()) {
                case .success(let c): v.conditions = c
                case .failure(let e): throw line.error("'\(action)': \(e.message)")
                }
            }
            if set != .request && v.scope == .req { throw line.error("'req.' variables are not available in \(set.rawValue) rules") }
            if action == "unset-var" { def = .unsetVar(v) }
            else if action == "set-var-fmt" {
                def = .setVarFormat(v, try LogFormatSyntax.parse(try r.value("format"), context: ctx, line: line, state: &state))
            } else {
                let text = try r.value("sample expression")
                def = .setVar(v, try SampleSyntax.parseWhole(text, context: ctx, line: line, state: &state))
            }
        case "set-log-level":
            let w = try r.value("log level")
            let levels = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
            if w == "silent" { def = .setLogLevel(-1) }
            else if let i = levels.firstIndex(of: w) { def = .setLogLevel(i) }
            else { throw line.error(EditDistance.unknownMessage("log level", w, levels + ["silent"])) }
        case "capture":
            let expr = try SampleSyntax.parseWhole(try r.value("sample expression"), context: ctx, line: line, state: &state)
            let kw = try r.value("'len' or 'id'")
            switch kw {
            case "len" where set == .request:
                let n = try r.value("length")
                guard let len = Int(n), len > 0 else { throw line.error("invalid length '\(n)'") }
                state.proxy.rules.captures.request.append(.init(name: "", length: len))
                def = .capture(expr, length: len, slot: state.proxy.rules.captures.request.count - 1)
            case "id":
                let n = try r.value("capture id")
                guard let id = Int(n), id >= 0 else { throw line.error("invalid capture id '\(n)'") }
                def = .capture(expr, length: nil, slot: id)
            default:
                throw line.error(set == .request ? "expects 'len' or 'id', got '\(kw)'" : "expects 'id', got '\(kw)'")
            }
        case "use-service":
            let s = try r.value("service name")
            guard s == "prometheus-exporter" else {
                throw line.error("service '\(s)' is not supported by ringproxy; expected 'prometheus-exporter'")
            }
            def = .useService(s)
            if set == .request && state.proxy.rules.httpRequest.isEmpty {
                // First rule: no earlier rule can intercept, so the exporter is served before the
                // rule machinery (the URI when the condition is one exact path).
                var condition = Condition(alternatives: [[Condition.Term(acl: "TRUE", negated: false)]])
                if let w = r.peek {
                    guard w == "if" || w == "unless" else { throw line.error("unexpected '\(w)'; expected 'if COND' or 'unless COND'") }
                    condition = try ConditionParser.parse(line, from: r.index, state: &state)
                } else if !state.proxy.acls.contains(where: { $0.name == "TRUE" }), let t = AclParser.predefined("TRUE", at: line.location) {
                    state.proxy.acls.append(t)
                }
                state.proxy.prometheus = condition
                state.proxy.prometheusURI = StatsKeywords.exactPath(of: condition, in: state.proxy.acls)
                return nil
            }
        case "strict-mode":
            let w = try r.value("'on' or 'off'")
            guard w == "on" || w == "off" else { throw line.error("expects 'on' or 'off', got '\(w)'") }
            def = .strictMode(w == "on")
        case "add-acl", "del-acl", "set-map", "del-map":
            guard let file = param, !file.isEmpty else { throw line.error("'\(action)' expects a file name as '\(action)(FILE)'") }
            let isMap = action.hasSuffix("map")
            try SampleSyntax.loadFileIfPresent(file, map: isMap, state: &state)
            let key = try LogFormatSyntax.parse(try r.value("key format"), context: ctx, line: line, state: &state)
            switch action {
            case "add-acl": def = .addACL(file: file, key: key)
            case "del-acl": def = .delACL(file: file, key: key)
            case "del-map": def = .delMap(file: file, key: key)
            default: def = .setMap(file: file, key: key, value: try LogFormatSyntax.parse(try r.value("value format"), context: ctx, line: line, state: &state))
            }
        case "cache-use" where set == .request, "cache-store" where set == .response:
            guard let name = r.peek, name != "if", name != "unless" else { throw line.error("expects a cache name") }
            r.next()
            def = action == "cache-use" ? .cacheUse(name) : .cacheStore(name)
        case "wait-for-body" where set != .afterResponse:
            def = try WaitForBodySyntax.parse(&r)
        case "normalize-uri" where set == .request:
            def = .normalizeURI(try URINormalizer.parse(&r, state: state))
        case "set-src", "set-src-port", "set-dst", "set-dst-port" where set == .request:
            let text = try r.value("sample expression")
            def = .setAddress(AddressOverride.Target(rawValue: action)!, try SampleSyntax.parseWhole(text, context: ctx, line: line, state: &state))
        case "track-sc0", "track-sc1", "track-sc2", "sc-inc-gpc0", "sc-inc-gpc1", "sc-set-gpt0"
            where set != .afterResponse:
            def = try StickRuleSyntax.parse(action, param, &r, context: ctx, state: &state)
        default:
            throw line.error(EditDistance.unknownMessage("'\(set.rawValue)' action", action, actions(set)))
        }
        var condition: Condition? = nil
        if let w = r.peek {
            guard w == "if" || w == "unless" else {
                throw line.error("unexpected '\(w)' after the '\(action)' action; expected 'if COND' or 'unless COND'")
            }
            condition = try ConditionParser.parse(line, from: r.index, state: &state, context: ctx)
        }
        return HTTPRuleDef(action: def, condition: condition, location: line.location)
    }

    /// `set-var(txn.x)` → ("set-var", "txn.x").
    static func splitParen(_ w: String) -> (String, String?) {
        guard let open = w.firstIndex(of: "("), w.hasSuffix(")") else { return (w, nil) }
        return (String(w[..<open]), String(w[w.index(after: open)..<w.index(before: w.endIndex)]))
    }

    // MARK: replies

    static func parseReply(_ r: inout ArgCursor, defaultStatus: Int, statusWords: [String], context: SampleContext,
                           state: inout ParseState) throws(ConfigError) -> ReplyDef {
        let line = r.line
        var reply = ReplyDef(status: defaultStatus)
        var payload: String? = nil
        func setPayload(_ word: String) throws(ConfigError) {
            if let p = payload { throw line.error("unexpected '\(word)' argument, '\(p)' already defined") }
            payload = word
        }
        while let w = r.peek, w != "if" && w != "unless" {
            switch w {
            case _ where statusWords.contains(w):
                r.next()
                let v = try r.value("status code")
                guard let n = Int(v), (200...599).contains(n) else { throw line.error("Unexpected status code '\(v)'") }
                reply.status = n
            case "content-type":
                r.next(); reply.contentType = try r.value("content type")
            case "errorfiles":
                r.next(); try setPayload(w)
                let name = try r.value("http-errors section name")
                reply.body = .errorFile(.section(name))
                state.config.rules.references.append(.init(kind: .httpErrors, name: name, location: line.location, keyword: line.keyword))
            case "default-errorfiles":
                r.next(); try setPayload(w)
                reply.body = .errorFile(.proxyDefault)
            case "errorfile":
                r.next(); try setPayload(w)
                let path = try r.value("file")
                reply.body = .errorFile(.file(path: path, bytes: try ErrorFileLoader.load(path, line: line)))
            case "file", "lf-file":
                r.next(); try setPayload(w)
                let path = try r.value("file")
                guard let data = FileReader.read(path) else { throw line.error("error opening file '\(path)'") }
                guard data.count <= maxHeadBytes else { throw line.error("file '\(path)' exceeds the buffer size (\(data.count) > \(maxHeadBytes))") }
                if w == "file" { reply.body = .file(data) }
                else { reply.body = .format(try LogFormatSyntax.parse(String(decoding: data, as: UTF8.self), context: context, line: line, state: &state)) }
            case "string":
                r.next(); try setPayload(w)
                reply.body = .string(try r.value("string"))
            case "lf-string":
                r.next(); try setPayload(w)
                reply.body = .format(try LogFormatSyntax.parse(try r.value("format"), context: context, line: line, state: &state))
            case "hdr":
                r.next()
                let name = try r.value("header name")
                let value = try r.value("header value")
                if ["content-length", "transfer-encoding", "content-type"].contains(name.lowercased()) {
                    state.warn(line.location, "header '\(name)' always ignored by the http reply")
                    continue
                }
                reply.headers.append((name, try LogFormatSyntax.parse(value, context: context, line: line, state: &state)))
            default:
                throw line.error("unexpected '\(w)'; expected one of \((statusWords + ["content-type", "errorfiles", "default-errorfiles", "errorfile", "file", "lf-file", "string", "lf-string", "hdr", "if", "unless"]).joined(separator: ", "))")
            }
        }
        // HAProxy's consistency rules.
        switch reply.body {
        case .none:
            if let ct = reply.contentType {
                state.warn(line.location, "content-type '\(ct)' ignored by the http reply because neither errorfile nor payload defined")
                reply.contentType = nil
            }
        case .errorFile(let src):
            if case .file = src {} else if !ErrorPageTexts.handledStatuses.contains(reply.status) {
                throw line.error("status code '\(reply.status)' not handled by default with '\(payload ?? "")' argument")
            }
            if reply.contentType != nil { state.warn(line.location, "content-type ignored by the http reply when used with an errorfile"); reply.contentType = nil }
            if !reply.headers.isEmpty { state.warn(line.location, "hdr parameters ignored by the http reply when used with an errorfile"); reply.headers = [] }
        case .string(let s):
            if (reply.status == 204 || reply.status == 304) && !s.isEmpty { throw line.error("No body expected for \(reply.status) responses") }
            if reply.contentType == nil && !s.isEmpty { throw line.error("a content type must be defined when non-empty payload is configured") }
            if s.isEmpty && reply.contentType != nil { reply.contentType = nil }
        case .file(let b):
            if (reply.status == 204 || reply.status == 304) && !b.isEmpty { throw line.error("No body expected for \(reply.status) responses") }
            if reply.contentType == nil && !b.isEmpty { throw line.error("a content type must be defined when non-empty payload is configured") }
            if b.isEmpty, let ct = reply.contentType {
                state.warn(line.location, "content-type '\(ct)' ignored by the http reply when used with an empty payload")
                reply.contentType = nil
            }
        case .format:
            if reply.status == 204 || reply.status == 304 { throw line.error("No body expected for \(reply.status) responses") }
            if reply.contentType == nil { throw line.error("a content type must be defined with a log-format payload") }
        }
        return reply
    }

    // MARK: redirect

    static func parseRedirect(_ r: inout ArgCursor, context: SampleContext, state: inout ParseState) throws(ConfigError) -> RedirectDef {
        let line = r.line
        var kind: RedirectDef.Kind? = nil
        var target: String? = nil
        var code = 302
        var dropQuery = false, appendSlash = false, ignoreEmpty = false
        var setCookie: String? = nil, clearCookie: String? = nil
        while let w = r.peek, w != "if" && w != "unless" {
            r.next()
            switch w {
            case "location", "prefix", "scheme":
                kind = RedirectDef.Kind(rawValue: w)
                target = try r.value("'\(w)' argument")
            case "code":
                let v = try r.value("code")
                guard let n = Int(v), [301, 302, 303, 307, 308].contains(n) else {
                    throw line.error("'code' expects 301, 302, 303, 307 or 308, got '\(v)'")
                }
                code = n
            case "drop-query": dropQuery = true
            case "append-slash": appendSlash = true
            case "ignore-empty": ignoreEmpty = true
            case "set-cookie":
                let v = try r.value("cookie")
                setCookie = v
            case "clear-cookie":
                let v = try r.value("cookie name")
                clearCookie = v
            default:
                throw line.error("expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '\(w)')")
            }
        }
        guard let kind, let target else { throw line.error("redirect: expects 'location', 'prefix' or 'scheme' followed by a format") }
        // `prefix /` adds nothing (a self-redirection), as HAProxy does.
        let format = kind == .prefix && target == "/" ? LogFormatDef(text: "/", nodes: [])
            : try LogFormatSyntax.parse(target, context: context, line: line, state: &state)
        var d = RedirectDef(kind: kind, target: format)
        d.code = code; d.dropQuery = dropQuery; d.appendSlash = appendSlash; d.ignoreEmpty = ignoreEmpty
        d.setCookie = setCookie; d.clearCookie = clearCookie
        return d
    }
}

/// Walks the arguments of a rule line.
struct ArgCursor {
    let line: KeywordLine
    var index = 0
    init(line: KeywordLine) { self.line = line }
    var peek: String? { line.argument(index) }
    mutating func next() { index += 1 }
    /// The next word, required (and not empty: HAProxy refuses "" where it expects a value).
    mutating func value(_ what: String, allowEmpty: Bool = false) throws(ConfigError) -> String {
        guard let w = line.argument(index), allowEmpty || !w.isEmpty else {
            throw line.error(index == 0 ? "missing \(what)" : "'\(line.argument(index - 1) ?? "")' expects \(what) as argument")
        }
        index += 1
        return w
    }
}

/// Reads errorfiles: a raw HTTP response, checked as HAProxy checks it (http_str_to_htx).
enum ErrorFileLoader {
    static func load(_ path: String, line: KeywordLine) throws(ConfigError) -> [UInt8] {
        guard var bytes = FileReader.read(path) else { throw line.error("error opening file '\(path)'.") }
        if bytes.count > maxHeadBytes { bytes = Array(bytes[0..<maxHeadBytes]) }
        if bytes.isEmpty { return bytes }
        if let problem = ErrorMessage.problem(bytes) { throw line.error("'\(path)': \(problem)") }
        return bytes
    }
}

/// Reads a whole file, devices such as /dev/null included (FileManager returns nil for them).
enum FileReader {
    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Glibc.read(fd, &buf, buf.count)
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { return out }
            out += buf[0..<n]
        }
    }
}
