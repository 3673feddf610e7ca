/// The per-object counters a worker keeps (frontends, backends and servers share one row
/// shape; fields that do not apply stay 0). Names follow HAProxy's CSV columns.
public enum CounterField: Int, CaseIterable, Sendable {
    case scur, smax, stot, bin, bout
    case dreq, dresp, ereq, econ, eresp, wretr, wredis
    case hrsp1xx, hrsp2xx, hrsp3xx, hrsp4xx, hrsp5xx, hrspOther
    case reqTot, cliAbrt, srvAbrt, lbtot, connTot, intercepted
    case qcur, qmax
    /// Session rate: the second being counted, its count, the previous second's count, the max.
    case rateSecond, rateCount, ratePrevious, rateMax
    /// Request rate (frontends), same scheme.
    case reqRateSecond, reqRateCount, reqRatePrevious, reqRateMax
    /// Wall-clock second of the last session (`lastsess`), 0 = never.
    case lastSessionSecond

    public static let count = allCases.count

    /// Fields combined by maximum rather than sum when adding up workers.
    public var isMaximum: Bool {
        switch self {
        case .smax, .qmax, .rateMax, .reqRateMax, .lastSessionSecond, .rateSecond, .reqRateSecond: return true
        default: return false
        }
    }
}

/// Which counter row belongs to which frontend, backend and server. Built once from the
/// configuration; server rows follow ServerStateTable's slot order.
public struct CounterLayout: Sendable {
    public let frontendRows: [String: Int]
    public let backendRows: [String: Int]
    /// Server slot (ServerStateTable order) → row.
    public let serverBase: Int
    public let rowCount: Int

    public init(configuration: Configuration) {
        var row = 0
        var fe: [String: Int] = [:], be: [String: Int] = [:]
        for p in configuration.proxies where p.isFrontend { fe[p.name] = row; row += 1 }
        for p in configuration.proxies where p.isBackend { be[p.name] = row; row += 1 }
        frontendRows = fe
        backendRows = be
        serverBase = row
        rowCount = row + configuration.proxies.filter(\.isBackend).reduce(0) { $0 + $1.servers.count }
    }

    @inline(__always) public func serverRow(_ slot: Int) -> Int { serverBase + slot }
}
