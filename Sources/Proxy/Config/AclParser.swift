// `acl NAME CRITERION [flags] [operator] PATTERN...`: a sample expression (any fetch of
// SampleCatalog, the ACL-only suffix forms such as `hdr_beg(host)`, converters), flags
// (-i, -f FILE, -m METHOD, -n, -M, -u ID, --), and patterns checked for the match method.
// As in HAProxy, flags come before the patterns: after the first pattern, every word is one.

enum AclParser {
    static let matchNames = ["found", "bool", "int", "ip", "bin", "len", "str", "sub", "reg", "beg", "end", "dir", "dom"]
    static let intOperators = ["eq", "ge", "gt", "le", "lt"]

    /// The fetch an ACL criterion names: a sample fetch, a stick counter fetch, or an ACL form
    /// whose name carries its match method (`path_beg`, `hdr_dom(host)`).
    static func fetchSpec(_ name: String) -> FetchSpec? {
        SampleCatalog.fetches[name] ?? StickSampleSyntax.fetchSpec(name) ?? SampleCatalog.aclForm(name)?.0
    }

    /// Parses `CRITERION [flags] PATTERN...` between arguments `start` and `end` (excluded).
    static func parse(name: String, _ line: KeywordLine, from start: Int, to end: Int, state: inout ParseState,
                      context: SampleContext = .request) throws(ConfigError) -> AclDefinition {
        guard start < end, let text = line.argument(start) else {
            throw line.error("missing criterion; expected 'acl NAME FETCH [flags] PATTERN...'")
        }
        let (expr, implied, used) = try SampleSyntax.parse(text, context: context, line: line, state: &state, acl: true)
        if used != text.utf8.count {
            let rest = String(decoding: Array(text.utf8)[used...], as: UTF8.self)
            throw line.error("unexpected '\(rest)' after ACL criterion '\(expr.text)'")
        }
        var criterion = AclCriterion(expression: expr)
        let spec = fetchSpec(expr.fetchName)!
        var match: AclMatch = implied ?? defaultMatch(for: expr.output, fetchDefault: spec.defaultMatch, converted: !expr.converters.isEmpty)
        if !context.allows(spec.usage) { criterion.neverMatches = true }
        var ignoreCase = false
        var explicitMatch = false
        var i = start + 1
        flags: while i < end, let flag = line.argument(i), flag.hasPrefix("-") {
            switch flag {
            case "-i": ignoreCase = true; i += 1
            case "-n": criterion.noDNS = true; i += 1
            case "-M": criterion.patternFilesAreMaps = true; i += 1
            case "-m":
                guard i + 1 < end else { throw line.error("missing method after '-m'; expected one of \(matchNames.joined(separator: ", "))") }
                match = AclMatch(rawValue: try line.oneOf(i + 1, "match method", matchNames))!
                explicitMatch = true
                i += 2
            case "-f":
                guard i + 1 < end, let path = line.argument(i + 1) else { throw line.error("missing file name after '-f'") }
                criterion.patternFiles.append(path)
                i += 2
            case "-u":
                guard i + 1 < end, let id = line.argument(i + 1).flatMap({ Int($0) }) else { throw line.error("missing or invalid unique id after '-u'") }
                criterion.uniqueID = id
                i += 2
            case "--": i += 1; break flags
            default:
                throw line.error(EditDistance.unknownMessage("ACL flag", flag, ["-i", "-f", "-m", "-n", "-M", "-u", "--"]))
            }
        }
        _ = explicitMatch   // `-m` overrides the method a suffix form implies (HAProxy accepts `hdr_dom(h) -m end`)
        for path in criterion.patternFiles {
            // `-M` makes the file a map for its reference ("used by map"), as in HAProxy.
            try SampleSyntax.loadFile(path, map: criterion.patternFilesAreMaps, user: criterion.patternFilesAreMaps ? "map" : "acl",
                                      line: line, state: &state)
        }
        if let id = criterion.uniqueID, state.config.rules.patternRefs.contains(where: { $0.uniqueID == id }) {
            throw line.error("error detected while parsing ACL '\(name)' : the id is already used")
        }
        criterion.reference = state.config.rules.patternRefs.count
        state.config.rules.patternRefs.append(PatternRefDef(
            path: nil, display: "acl '\(expr.fetchName)' file '\(line.location.file)' line \(line.location.line)",
            usedByACL: true, usedByMap: false, hasValues: false, uniqueID: criterion.uniqueID))
        // Patterns, with the integer operators (`gt 3` → 4:).
        var patterns: [String] = []
        var op: String? = nil
        let numeric = match == .int || match == .length
        // req.ssl_ver matches dotted versions (`3.1`, `3.1:3.3`, `lt 3.1`), as HAProxy's "ver" patterns.
        let dotted = spec.kind == .reqSSLVer && match == .int && expr.converters.isEmpty && implied == nil && !explicitMatch
        while i < end, var word = line.argument(i) {
            i += 1
            if dotted && !(intOperators.contains(word) && op == nil && patterns.isEmpty) {
                guard let n = dottedVersionRange(word) else {
                    throw line.error("error detected while parsing ACL '\(name)' : '\(word)' is not a dotted version (MAJOR.MINOR)")
                }
                word = n
            }
            if numeric && intOperators.contains(word) && op == nil && patterns.isEmpty { op = word; continue }
            patterns.append(op.map { rangeText($0, word) } ?? word)
        }
        if let o = op, patterns.isEmpty { throw line.error("missing value after operator '\(o)'") }
        if let o = op {
            for p in patterns { if p.hasPrefix("!") { throw line.error("'\(String(p.dropFirst()))' is not a valid number after '\(o)'") } }
        }
        for p in patterns {
            if let problem = PatternSyntax.problem(p, match, ignoreCase: ignoreCase) {
                throw line.error("error detected while parsing ACL '\(name)' : \(problem)")
            }
        }
        for path in criterion.patternFiles {
            for l in state.config.rules.files[path]?.lines ?? [] {
                if let problem = PatternSyntax.problem(l.key, match, ignoreCase: ignoreCase) {
                    throw line.error("error detected while parsing ACL '\(name)' : file '\(path)' line \(l.line): \(problem)")
                }
            }
        }
        if patterns.isEmpty && criterion.patternFiles.isEmpty && match != .found && match != .bool
            && line.words.dropFirst(line.argumentStart + start).prefix(end - start).last != "--" {
            state.warn(line.location, "acl '\(name)': no pattern to match against were provided, so this ACL will never match (add '--' to silence this, or use '-m found')")
        }
        if criterion.neverMatches {
            state.warn(line.location, "acl '\(name)' will never match because it uses keyword '\(expr.fetchName)' which is incompatible with this rule")
        }
        var def = AclDefinition(name: name, fetch: legacyFetch(expr), match: match, ignoreCase: ignoreCase,
                                patterns: patterns, location: line.location)
        def.criterion = criterion
        return def
    }

    /// `MAJOR.MINOR` (or a range `A.B:C.D`, either end open) as the integer range
    /// MAJOR × 65536 + MINOR that req.ssl_ver returns.
    static func dottedVersionRange(_ p: String) -> String? {
        func one(_ t: Substring) -> String? {
            if t.isEmpty { return "" }
            let parts = t.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count <= 2, let major = Int(parts[0]), major >= 0 else { return nil }
            let minor = parts.count == 2 ? Int(parts[1]) : 0
            guard let minor, minor >= 0, minor < 65536 else { return nil }
            return String(major << 16 | minor)
        }
        let ends = p.split(separator: ":", omittingEmptySubsequences: false)
        guard ends.count <= 2, !p.isEmpty else { return nil }
        guard let low = one(ends[0]) else { return nil }
        if ends.count == 1 { return low }
        guard let high = one(ends[1]) else { return nil }
        return low + ":" + high
    }

    /// HAProxy picks the match method from the output type when none is given.
    static func defaultMatch(for type: SampleType, fetchDefault: AclMatch, converted: Bool) -> AclMatch {
        if !converted { return fetchDefault }
        switch type {
        case .bool: return .bool
        case .int: return .int
        case .ipv4, .ipv6, .addr: return .ip
        case .binary: return .binary
        default: return .exact
        }
    }

    /// `gt 3` → `4:`, `le 5` → `:5`...
    static func rangeText(_ op: String, _ v: String) -> String {
        guard let n = Int64(v) else { return "!" + v }
        switch op {
        case "eq": return "\(n)"
        case "ge": return "\(n):"
        case "gt": return n == Int64.max ? "!" + v : "\(n + 1):"
        case "le": return ":\(n)"
        default: return n == Int64.min ? "!" + v : ":\(n - 1)"   // lt
        }
    }

    /// The summary the rest of ringproxy (and older tests) use for simple criteria.
    static func legacyFetch(_ e: SampleExprDef) -> AclFetch {
        guard e.converters.isEmpty else { return .expression }
        switch e.fetch {
        case .hdr, .reqHdr: return e.args.first.map { .header($0.lowercased()) } ?? .expression
        case .path: return .path
        case .url: return .url
        case .src: return .source
        case .method: return .method
        case .alwaysTrue: return .always
        default: return .expression
        }
    }

    /// HAProxy's predefined ACLs, as definitions.
    static func predefined(_ name: String, at location: SourceLocation) -> AclDefinition? {
        func def(_ fetch: AclFetch, _ kind: FetchKind, _ fetchName: String, _ args: [String], _ match: AclMatch, _ patterns: [String], output: SampleType) -> AclDefinition {
            var d = AclDefinition(name: name, fetch: fetch, match: match, ignoreCase: false, patterns: patterns, location: location)
            d.criterion = AclCriterion(expression: SampleExprDef(fetch: kind, fetchName: fetchName, args: args, text: fetchName, output: output))
            return d
        }
        switch name {
        case "TRUE": return def(.always, .alwaysTrue, "always_true", [], .bool, [], output: .bool)
        case "FALSE": return def(.expression, .alwaysFalse, "always_false", [], .bool, [], output: .bool)
        case "LOCALHOST": return def(.source, .src, "src", [], .ip, ["127.0.0.1/8", "::1"], output: .addr)
        case "HTTP": return def(.expression, .reqProtoHTTP, "req.proto_http", [], .bool, [], output: .bool)
        case "HTTP_1.0": return def(.expression, .reqVer, "req.ver", [], .exact, ["1.0"], output: .string)
        case "HTTP_1.1": return def(.expression, .reqVer, "req.ver", [], .exact, ["1.1"], output: .string)
        case "HTTP_2.0": return def(.expression, .reqVer, "req.ver", [], .exact, ["2.0"], output: .string)
        case "METH_GET": return def(.method, .method, "method", [], .exact, ["GET", "HEAD"], output: .method)
        case "METH_HEAD", "METH_POST", "METH_PUT", "METH_DELETE", "METH_OPTIONS", "METH_TRACE", "METH_CONNECT":
            return def(.method, .method, "method", [], .exact, [String(name.dropFirst(5))], output: .method)
        case "HTTP_URL_ABS": return def(.url, .url, "url", [], .regex, ["^[^/:]*://"], output: .string)
        case "HTTP_URL_SLASH": return def(.url, .url, "url", [], .beginning, ["/"], output: .string)
        case "HTTP_URL_STAR": return def(.url, .url, "url", [], .exact, ["*"], output: .string)
        case "RDP_COOKIE": return def(.expression, .reqRDPCookieCnt, "req.rdp_cookie_cnt", [], .int, ["1:"], output: .int)
        case "WAIT_END": return def(.expression, .waitEnd, "wait_end", [], .bool, [], output: .bool)
        case "HTTP_CONTENT": return def(.expression, .reqHdrVal, "req.hdr_val", ["content-length"], .int, ["1:"], output: .int)
        default: return nil
        }
    }
}

/// Whether a pattern is valid for a match method (HAProxy's pat_parse_* checks).
enum PatternSyntax {
    static func problem(_ p: String, _ m: AclMatch, ignoreCase: Bool = false) -> String? {
        switch m {
        case .regex:
            if let e = Regex.problem(p, caseless: ignoreCase) { return "regex '\(p)' is invalid: \(e)" }
        case .ip:
            if IPNetwork(p) == nil { return "invalid address '\(p)'; expected ADDR[/MASK] (IPv4 or IPv6)" }
        case .length:
            if IntRange(p) == nil { return "invalid length '\(p)'; expected N or a range N:M" }
        case .int:
            if IntRange(p) == nil { return "'\(p)' is not a valid number range" }
        case .binary:
            if p.utf8.count % 2 != 0 || !p.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 102) }) {
                return "'\(p)' is not a valid hex string"
            }
        case .bool, .found:
            return "this match method takes no pattern (got '\(p)')"
        default: break
        }
        return nil
    }
}

/// An integer range pattern: `N`, `N:`, `:M`, `N:M` (also with '-').
public struct IntRange: Equatable, Sendable {
    public var lo: Int64
    public var hi: Int64
    public init?(_ text: String) {
        let b = Array(text.utf8)
        guard !b.isEmpty else { return nil }
        // As pat_parse_int: the first ':' or '-' separates the bounds ("-5" is ":5").
        guard let sep = b.firstIndex(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-") }) else {
            guard let v = Int64(text) else { return nil }
            lo = v; hi = v; return
        }
        let left = String(decoding: b[..<sep], as: UTF8.self), right = String(decoding: b[(sep + 1)...], as: UTF8.self)
        if left.isEmpty && right.isEmpty { return nil }
        if left.isEmpty { guard let v = Int64(right) else { return nil }; lo = Int64.min; hi = v; return }
        if right.isEmpty { guard let v = Int64(left) else { return nil }; lo = v; hi = Int64.max; return }
        guard let l = Int64(left), let r = Int64(right), l <= r else { return nil }
        lo = l; hi = r
    }
    @inline(__always) public func contains(_ v: Int64) -> Bool { v >= lo && v <= hi }
}

/// An IPv4 or IPv6 network pattern: `ADDR`, `ADDR/BITS`, `ADDR/MASK`.
public struct IPNetwork: Equatable, Sendable {
    public var isV6: Bool
    public var v4: UInt32 = 0, mask4: UInt32 = 0
    public var hi: UInt64 = 0, lo: UInt64 = 0, maskHi: UInt64 = 0, maskLo: UInt64 = 0
    /// Prefix length (for longest-match lookups).
    public var bits: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let a = TextAddress.parse(parts[0]) else { return nil }
        if a.type == .ipv4 {
            isV6 = false
            var m: UInt32 = ~0
            if parts.count == 2 { guard let mm = IPMask.v4(parts[1]) else { return nil }; m = mm }
            v4 = a.ipv4 & m; mask4 = m; bits = m.nonzeroBitCount
        } else {
            isV6 = true
            var mh: UInt64 = ~0, ml: UInt64 = ~0
            if parts.count == 2 { guard let (h, l) = IPMask.v6(parts[1]) else { return nil }; mh = h; ml = l }
            hi = a.hi & mh; lo = a.lo & ml; maskHi = mh; maskLo = ml; bits = mh.nonzeroBitCount + ml.nonzeroBitCount
        }
    }

    /// HAProxy: an IPv4 sample matches IPv6 patterns through its mapped form and an IPv6
    /// sample matches IPv4 patterns when it is v4-mapped.
    @inline(__always) public func contains(_ s: Sample) -> Bool {
        if s.type == .ipv4 {
            if !isV6 { return s.ipv4 & mask4 == v4 }
            let (h, l) = v4MappedV6(s.ipv4)
            return h & maskHi == hi && l & maskLo == lo
        }
        if s.type == .ipv6 {
            if isV6 { return s.hi & maskHi == hi && s.lo & maskLo == lo }
            guard let a = v6ToV4(s.hi, s.lo) else { return false }
            return a & mask4 == v4
        }
        return false
    }
}
