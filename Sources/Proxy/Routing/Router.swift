// Frontend routing: `use_backend NAME if|unless COND` rules evaluated in order (first match
// wins), then `default_backend`, then (for a `listen` section) the section itself. nil means
// no backend: the caller answers HAProxy's 503 and logs `<NOSRV>` / `SC--`.
//
// Conditions use the rule engine's compiled ACLs and read the request through the worker's
// RuleContext, so they see what the frontend's http-request rules changed. A Router is
// shared by every worker (it holds no per-request state).

public final class Router: @unchecked Sendable {
    // @unchecked: immutable after init; evaluation state lives in the caller's RuleContext.
    struct Rule {
        let backend: Int
        let condition: CompiledCondition?
        /// `use_backend %[...]`: the name, computed per request.
        var dynamic: LogFormatProgram? = nil
    }
    /// Backend names as bytes (dynamic rules compare against them), by backend index.
    var backendNames: [StaticBytes] = []

    let acls: [CompiledACL]
    let rules: [Rule]
    public let defaultBackend: Int?
    /// A private context for the standalone API (`select(request:clientAddress:)`, tests).
    private let ownContext: RuleContext

    init(acls: [CompiledACL], rules: [Rule], defaultBackend: Int?, tables: RuleTables) {
        self.acls = acls; self.rules = rules; self.defaultBackend = defaultBackend
        ownContext = RuleContext(tables: tables, worker: 0)
    }

    /// Builds a router for one frontend on its own (tests, benchmarks): its ACLs must not
    /// use files or userlists.
    /// - Parameters:
    ///   - frontend: the frontend or listen section.
    ///   - backendIndex: resolves a backend name to the integrator's index.
    public convenience init(frontend: ProxyConfig, backendIndex: (String) -> Int?) throws {
        var config = Configuration()
        config.proxies = [frontend]
        let compiled = try RuleCompiler.compile(config, topology: Topology(config), states: nil, workers: 1)
        try self.init(compiled, proxy: 0, backendIndex: backendIndex)
    }

    /// The router of configuration proxy `proxy` (a frontend or listen section).
    convenience init(_ compiled: CompiledRules, proxy: Int, backendIndex: (String) -> Int?) throws {
        let frontend = compiled.configuration.proxies[proxy]
        let table = compiled.acls[proxy]
        var built: [Rule] = []
        for (i, r) in frontend.useBackends.enumerated() {
            let condition = try r.condition.map { try table.condition($0, r.location) }
            if let d = compiled.dynamicBackends[proxy][i] {
                built.append(Rule(backend: -1, condition: condition, dynamic: d))
                continue
            }
            guard let b = backendIndex(r.backend) else {
                throw AclBuildError(description: "\(r.location): unknown backend '\(r.backend)'")
            }
            built.append(Rule(backend: b, condition: condition))
        }
        var dflt: Int? = nil
        if let d = frontend.defaultBackend {
            guard let b = backendIndex(d) else {
                throw AclBuildError(description: "\(frontend.location): unknown default_backend '\(d)'")
            }
            dflt = b
        } else if frontend.kind == .listen && !frontend.servers.isEmpty {
            dflt = backendIndex(frontend.name)
        }
        self.init(acls: table.acls, rules: built, defaultBackend: dflt, tables: compiled.tables)
        backendNames = compiled.tables.backendNameBytes
    }

    /// The backend for the request loaded in `ctx`, or nil (→ 503 `<NOSRV>`).
    func select(_ ctx: RuleContext) -> Int? {
        for r in rules {
            if let c = r.condition, !ctx.evaluate(c, acls) { continue }
            guard let d = r.dynamic else { return r.backend }
            // An unknown name ends the rules: the default backend is used (as HAProxy does).
            guard let name = ctx.render(d) else { break }
            for (i, b) in backendNames.enumerated() where Bytes.equal(b.buffer, name, ignoreCase: false) { return i }
            break
        }
        return defaultBackend
    }

    /// The backend for a request head (tests, benchmarks).
    public func select(request: RequestHead, clientAddress: ClientAddress) -> Int? {
        // no use_backend rule: nothing reads the request (loading it cost ~130 instructions)
        if rules.isEmpty { return defaultBackend }
        ownContext.beginRequest(request, client: clientAddress)
        return select(ownContext)
    }

    /// Evaluates one named ACL (tests, stats admin conditions).
    public func evaluate(acl name: String, request: RequestHead, clientAddress: ClientAddress) -> Bool? {
        guard let a = acls.first(where: { $0.name == name }) else { return nil }
        ownContext.beginRequest(request, client: clientAddress)
        return ownContext.matches(a)
    }
}

struct AclBuildError: Error, CustomStringConvertible { let description: String }
