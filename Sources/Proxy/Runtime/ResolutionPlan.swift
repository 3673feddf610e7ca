// Which address each server of a resolution group gets from an answer (pure, no I/O).
// A group is the servers of one backend resolving one FQDN with one resolvers section: the
// slots of a `server-template`, or `server` lines sharing a name. As HAProxy does, a slot
// keeps its address while the answer still has it, new addresses go to free slots in file
// order, no address is given to two slots unless `resolve-opts allow-dup-ip`, and a slot left
// without one goes to maintenance (resolution).

public struct ResolvedTarget: Equatable, Sendable, CustomStringConvertible {
    public var address: String
    /// nil: the server's configured port (A/AAAA); set from SRV records.
    public var port: Int?
    /// SRV: the target host name and the record's weight.
    public var hostname: String?
    public var weight: Int?
    public init(address: String, port: Int? = nil, hostname: String? = nil, weight: Int? = nil) {
        self.address = address; self.port = port; self.hostname = hostname; self.weight = weight
    }
    /// HAProxy's server weight for an SRV weight (0...65535 → 1...256).
    public var serverWeight: Int? { weight.map { $0 / 256 + 1 } }
    public var description: String { port.map { "\(address):\($0)" } ?? address }
}

public enum ResolutionPlan {
    /// The addresses of an A/AAAA answer in preference order: `resolve-net` networks first,
    /// then the preferred family (HAProxy's default: ipv6), then the others, in answer order.
    public static func addresses(_ records: [DNSRecord], owner: String? = nil, preferIPv6: Bool, networks: [IPv4Network]) -> [String] {
        let found = records.filter { r in (r.kind == .a || r.kind == .aaaa) && (owner.map { o in sameName(r.owner, o) } ?? true) }
        var ranked = found.enumerated().map { i, r -> (Int, Int, String) in
            let net = networks.firstIndex { $0.contains(r.address) } ?? networks.count
            let family = (r.kind == .aaaa) == preferIPv6 ? 0 : 1
            return (net * 2 + family, i, r.address)
        }
        ranked.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        var seen = Set<String>()
        return ranked.map(\.2).filter { seen.insert($0).inserted }
    }

    /// The targets of an SRV answer: each SRV record (lowest priority first) with an address
    /// of its target from the same answer's records or from `lookup` (a further A/AAAA query).
    public static func srvTargets(_ records: [DNSRecord], preferIPv6: Bool, networks: [IPv4Network],
                                  lookup: (String) -> [DNSRecord]) -> [ResolvedTarget] {
        let srv = records.enumerated().filter { $0.element.kind == .srv }
            .sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }.map(\.element)
        return srv.compactMap { r in
            var a = addresses(records, owner: r.target, preferIPv6: preferIPv6, networks: networks)
            if a.isEmpty { a = addresses(lookup(r.target), owner: nil, preferIPv6: preferIPv6, networks: networks) }
            guard let first = a.first else { return nil }
            return ResolvedTarget(address: first, port: r.port, hostname: r.target, weight: r.weight)
        }
    }

    /// The new target of each slot given the current ones and the answer's targets.
    public static func assign(current: [ResolvedTarget?], answer: [ResolvedTarget], allowDuplicates: Bool) -> [ResolvedTarget?] {
        var next = [ResolvedTarget?](repeating: nil, count: current.count)
        var unused = answer
        // Slots whose target is still answered keep it.
        for (i, c) in current.enumerated() {
            guard let c, let k = unused.firstIndex(where: { $0.address == c.address && $0.port == c.port }) else { continue }
            next[i] = unused[k]
            if !allowDuplicates || answer.count > 1 { unused.remove(at: k) }
        }
        // The others take what is left, in order.
        for i in next.indices where next[i] == nil {
            if let t = unused.first {
                next[i] = t
                unused.removeFirst()
            } else if allowDuplicates, let t = answer.first {
                next[i] = t             // HAProxy's allow-dup-ip: one address may serve every slot
            }
        }
        return next
    }

    static func sameName(_ a: String, _ b: String) -> Bool {
        func norm(_ s: String) -> String { (s.hasSuffix(".") ? String(s.dropLast()) : s).lowercased() }
        return norm(a) == norm(b)
    }
}
