// `balance` and `hash-type`: how a backend picks a server when persistence does not.

enum BalanceKeywords {
    static let algorithms = ["roundrobin", "static-rr", "leastconn", "source", "uri", "url_param", "hdr(NAME)"]

    static let all: [ConfigKeyword] = [
        ConfigKeyword("balance", .backendSide, "balance roundrobin|static-rr|leastconn|source|uri|url_param NAME|hdr(NAME)",
                      "Load-balancing algorithm (default roundrobin).") { state, line throws(ConfigError) in
            guard let name = line.argument(0) else {
                throw line.error("missing algorithm; expected one of \(algorithms.joined(separator: ", "))")
            }
            let algorithm: BalanceAlgorithm
            switch name {
            case "roundrobin": algorithm = .roundRobin
            case "static-rr": algorithm = .staticRoundRobin
            case "leastconn": algorithm = .leastConn
            case "source": algorithm = .source
            case "uri": algorithm = .uri
            case "url_param":
                guard let param = line.argument(1) else { throw line.error("missing parameter name; expected 'balance url_param NAME'") }
                try line.expectArguments(2...2, "balance url_param NAME ('check_post' is not supported)")
                algorithm = .urlParam(param)
            default:
                if name.hasPrefix("hdr(") && name.hasSuffix(")") {
                    let header = String(name.dropFirst(4).dropLast())
                    guard !header.isEmpty else { throw line.error("missing header name; expected 'balance hdr(NAME)'") }
                    try line.expectArguments(1...1, "balance hdr(NAME) ('use_domain_only' is not supported)")
                    algorithm = .header(header.lowercased())
                } else if ["first", "random", "rdp-cookie", "hash"].contains(where: { name.hasPrefix($0) }) {
                    throw line.error("algorithm '\(name)' is not supported by ringproxy; expected one of \(algorithms.joined(separator: ", "))")
                } else {
                    throw line.error(EditDistance.unknownMessage("algorithm", name, algorithms.map { $0 == "hdr(NAME)" ? "hdr" : $0 }))
                }
            }
            if case .urlParam = algorithm {} else { try line.expectArguments(1...1, "balance \(name)") }
            state.proxy.balance = algorithm
        },
        ConfigKeyword("hash-type", .backendSide, "hash-type map-based|consistent",
                      "How hash-based algorithms map keys to servers (default map-based).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "hash-type map-based|consistent (hash functions and modifiers are not supported)")
            state.proxy.hashType = HashType(rawValue: try line.oneOf(0, "hash type", ["map-based", "consistent"]))!
        },
    ]
}
