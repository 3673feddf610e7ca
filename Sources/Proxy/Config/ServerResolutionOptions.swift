// The server options of run-time DNS: `resolvers NAME`, `resolve-net NET,...`,
// `resolve-opts allow-dup-ip|prevent-dup-ip|ignore-weight,...` (HAProxy 2.6 §5.2).

enum ServerResolutionOptions {
    static func apply(_ option: String, _ value: String, _ line: KeywordLine, _ server: inout ServerConfig) throws(ConfigError) {
        var r = server.options.resolution ?? ServerResolution(resolvers: "")
        switch option {
        case "resolvers":
            r.resolvers = value
        case "resolve-net":
            for net in value.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                guard IPv4Network(net) != nil else {
                    throw line.error("'resolve-net': invalid network '\(net)'; expected IPv4 ADDR/BITS (IPv6 networks are not implemented yet in ringproxy)")
                }
                r.networks.append(net)
            }
        default:
            for o in value.split(separator: ",", omittingEmptySubsequences: false) {
                switch o {
                case "allow-dup-ip": r.allowDuplicateIP = true
                case "prevent-dup-ip": r.allowDuplicateIP = false
                case "ignore-weight": r.ignoreWeight = true
                default: throw line.error("'resolve-opts': unknown option '\(o)'; expected allow-dup-ip, ignore-weight or prevent-dup-ip")
                }
            }
        }
        server.options.resolution = r
    }
}

/// An IPv4 network `A.B.C.D/BITS` (or a bare address: /32).
public struct IPv4Network: Equatable, Sendable {
    public let address: UInt32
    public let mask: UInt32
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let a = IPv4Network.parse(String(parts[0])) else { return nil }
        var bits = 32
        if parts.count == 2 { guard let b = Int(parts[1]), (0...32).contains(b) else { return nil }; bits = b }
        mask = bits == 0 ? 0 : UInt32.max << (32 - UInt32(bits))
        address = a & mask
    }
    public func contains(_ ip: String) -> Bool { IPv4Network.parse(ip).map { $0 & mask == address } ?? false }
    static func parse(_ s: String) -> UInt32? {
        let o = s.split(separator: ".", omittingEmptySubsequences: false).map { UInt32($0) }
        guard o.count == 4, o.allSatisfy({ ($0 ?? 256) < 256 }) else { return nil }
        return o.reduce(0) { $0 << 8 | $1! }
    }
}
