// `balance` and `hash-type`: how a backend picks a server when persistence does not.

enum BalanceKeywords {
    static let algorithms = ["roundrobin", "static-rr", "leastconn", "first", "source", "uri", "url_param", "hdr(NAME)", "random", "rdp-cookie"]

    static let all: [ConfigKeyword] = [
        ConfigKeyword("balance", .backendSide,
                      "balance roundrobin|static-rr|leastconn|first|source|random[(N)]|uri [len N] [depth N] [whole] [path-only]|url_param NAME [check_post]|hdr(NAME) [use_domain_only]|rdp-cookie[(NAME)]",
                      "Load-balancing algorithm (default roundrobin).") { state, line throws(ConfigError) in
            // `balance` alone means roundrobin, as in HAProxy.
            let name = line.argument(0) ?? "roundrobin"
            var options = state.proxy.balancing
            options.uriLength = nil; options.uriDepth = nil; options.uriWhole = false; options.uriPathOnly = false
            options.headerDomainOnly = false; options.urlParamCheckPost = false
            let algorithm: BalanceAlgorithm
            switch name {
            case "roundrobin": algorithm = .roundRobin
            case "static-rr": algorithm = .staticRoundRobin
            case "leastconn": algorithm = .leastConn
            case "first": algorithm = .first
            case "source": algorithm = .source
            case "uri":
                algorithm = .uri
                var i = 1
                while let word = line.argument(i) {
                    switch word {
                    case "len", "depth":
                        guard let v = line.argument(i + 1), let n = Int(v), n > 0 else {
                            throw line.error("'uri': '\(word)' expects a positive integer (got '\(line.argument(i + 1) ?? "")')")
                        }
                        if word == "len" { options.uriLength = n } else { options.uriDepth = n }
                        i += 2
                    case "whole": options.uriWhole = true; i += 1
                    case "path-only": options.uriPathOnly = true; i += 1
                    default: throw line.error("'uri' only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '\(word)')")
                    }
                }
            case "url_param":
                guard let param = line.argument(1) else { throw line.error("missing parameter name; expected 'balance url_param NAME'") }
                if let extra = line.argument(2) {
                    guard extra == "check_post" else { throw line.error("'url_param' only accepts the 'check_post' modifier (got '\(extra)')") }
                    if let more = line.argument(3) { throw line.error("unexpected argument '\(more)' after 'check_post'") }
                    options.urlParamCheckPost = true
                }
                algorithm = .urlParam(param)
            default:
                if name.hasPrefix("random") {
                    algorithm = .random(draws: try draws(name, line))
                } else if name.hasPrefix("hdr(") {
                    guard let close = name.firstIndex(of: ")"), name.index(name.startIndex, offsetBy: 4) < close else {
                        throw line.error("hdr requires an http header field name")
                    }
                    algorithm = .header(String(name[name.index(name.startIndex, offsetBy: 4)..<close]).lowercased())
                    if let modifier = line.argument(1) {
                        guard modifier == "use_domain_only" else { throw line.error("'hdr' only accepts the 'use_domain_only' modifier (got '\(modifier)')") }
                        options.headerDomainOnly = true
                    }
                } else if name.hasPrefix("rdp-cookie") {
                    // HAProxy: the cookie defaults to mstshash; "rdp-cookie(" needs a name and ")"
                    guard let cookie = cookieName(name, prefix: "rdp-cookie", default: "mstshash") else {
                        throw line.error("rdp-cookie : missing cookie name.")
                    }
                    algorithm = .rdpCookie(cookie)
                } else if name == "hash" {
                    throw line.error("algorithm '\(name)' is not implemented yet in ringproxy; expected one of \(algorithms.joined(separator: ", "))")
                } else {
                    throw line.error(EditDistance.unknownMessage("algorithm", name, algorithms.map { $0 == "hdr(NAME)" ? "hdr" : $0 }))
                }
            }
            switch algorithm {
            case .uri, .urlParam, .header: break
            default: try line.expectArguments(1...1, "balance \(name)")
            }
            state.proxy.balance = algorithm
            options.explicit = true
            state.proxy.balancing = options
        },
        ConfigKeyword("hash-type", .backendSide, "hash-type map-based|consistent",
                      "How hash-based algorithms map keys to servers (default map-based).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "hash-type map-based|consistent (hash functions and modifiers are not supported)")
            state.proxy.hashType = HashType(rawValue: try line.oneOf(0, "hash type", ["map-based", "consistent"]))!
        },
    ]

    /// `rdp-cookie` → the default, `rdp-cookie(NAME)` → NAME (what follows ")" is ignored, as
    /// in HAProxy); nil for an empty name, a missing ")" or another suffix.
    static func cookieName(_ word: String, prefix: String, default name: String) -> String? {
        let rest = word.dropFirst(prefix.count)
        if rest.isEmpty { return name }
        guard rest.hasPrefix("("), let close = rest.firstIndex(of: ")") else { return nil }
        let n = rest[rest.index(after: rest.startIndex)..<close]
        return n.isEmpty ? nil : String(n)
    }

    /// `random`, `random(N)`: the number of draws (HAProxy: default 2, at least 1).
    static func draws(_ name: String, _ line: KeywordLine) throws(ConfigError) -> Int {
        let rest = name.dropFirst("random".count)
        if rest.isEmpty || rest == "()" { return 2 }
        guard rest.hasPrefix("(") else { throw line.error(EditDistance.unknownMessage("algorithm", name, algorithms)) }
        guard rest.hasSuffix(")") else { throw line.error("random : missing closing parenthesis") }
        guard let n = Int(rest.dropFirst().dropLast()) else { throw line.error("random : invalid number of draws '\(rest.dropFirst().dropLast())'") }
        guard n >= 1 else { throw line.error("random : number of draws must be at least 1") }
        return n
    }
}
