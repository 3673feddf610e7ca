// A backend's `use-server NAME if|unless COND` rules (HAProxy 2.6's process_server_rules):
// evaluated in order once the backend is known; the first rule whose condition matches names
// the server, which is taken when it is usable (UP, or draining) or when `option persist` is
// set; otherwise the next rule is tried. Cookie persistence comes first (BackendDecider), the
// session table and the balancer after. One per backend that has rules, per worker.

final class ServerSwitch {
    struct Rule {
        /// The server's index in its backend.
        let server: Int
        let condition: CompiledCondition
    }
    let acls: [CompiledACL]
    let rules: [Rule]
    /// `option persist`: a named server that is DOWN is still used.
    let persist: Bool
    /// For a configuration whose rules are otherwise inactive (no worker RuleContext).
    private let ownContext: RuleContext

    /// The switch of configuration proxy `proxy`, nil when it has no `use-server` rule.
    static func make(_ compiled: CompiledRules, proxy: Int, worker: Int) throws -> ServerSwitch? {
        let p = compiled.configuration.proxies[proxy]
        guard !p.useServers.isEmpty else { return nil }
        let table = compiled.acls[proxy]
        var rules: [Rule] = []
        for r in p.useServers {
            guard let s = p.servers.firstIndex(where: { $0.name == r.server }) else {
                throw AclBuildError(description: "\(r.location): unable to find server '\(r.server)' referenced in a 'use-server' rule of backend '\(p.name)'")
            }
            rules.append(Rule(server: s, condition: try table.condition(r.condition, r.location)))
        }
        return ServerSwitch(acls: table.acls, rules: rules, persist: p.connection.persist,
                            context: RuleContext(tables: compiled.tables, worker: worker))
    }

    private init(acls: [CompiledACL], rules: [Rule], persist: Bool, context: RuleContext) {
        self.acls = acls; self.rules = rules; self.persist = persist; ownContext = context
    }

    /// The server (index in the backend) the rules name for the request, or nil.
    /// `ctx`: the worker's rule context, loaded with the request (nil: none, this loads its own).
    func select(_ ctx: RuleContext?, request: RequestHead, client: ClientAddress, states: some ServerStates) -> Int? {
        let c: RuleContext
        if let ctx { c = ctx } else { c = ownContext; c.beginRequest(request, client: client) }
        for r in rules where c.evaluate(r.condition, acls) {
            if persist || states.isUsable(r.server) { return r.server }
        }
        return nil
    }
}
