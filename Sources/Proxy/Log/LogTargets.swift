/// One configured logger resolved for sending: where to, and which levels.
public struct LogTarget: Equatable, Sendable {
    /// Index into `LogTargets.destinations` (one UDP address per distinct host:port).
    public var destination: Int
    public var facility: Int
    public var maxLevel: Int
    public var minLevel: Int
}

/// Every proxy's loggers, resolved at configuration time: `log global` expanded to the
/// global loggers, distinct destinations numbered so that each worker opens one socket and
/// addresses datagrams by index.
public struct LogTargets: Sendable {
    public private(set) var destinations: [(host: String, port: Int)] = []
    /// Loggers of each proxy, by proxy name.
    public private(set) var byProxy: [String: [LogTarget]] = [:]
    public private(set) var global: [LogTarget] = []
    public var tag: String

    public init(configuration: Configuration, programName: String = "ringproxy") {
        tag = configuration.global.logTag ?? programName
        global = configuration.global.loggers.filter { !$0.isGlobal }.map { target($0) }
        for p in configuration.proxies {
            var list: [LogTarget] = []
            for l in p.loggers {
                if l.isGlobal { list += global } else { list.append(target(l)) }
            }
            byProxy[p.name] = list
        }
    }

    public func loggers(of proxy: String) -> [LogTarget] { byProxy[proxy] ?? [] }

    mutating func target(_ l: LoggerConfig) -> LogTarget {
        let d: Int
        if let i = destinations.firstIndex(where: { $0.host == l.host && $0.port == l.port }) { d = i } else {
            d = destinations.count
            destinations.append((l.host, l.port))
        }
        return LogTarget(destination: d, facility: l.facility, maxLevel: l.maxLevel, minLevel: l.minLevel)
    }
}
