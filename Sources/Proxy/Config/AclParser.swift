// `acl NAME FETCH [-i] [-m MATCH] [--] PATTERN...`: the fetch and its matching method.

enum AclParser {
    static let fetchNames = ["hdr", "hdr_reg", "hdr_beg", "hdr_end", "hdr_sub", "hdr_dom", "hdr_len", "req.hdr",
                             "path", "path_beg", "path_end", "path_reg", "path_sub", "path_dom", "path_len",
                             "url", "url_beg", "url_end", "url_reg", "url_sub", "src", "method"]
    static let matchNames = ["str", "beg", "end", "sub", "reg", "dom", "found", "len", "ip"]

    /// Parses `FETCH [flags] PATTERN...` starting at argument `start`, up to (excluding) `end`.
    static func parse(name: String, _ line: KeywordLine, from start: Int, to end: Int) throws(ConfigError) -> AclDefinition {
        guard start < end, let fetchText = line.argument(start) else {
            throw line.error("missing fetch; expected 'acl NAME FETCH [-i] [-m MATCH] PATTERN...' with FETCH one of \(fetchNames.joined(separator: ", "))")
        }
        var (fetch, match) = try parseFetch(fetchText, line)
        var ignoreCase = false
        var i = start + 1
        flags: while i < end, let flag = line.argument(i), flag.hasPrefix("-") {
            switch flag {
            case "-i": ignoreCase = true; i += 1
            case "-m":
                guard i + 1 < end else { throw line.error("missing method after '-m'; expected one of \(matchNames.joined(separator: ", "))") }
                match = AclMatch(rawValue: try line.oneOf(i + 1, "match method", matchNames))!
                i += 2
            case "--": i += 1; break flags
            case "-f", "-M", "-n", "-u":
                throw line.error("ACL flag '\(flag)' is not supported by ringproxy; expected -i, -m or --")
            default:
                // A pattern may start with '-' only after '--'; anything else is a mistyped flag.
                throw line.error(EditDistance.unknownMessage("ACL flag", flag, ["-i", "-m", "--"]))
            }
        }
        let patterns = Array(line.words[(line.argumentStart + i)..<(line.argumentStart + end)])
        if patterns.isEmpty && match != .found {
            throw line.error("missing pattern after '\(fetchText)'; expected at least one value (or '-m found')")
        }
        for pattern in patterns {
            switch match {
            case .regex:
                if let problem = RegexCheck.problem(pattern, ignoreCase: ignoreCase) { throw line.error("invalid regular expression '\(pattern)': \(problem)") }
            case .ip:
                guard AddressParser.isNetwork(pattern) else { throw line.error("invalid address '\(pattern)'; expected ADDR[/MASK]") }
            case .length:
                guard ConfigUnits.integer(pattern) != nil else { throw line.error("invalid length '\(pattern)'; expected an integer") }
            default: break
            }
        }
        return AclDefinition(name: name, fetch: fetch, match: match, ignoreCase: ignoreCase, patterns: patterns, location: line.location)
    }

    static func parseFetch(_ text: String, _ line: KeywordLine) throws(ConfigError) -> (AclFetch, AclMatch) {
        let (name, args) = PersistenceKeywords.splitFetch(text)
        func header() throws(ConfigError) -> AclFetch {
            guard let a = args, a.count <= 2, let h = a.first, !h.isEmpty else { throw line.error("expected '\(name)(NAME)' with a header name") }
            return .header(h.lowercased())
        }
        func noArgs(_ fetch: AclFetch) throws(ConfigError) -> AclFetch {
            guard args == nil || args == [""] else { throw line.error("'\(name)' takes no argument") }
            return fetch
        }
        switch name {
        case "hdr", "req.hdr": return (try header(), .exact)
        case "hdr_reg": return (try header(), .regex)
        case "hdr_beg": return (try header(), .beginning)
        case "hdr_end": return (try header(), .ending)
        case "hdr_sub": return (try header(), .substring)
        case "hdr_dom": return (try header(), .domain)
        case "hdr_len": return (try header(), .length)
        case "path": return (try noArgs(.path), .exact)
        case "path_beg": return (try noArgs(.path), .beginning)
        case "path_end": return (try noArgs(.path), .ending)
        case "path_reg": return (try noArgs(.path), .regex)
        case "path_sub": return (try noArgs(.path), .substring)
        case "path_dom": return (try noArgs(.path), .domain)
        case "path_len": return (try noArgs(.path), .length)
        case "url": return (try noArgs(.url), .exact)
        case "url_beg": return (try noArgs(.url), .beginning)
        case "url_end": return (try noArgs(.url), .ending)
        case "url_reg": return (try noArgs(.url), .regex)
        case "url_sub": return (try noArgs(.url), .substring)
        case "src": return (try noArgs(.source), .ip)
        case "method": return (try noArgs(.method), .exact)
        default:
            throw line.error(EditDistance.unknownMessage("ACL fetch", name, fetchNames))
        }
    }

    /// HAProxy's predefined ACLs that ringproxy knows, as definitions.
    static func predefined(_ name: String, at location: SourceLocation) -> AclDefinition? {
        func def(_ fetch: AclFetch, _ match: AclMatch, _ patterns: [String]) -> AclDefinition {
            AclDefinition(name: name, fetch: fetch, match: match, ignoreCase: false, patterns: patterns, location: location)
        }
        switch name {
        case "TRUE": return def(.always, .found, [])
        case "LOCALHOST": return def(.source, .ip, ["127.0.0.1/8", "::1"])
        case "METH_GET": return def(.method, .exact, ["GET", "HEAD"])
        case "METH_HEAD", "METH_POST", "METH_PUT", "METH_DELETE", "METH_OPTIONS", "METH_TRACE", "METH_CONNECT":
            return def(.method, .exact, [String(name.dropFirst(5))])
        default: return nil
        }
    }
}
