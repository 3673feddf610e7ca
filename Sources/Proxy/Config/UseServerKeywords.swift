// `use-server NAME if|unless COND` (backend side): the first matching rule picks the server
// before load balancing, after cookie persistence (HAProxy 2.6's process_server_rules).

/// One `use-server` line.
public struct UseServerRule: Equatable, Sendable {
    public var server: String
    public var condition: Condition
    public var location: SourceLocation
    public init(server: String, condition: Condition, location: SourceLocation) {
        self.server = server; self.condition = condition; self.location = location
    }
}

enum UseServerKeywords {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("use-server", [.backend, .listen], "use-server NAME if|unless COND",
                      "Send matching requests to this server of the backend, before load balancing (a server that is DOWN or in maintenance is skipped unless 'option persist').") { state, line throws(ConfigError) in
            guard let server = line.argument(0), !server.isEmpty else { throw line.error("'use-server' expects a server name.") }
            guard let word = line.argument(1), word == "if" || word == "unless" else {
                throw line.error("'use-server' requires either 'if' or 'unless' followed by a condition.")
            }
            let condition = try ConditionParser.parse(line, from: 1, state: &state)
            state.proxy.useServers.append(UseServerRule(server: server, condition: condition, location: line.location))
        },
    ]

    /// A rule must name a server of its backend (HAProxy: "unable to find server 'X' referenced
    /// in a 'use-server' rule").
    static func endOfConfiguration(_ state: inout ParseState) {
        for proxy in state.config.proxies {
            for rule in proxy.useServers where !proxy.servers.contains(where: { $0.name == rule.server }) {
                state.errors.append(ConfigError(rule.location, "use-server",
                    "\(proxy.kind.rawValue) '\(proxy.name)' : unable to find server '\(rule.server)' referenced in a 'use-server' rule."))
            }
        }
    }
}
