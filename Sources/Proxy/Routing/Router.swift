// Frontend routing: `use_backend NAME if|unless COND` rules evaluated in order (first match
// wins), then `default_backend`, then (for a `listen` section) the section itself. nil means
// no backend: the caller answers HAProxy's 503 and logs `<NOSRV>` / `SC--`.
//
// One Router per worker thread: it owns the buffer regexec needs (patterns are compiled
// once per Router), so it is deliberately not Sendable and allocates nothing per request.

#if canImport(Glibc)
import Glibc
#endif

public final class Router {
    struct Term { let acl: Int; let negated: Bool }
    struct CompiledCondition {
        let unless: Bool
        let alternatives: [[Term]]
    }
    struct Rule { let backend: Int; let condition: CompiledCondition? }

    let acls: [CompiledAcl]
    let rules: [Rule]
    public let defaultBackend: Int?
    private let regexBuffer: UnsafeMutablePointer<CChar>
    private let regexCapacity = maxHeadBytes + 1

    /// - Parameters:
    ///   - frontend: the frontend or listen section.
    ///   - backendIndex: resolves a backend name to the integrator's index.
    public init(frontend: ProxyConfig, backendIndex: (String) -> Int?) throws {
        acls = try frontend.acls.map(CompiledAcl.init)
        var byName: [String: Int] = [:]
        for (i, a) in acls.enumerated() where byName[a.name] == nil { byName[a.name] = i }
        func compile(_ c: Condition) throws -> CompiledCondition {
            CompiledCondition(unless: c.unless, alternatives: try c.alternatives.map { and in
                try and.map { t in
                    guard let i = byName[t.acl] else {
                        throw AclBuildError(description: "\(frontend.location): no such ACL '\(t.acl)' in '\(frontend.name)'")
                    }
                    return Term(acl: i, negated: t.negated)
                }
            })
        }
        var built: [Rule] = []
        for r in frontend.useBackends {
            guard let b = backendIndex(r.backend) else {
                throw AclBuildError(description: "\(r.location): unknown backend '\(r.backend)'")
            }
            built.append(Rule(backend: b, condition: try r.condition.map(compile)))
        }
        rules = built
        if let d = frontend.defaultBackend {
            guard let b = backendIndex(d) else {
                throw AclBuildError(description: "\(frontend.location): unknown default_backend '\(d)'")
            }
            defaultBackend = b
        } else if frontend.kind == .listen && !frontend.servers.isEmpty {
            defaultBackend = backendIndex(frontend.name)
        } else {
            defaultBackend = nil
        }
        regexBuffer = .allocate(capacity: maxHeadBytes + 1)
    }
    deinit { regexBuffer.deallocate() }

    /// The backend for a request, or nil (→ 503 `<NOSRV>`).
    public func select(request: RequestHead, clientAddress: ClientAddress) -> Int? {
        for r in rules {
            guard let c = r.condition else { return r.backend }
            if evaluate(c, request, clientAddress) { return r.backend }
        }
        return defaultBackend
    }

    /// Evaluates one named ACL (tests, stats admin conditions).
    public func evaluate(acl name: String, request: RequestHead, clientAddress: ClientAddress) -> Bool? {
        guard let a = acls.first(where: { $0.name == name }) else { return nil }
        return a.evaluate(request, client: clientAddress, regexBuffer: regexBuffer, regexCapacity: regexCapacity)
    }

    private func evaluate(_ c: CompiledCondition, _ req: RequestHead, _ client: ClientAddress) -> Bool {
        var result = false
        for and in c.alternatives {
            var all = true
            for t in and {
                let v = acls[t.acl].evaluate(req, client: client, regexBuffer: regexBuffer, regexCapacity: regexCapacity)
                if v == t.negated { all = false; break }
            }
            if all { result = true; break }
        }
        return c.unless ? !result : result
    }
}
