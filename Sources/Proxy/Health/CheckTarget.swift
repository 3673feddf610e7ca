import Glibc

/// Everything the checker needs to probe one server, resolved at start-up.
public struct CheckTarget: Sendable {
    public var server: Int                  // slot in ServerStateTable
    public var address: SocketAddress
    public var intervals: CheckIntervals
    /// Bound on the TCP connect and on the whole check (spec §7.1): with `timeout check`,
    /// connect is bounded by min(timeout connect, inter) and the read by `timeout check`;
    /// without it, `inter` bounds the whole check.
    public var connectTimeoutMs: Int
    public var checkTimeoutMs: Int
    /// The request bytes of `option httpchk`, or nil for a plain layer-4 check.
    public var httpRequest: [UInt8]?

    public init(server: Int, address: SocketAddress, intervals: CheckIntervals,
                connectTimeoutMs: Int, checkTimeoutMs: Int, httpRequest: [UInt8]?) {
        self.server = server; self.address = address; self.intervals = intervals
        self.connectTimeoutMs = connectTimeoutMs; self.checkTimeoutMs = checkTimeoutMs
        self.httpRequest = httpRequest
    }

    /// One target per server with `check` in every backend (a `disabled` one is checked once
    /// it leaves maintenance).
    public static func targets(configuration: Configuration, table: ServerStateTable) -> [CheckTarget] {
        var out: [CheckTarget] = []
        for proxy in configuration.proxies where proxy.isBackend {
            for s in proxy.servers where s.check {
                guard let slot = table.slot(backend: proxy.name, server: s.name),
                      let addr = SocketAddress(host: s.checkAddr ?? s.host, port: s.checkPort ?? s.port)
                else { continue }
                let connect: Int
                let whole: Int
                if let check = proxy.timeouts.check {
                    connect = min(proxy.timeouts.connect ?? s.inter, s.inter)
                    whole = connect + check
                } else {
                    connect = s.inter
                    whole = s.inter
                }
                out.append(CheckTarget(server: slot, address: addr, intervals: CheckIntervals(s),
                                       connectTimeoutMs: connect, checkTimeoutMs: whole,
                                       httpRequest: proxy.httpCheck.map(httpCheckRequest)))
            }
        }
        return out
    }

    /// `option httpchk METHOD URI VERSION` → `METHOD URI VERSION\r\n\r\n` (HAProxy sends no
    /// headers unless the version string carries them after `\r\n`).
    public static func httpCheckRequest(_ c: HttpCheckConfig) -> [UInt8] {
        Array("\(c.method) \(c.uri) \(c.version)\r\n\r\n".utf8)
    }
}
