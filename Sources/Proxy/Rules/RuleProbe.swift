// Runs a configuration's http-request rules on a parsed request head outside the data plane:
// for the microbenchmarks (benchmarks/Benchmarks/Rules) and tools. Same compiled programs,
// same context, same views as a worker uses.

public final class RuleProbe {
    let compiled: CompiledRules
    let context: RuleContext
    let slot: SlotRuleState
    let proxy: Int
    let rewrite = HeadRewrite()

    /// - Parameters: configuration: parsed configuration; frontend: the section whose rules run.
    public init(configuration: Configuration, frontend: String) throws {
        compiled = try RuleCompiler.compile(configuration, topology: Topology(configuration), states: nil, workers: 1)
        guard let i = configuration.proxies.firstIndex(where: { $0.name == frontend }) else {
            throw RuleCompileError(description: "no section '\(frontend)'")
        }
        proxy = i
        context = compiled.makeContext(worker: 0)
        slot = SlotRuleState(variables: compiled.tables.variables.count)
    }

    /// Runs the rules on `head` as a new transaction; returns the number of edits the
    /// forwarded head would get (-1 when the rules answered instead of forwarding).
    @discardableResult
    public func run(_ head: RequestHead, client: ClientAddress) -> Int {
        context.beginRequest(head, client: client)
        slot.beginTransaction(newConnection: false, refs: compiled.tables.variables, layout: compiled.captures[proxy], frontend: proxy)
        context.slot = slot
        if let p = compiled.proxies[proxy] {
            switch context.run(p.httpRequest, of: p) {
            case .next, .stop: break
            default: return -1
            }
        }
        rewrite.reset()
        _ = context.request.emitEdits(request: head, into: rewrite)
        return rewrite.editCount
    }

    /// The forwarded head after `run` (tests and tools; allocates).
    public func forwardedHead(_ head: RequestHead) -> String {
        String(decoding: rewrite.render(head: head.bytes, headLength: head.headLength), as: UTF8.self)
    }
}
