// The exporter's query string, as HAProxy 2.6 reads it: `scope=NAME` (repeatable: global,
// frontend, listener, backend, server, sticktable; HAProxy 2.6 has no `all`) chooses what is dumped; an empty
// value adds nothing (so `?scope=` gives an empty page); `no-maint` leaves out servers in
// maintenance. A `scope` without a value or an unknown name is a bad request.

public struct PrometheusScope: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let global = PrometheusScope(rawValue: 1)
    public static let frontend = PrometheusScope(rawValue: 2)
    public static let listener = PrometheusScope(rawValue: 4)
    public static let backend = PrometheusScope(rawValue: 8)
    public static let server = PrometheusScope(rawValue: 16)
    public static let sticktable = PrometheusScope(rawValue: 32)
    public static let all: PrometheusScope = [.global, .frontend, .listener, .backend, .server, .sticktable]

    static let names: [String: PrometheusScope] = [
        "global": .global, "frontend": .frontend, "listener": .listener, "backend": .backend,
        "server": .server, "sticktable": .sticktable,
    ]
}

public struct PrometheusQuery: Sendable, Equatable {
    public var scope: PrometheusScope = .all
    public var hideMaintenance = false
    public init() {}

    public static func == (a: Self, b: Self) -> Bool { a.scope == b.scope && a.hideMaintenance == b.hideMaintenance }

    /// Reads the request target's query; nil for a bad request.
    public static func parse(target: String) -> PrometheusQuery? {
        var q = PrometheusQuery()
        guard let mark = target.firstIndex(of: "?") else { return q }
        var sawScope = false
        for param in target[target.index(after: mark)...].split(separator: "&", omittingEmptySubsequences: true) {
            let parts = param.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            switch parts[0] {
            case "scope":
                guard parts.count == 2 else { return nil }
                if !sawScope { q.scope = []; sawScope = true }
                if parts[1].isEmpty { continue }
                guard let s = PrometheusScope.names[String(parts[1])] else { return nil }
                q.scope.formUnion(s)
            case "no-maint":
                q.hideMaintenance = true
            default:
                continue
            }
        }
        return q
    }
}
