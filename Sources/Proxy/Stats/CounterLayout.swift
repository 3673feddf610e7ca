/// Which counter row belongs to which frontend, backend and server. Built once from the
/// configuration; listener rows (`option socket-stats`) come after the backends', server
/// rows last, in ServerStateTable's slot order.
public struct CounterLayout: Sendable {
    public let frontendRows: [String: Int]
    public let backendRows: [String: Int]
    /// The listeners with a statistics row, and engine listener index → row (-1: none).
    public let listeners: [StatsListener]
    public let listenerRows: [Int]
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
        listeners = StatsListener.all(configuration, firstRow: row)
        var rows = [Int](repeating: -1, count: configuration.proxies.filter(\.isFrontend).reduce(0) { $0 + $1.binds.count })
        for l in listeners { rows[l.listener] = l.row }
        listenerRows = rows
        row += listeners.count
        serverBase = row
        rowCount = row + configuration.proxies.filter(\.isBackend).reduce(0) { $0 + $1.servers.count }
    }

    @inline(__always) public func serverRow(_ slot: Int) -> Int { serverBase + slot }
}
