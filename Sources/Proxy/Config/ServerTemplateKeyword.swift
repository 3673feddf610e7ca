// `server-template PREFIX NUM|LOW-HIGH FQDN[:PORT] [options]`: the servers PREFIX<n>, each as
// if written `server PREFIX<n> FQDN[:PORT] options` (HAProxy 2.6: same ids, same checks). With
// `resolvers`, the resolver thread fills them from the FQDN's records (DNSResolverThread).

enum ServerTemplateKeyword {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("server-template", [.backend, .listen], "server-template PREFIX NUM|LOW-HIGH FQDN[:PORT] [server options]",
                      "Servers PREFIX1..PREFIXn sharing one FQDN; with `resolvers`, filled at run time from its A/AAAA or SRV records.") { state, line throws(ConfigError) in
            guard line.argumentCount >= 3 else {
                throw line.error("expects <prefix> <nb | range> <addr>[:<port>] as arguments")
            }
            let prefix = line.argument(0)!
            let range = try numbers(line.argument(1)!, line)
            guard let server = KeywordRegistry.allByName["server"]?.first(where: { $0.sections.contains(.backend) }) else { return }
            let fqdn = state.environment.expandInAddress(line.argument(2)!)
            let (host, _) = AddressParser.split(fqdn.dropPrefix("ipv4@") ?? fqdn.dropPrefix("ipv6@") ?? fqdn)
            for n in range {
                var one = line
                one.words = ["server", prefix + String(n)] + Array(line.arguments.dropFirst(2))
                one.argumentStart = 1
                one.keyword = "server"
                let before = state.proxy.servers.count
                try server.handler(&state, one)
                guard state.proxy.servers.count == before + 1 else { return }
                state.proxy.servers[before].options.template = ServerTemplateOrigin(prefix: prefix, fqdn: host, location: line.location)
            }
        },
    ]

    /// `NUM` (1...NUM) or `LOW-HIGH`.
    static func numbers(_ text: String, _ line: KeywordLine) throws(ConfigError) -> ClosedRange<Int> {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { Int($0) }
        if parts.count == 1, let n = parts[0], n >= 1 { return 1...n }
        if parts.count == 2, let low = parts[0], let high = parts[1], low >= 0, high >= low { return low...high }
        throw line.error("Wrong range parameter '\(text)' provided for server-template; expected NUM or LOW-HIGH")
    }
}
