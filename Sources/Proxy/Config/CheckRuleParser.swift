// The rules of `tcp-check` and `http-check` lines, parsed as HAProxy 2.6's tcpcheck.c does
// (same options, same order constraints, errors worded after its own).

enum CheckRuleParser {
    enum Family { case tcp, http }

    /// `connect [default] [port N] [addr A] [send-proxy] [linger] [comment C]`
    static func connect(_ line: KeywordLine, from start: Int, family: Family) throws(ConfigError) -> CheckRule {
        var c = CheckConnect()
        var comment: String? = nil
        var i = start
        func value() throws(ConfigError) -> String {
            guard let v = line.argument(i + 1), !v.isEmpty else { throw line.error("'\(line.argument(i)!)' expects an argument") }
            i += 1
            return v
        }
        while let w = line.argument(i) {
            switch w {
            case "default": c.useServerSettings = true
            case "port":
                let v = try value()
                guard let p = ConfigUnits.integer(v), (1...65535).contains(p) else {
                    throw line.error("'port' expects a valid TCP port (from range 1 to 65535), got \(v) (sample expressions are not supported)")
                }
                c.port = p
            case "addr":
                let v = try value()
                let (host, port) = AddressParser.split(v)
                guard AddressParser.isIP(host) || AddressParser.isHostname(host) else { throw line.error("'addr' : invalid address '\(v)'") }
                c.host = host
                if let port, !port.isEmpty {
                    switch AddressParser.port(port) {
                    case .success(let p): c.hostPort = p
                    case .failure(let e): throw line.error(e.message)
                    }
                }
            case "send-proxy": c.sendProxy = true
            case "linger": c.linger = true
            case "comment": comment = try value()
            case "ssl", "sni", "alpn":
                throw line.error("'\(w)' is not supported: ringproxy has no TLS")
            case "via-socks4": c.viaSocks4 = true
            case "proto":
                let v = try value()
                guard v == "h1" || (family == .tcp && v == "none") else {
                    throw line.error("'proto \(v)' is not supported (ringproxy checks speak HTTP/1 only)")
                }
            default:
                throw line.error("expects 'comment', 'port', 'addr', 'send-proxy', 'linger' or 'default' but got '\(w)' as argument")
            }
            i += 1
        }
        return CheckRule(.connect(c), comment: comment, location: line.location)
    }

    /// `send|send-binary|send-lf|send-binary-lf DATA [comment C]` (tcp-check)
    static func send(_ line: KeywordLine, from start: Int, kind: String) throws(ConfigError) -> CheckRule {
        guard let data = line.argument(start) else {
            throw line.error("'\(kind)' expects a \(kind == "send-binary" ? "binary string" : "string") as argument")
        }
        var comment: String? = nil
        var i = start + 1
        while let w = line.argument(i) {
            guard w == "comment", let c = line.argument(i + 1) else { throw line.error("expects 'comment' but got '\(w)' as argument") }
            comment = c
            i += 2
        }
        let send: CheckSend
        switch kind {
        case "send": send = .bytes(Array(data.utf8))
        case "send-binary":
            guard let b = CheckExpressionParser.hexBytes(data) else { throw line.error("'\(data)' invalid binary string (expected an even number of hexadecimal digits)") }
            send = .bytes(b)
        default:
            send = .format(try format(data, line), binary: kind == "send-binary-lf")
        }
        return CheckRule(.send(send), comment: comment, location: line.location)
    }

    /// `http-check send [meth M] [uri U|uri-lf U] [ver V] [hdr N V]… [body B|body-lf B] [comment C]`
    static func httpSend(_ line: KeywordLine, from start: Int) throws(ConfigError) -> CheckRule {
        var s = HTTPCheckSend()
        var comment: String? = nil
        var hostSeen: String? = nil
        var i = start
        func value() throws(ConfigError) -> String {
            guard let v = line.argument(i + 1), !v.isEmpty else { throw line.error("'\(line.argument(i)!)' expects a string as argument") }
            i += 1
            return v
        }
        while let w = line.argument(i) {
            switch w {
            case "meth": s.method = try value()
            case "uri": s.uri = CheckFormat(literal: try value())
            case "uri-lf": s.uri = try format(try value(), line)
            case "ver": s.version = try value()
            case "hdr":
                guard let n = line.argument(i + 1), !n.isEmpty, let v = line.argument(i + 2), !v.isEmpty else {
                    throw line.error("'hdr' expects <name> and <value> as arguments")
                }
                i += 2
                let lower = n.lowercased()
                if lower == "host" {
                    if let prev = hostSeen { throw line.error("'\(n)' header already defined (previous value is '\(prev)')") }
                    hostSeen = v
                }
                if lower == "content-length" || lower == "transfer-encoding" { break }   // HAProxy drops them
                s.headers.append(.init(name: n, value: try format(v, line)))
            case "body": s.body = CheckFormat(literal: try value())
            case "body-lf": s.body = try format(try value(), line)
            case "comment": comment = try value()
            default:
                throw line.error("expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '\(w)' as argument")
            }
            i += 1
        }
        return CheckRule(.send(.http(s)), comment: comment, location: line.location)
    }

    /// `expect [min-recv N] [!] MATCH PATTERN [comment C] [on-success F] [on-error F]
    /// [ok-status S] [error-status S] [tout-status S] [status-code EXPR]`
    static func expect(_ line: KeywordLine, from start: Int, family: Family) throws(ConfigError) -> CheckRule {
        guard line.argument(start) != nil else { throw line.error("expects at least a matching pattern as arguments") }
        var match: CheckExpect.Match? = nil
        var e = CheckExpect(.string([]))
        var comment: String? = nil
        var inverse = false
        var i = start
        func value(_ what: String = "a string") throws(ConfigError) -> String {
            guard let v = line.argument(i + 1), !v.isEmpty else { throw line.error("'\(line.argument(i)!)' expects \(what) as argument") }
            i += 1
            return v
        }
        func setMatch(_ m: CheckExpect.Match) throws(ConfigError) {
            guard match == nil else { throw line.error("only one pattern expected") }
            match = m
        }
        func badKeyword(_ w: String) -> ConfigError {
            family == .http
                ? line.error("only supports min-recv, [!]string, [!]rstring, [!]string-lf, [!]status, [!]rstatus, [!]hdr, [!]fhdr or comment but got '\(w)' as argument")
                : line.error("only supports min-recv, [!]binary, [!]string, [!]rstring, [!]string-lf, [!]rbinary, [!]binary-lf or comment but got '\(w)' as argument")
        }
        while var w = line.argument(i) {
            var negated = false
            while w.hasPrefix("!") { inverse.toggle(); negated = true; w.removeFirst() }
            if negated && w.isEmpty { i += 1; guard let n = line.argument(i) else { break }; w = n }
            let optionOnly = ["min-recv", "comment", "on-success", "on-error", "ok-status", "error-status", "tout-status", "status-code"]
            if negated && optionOnly.contains(w) { throw line.error("[!] not supported with '\(w)'") }
            switch w {
            case "min-recv":
                let v = try value("an integer")
                guard let n = Int(v), n >= -1 else { throw line.error("'min-recv' expects -1 or an integer from 0 to INT_MAX") }
                e.minRecv = n
            case "string":
                let p = try value("a <pattern>")
                try setMatch(family == .http ? .httpBody(Array(p.utf8)) : .string(Array(p.utf8)))
            case "rstring":
                let p = try regex(try value("a <pattern>"), line)
                try setMatch(family == .http ? .httpBodyRegex(p) : .regex(p))
            case "string-lf":
                let f = try format(try value("a <pattern>"), line)
                try setMatch(family == .http ? .httpBodyFormat(f) : .stringFormat(f))
            case "binary", "rbinary", "binary-lf":
                guard family == .tcp else { throw badKeyword(w) }
                let p = try value("a <pattern>")
                if w == "binary" {
                    guard let b = CheckExpressionParser.hexBytes(p) else { throw line.error("invalid binary string (expected an even number of hexadecimal digits)") }
                    try setMatch(.binary(b))
                } else if w == "rbinary" {
                    try setMatch(.binaryRegex(try regex(p, line)))
                } else {
                    try setMatch(.binaryFormat(try format(p, line)))
                }
            case "status":
                guard family == .http else { throw badKeyword(w) }
                try setMatch(.httpStatus(try statusCodes(try value("a <pattern>"), line)))
            case "rstatus":
                guard family == .http else { throw badKeyword(w) }
                try setMatch(.httpStatusRegex(try regex(try value("a <pattern>"), line)))
            case "hdr", "fhdr":
                guard family == .http else { throw badKeyword(w) }
                try setMatch(.httpHeader(try header(line, &i, full: w == "fhdr")))
            case "custom":
                throw line.error("'custom' expect rules are internal to HAProxy's protocol checks")
            case "comment": comment = try value()
            case "on-success": e.onSuccess = try format(try value(), line)
            case "on-error": e.onError = try format(try value(), line)
            case "ok-status":
                let v = try value()
                guard let s = ["L7OK": CheckStatus.l7ok, "L7OKC": .l7okc, "L6OK": .l6ok, "L4OK": .l4ok][v.uppercased()] else {
                    throw line.error("'ok-status' only supports 'L4OK', 'L6OK', 'L7OK' or 'L7OKC' status (got '\(v)').")
                }
                e.okStatus = s
            case "error-status":
                let v = try value()
                guard let s = ["L7RSP": CheckStatus.l7rsp, "L7STS": .l7sts, "L7OKC": .l7okc, "L6RSP": .l6rsp, "L4CON": .l4con][v.uppercased()] else {
                    throw line.error("'error-status' only supports 'L4CON', 'L6RSP', 'L7RSP' or 'L7STS' status (got '\(v)').")
                }
                e.errorStatus = s
            case "tout-status":
                let v = try value()
                guard let s = ["L7TOUT": CheckStatus.l7tout, "L6TOUT": .l6tout, "L4TOUT": .l4tout][v.uppercased()] else {
                    throw line.error("'tout-status' only supports 'L4TOUT', 'L6TOUT' or 'L7TOUT' status (got '\(v)').")
                }
                e.timeoutStatus = s
            case "status-code":
                switch CheckExpressionParser.expression(try value("an expression")) {
                case .success(let x): e.statusCode = x
                case .failure(let err): throw line.error("error detected while parsing status-code expression : \(err.message)")
                }
            default:
                throw badKeyword(w)
            }
            i += 1
        }
        guard let match else { throw line.error("pattern not found") }
        e.match = match
        e.inverse = inverse
        return CheckRule(.expect(e), comment: comment, location: line.location)
    }

    /// `hdr name [-m M] NAME [value [-m M] VALUE]`, `i` on the keyword; left on the last word used.
    static func header(_ line: KeywordLine, _ i: inout Int, full: Bool) throws(ConfigError) -> CheckHeaderMatch {
        let kw = line.argument(i)!
        guard let nameKw = line.argument(i + 1), nameKw == "name" || nameKw == "name-lf", line.argument(i + 2) != nil else {
            throw line.error("'\(kw)' expects at the name keyword as first argument followed by a pattern")
        }
        i += 2
        var method = CheckHeaderMatch.Method.str
        if line.argument(i) == "-m" {
            method = try matchMethod(line, i, kw, formatted: nameKw == "name-lf")
            i += 2
        }
        guard let namePattern = line.argument(i) else { throw line.error("'\(kw)' expects a name pattern") }
        var h = CheckHeaderMatch(name: nameKw == "name-lf" ? try format(namePattern, line) : CheckFormat(literal: namePattern))
        h.nameMethod = method
        if method == .reg { _ = try regex(namePattern, line) }
        h.fullValue = full
        guard let valueKw = line.argument(i + 1), valueKw == "value" || valueKw == "value-lf" else { return h }
        i += 1
        if line.argument(i + 1) == "-m" {
            h.valueMethod = try matchMethod(line, i + 1, kw, formatted: valueKw == "value-lf")
            i += 2
        }
        guard let v = line.argument(i + 1), !v.isEmpty else { throw line.error("'\(kw)' expect a pattern with the value keyword") }
        i += 1
        h.value = valueKw == "value-lf" ? try format(v, line) : CheckFormat(literal: v)
        if h.valueMethod == .reg { _ = try regex(v, line) }
        return h
    }

    static func matchMethod(_ line: KeywordLine, _ at: Int, _ kw: String, formatted: Bool) throws(ConfigError) -> CheckHeaderMatch.Method {
        guard let m = line.argument(at + 1) else {
            throw line.error("'\(kw)' : '-m' expects at a matching pattern ('str', 'beg', 'end', 'sub' or 'reg')")
        }
        guard let method = CheckHeaderMatch.Method(rawValue: m) else {
            throw line.error("'\(kw)' : '-m' only supports 'str', 'beg', 'end', 'sub' or 'reg' (got '\(m)')")
        }
        if method == .reg && formatted { throw line.error("'\(kw)': log-format string is not supported with a regex matching method") }
        return method
    }

    /// `200`, `200-399`, `200,301-302`.
    static func statusCodes(_ text: String, _ line: KeywordLine) throws(ConfigError) -> [ClosedRange<Int>] {
        var out: [ClosedRange<Int>] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let b = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { Int($0) }
            guard let low = b[0], let high = b.count == 2 ? b[1] : low else {
                throw line.error("invalid character in the list of status codes '\(text)'")
            }
            guard low <= high else { throw line.error("invalid range of status codes '\(text)'") }
            out.append(low...high)
        }
        return out
    }

    static func regex(_ pattern: String, _ line: KeywordLine) throws(ConfigError) -> String {
        if let problem = RegexCheck.problem(pattern, ignoreCase: false) { throw line.error("invalid regex '\(pattern)': \(problem)") }
        return pattern
    }

    static func format(_ text: String, _ line: KeywordLine) throws(ConfigError) -> CheckFormat {
        switch CheckExpressionParser.format(text) {
        case .success(let f): return f
        case .failure(let e): throw line.error("'\(text)' invalid log-format string (\(e.message))")
        }
    }

    /// `set-var(check.NAME) EXPR` / `unset-var(check.NAME)`.
    static func variable(_ line: KeywordLine, word: String, from start: Int) throws(ConfigError) -> CheckRule {
        let (verb, args) = CheckExpressionParser.call(word)
        guard args.count == 1, args[0].hasPrefix("check.") || args[0].hasPrefix("proc.") else {
            throw line.error("'\(word)': expects a variable of the 'check.' scope, such as '\(verb)(check.name)'")
        }
        if verb == "unset-var" {
            if let extra = line.argument(start) { throw line.error("unexpected argument '\(extra)' after '\(word)'") }
            return CheckRule(.unsetVar(name: args[0]), location: line.location)
        }
        guard let text = line.argument(start) else { throw line.error("'\(word)' expects a sample expression") }
        if let extra = line.argument(start + 1) { throw line.error("unexpected argument '\(extra)' after the expression of '\(word)'") }
        switch CheckExpressionParser.expression(text) {
        case .success(let e): return CheckRule(.setVar(name: args[0], expression: e), location: line.location)
        case .failure(let err): throw line.error(err.message)
        }
    }
}
