import Glibc

/// Everything the checker needs to probe one server, resolved at start-up.
public struct CheckTarget: Sendable {
    public var server: Int                  // slot in ServerStateTable
    // program, address and serverPort of an agent change with `set server agent-addr|agent-port|agent-send`.
    var program: CheckProgram
    /// Where checks connect by default: the server's address, or its `addr`.
    var address: SocketAddress
    /// The server's own address and port (the X-Haproxy-Server-State header names them).
    let serverAddress: String
    var serverPort: Int
    let checkPort: Int?
    let sendProxy: Bool
    let backendName: String
    let serverName: String
    public var intervals: CheckIntervals
    let connectTimeoutMs: Int?
    let checkTimeoutMs: Int?
    /// `option log-health-checks` on the backend.
    let logHealthChecks: Bool
    /// An agent check (`agent-check`) rather than the health check.
    var isAgent = false
    /// The PROXY header's version on check connections: 2 when the server has send-proxy-v2.
    var proxyVersion = 1
    /// Checks go where the server is (no `addr`): they follow a run-time DNS change.
    var followsServerAddress = false
    /// The server's `socks4` proxy, and whether its default check connects through it (check-via-socks4).
    var socks4: SocketAddress? = nil
    var viaSocks4 = false

    /// One target per server with `check` in every backend (a `disabled` one is checked once
    /// it leaves maintenance), and one per server with `agent-check` (agents run during
    /// maintenance too, as in HAProxy: their `ready` ends it).
    public static func targets(configuration: Configuration, table: ServerStateTable) -> [CheckTarget] {
        var out: [CheckTarget] = []
        for proxy in configuration.proxies where proxy.isBackend {
            let program = (try? CheckProgramBuilder.program(for: proxy)) ?? .layer4
            for s in proxy.servers where s.check {
                guard let slot = table.slot(backend: proxy.name, server: s.name),
                      let t = health(s, proxy: proxy, slot: slot, program: program) else { continue }
                out.append(t)
            }
            for s in proxy.servers where s.checkSettings.agent.enabled {
                guard let slot = table.slot(backend: proxy.name, server: s.name),
                      let t = agent(s, proxy: proxy, slot: slot) else { continue }
                out.append(t)
            }
        }
        return out
    }

    /// The checks of a server `add server` created in `slot` (its health check, then its agent).
    public static func targets(dynamic s: ServerConfig, proxy: ProxyConfig, slot: Int) throws -> [CheckTarget] {
        var out: [CheckTarget] = []
        if s.check, let t = health(s, proxy: proxy, slot: slot, program: try CheckProgramBuilder.program(for: proxy)) { out.append(t) }
        if s.checkSettings.agent.enabled, let t = agent(s, proxy: proxy, slot: slot) { out.append(t) }
        return out
    }

    /// The health check of server `s` of `proxy`.
    static func health(_ s: ServerConfig, proxy: ProxyConfig, slot: Int, program: CheckProgram) -> CheckTarget? {
        // A slot waiting for its first DNS answer is checked once it has an address
        // (HealthChecker.followAddress); until then it is in maintenance.
        let awaitsDNS = s.options.unresolved && s.options.resolution != nil && s.checkAddr == nil
        guard let addr = SocketAddress(host: s.checkAddr ?? (awaitsDNS ? "0.0.0.0" : s.host), port: s.checkPort ?? max(s.port, awaitsDNS ? 1 : 0))
        else { return nil }
        // HAProxy: checks speak the PROXY protocol when the server's traffic does and
        // they go to the server's own address and port (no `port`/`addr`), or with
        // check-send-proxy.
        let viaTraffic = s.options.sendProxyVersion > 0 && s.checkPort == nil && s.checkAddr == nil
        var t = CheckTarget(server: slot, program: program, address: addr, serverAddress: s.host,
                            serverPort: s.port, checkPort: s.checkPort, sendProxy: s.checkSettings.sendProxy || viaTraffic,
                            backendName: proxy.name, serverName: s.name, intervals: CheckIntervals(s),
                            connectTimeoutMs: proxy.timeouts.connect, checkTimeoutMs: proxy.timeouts.check,
                            logHealthChecks: proxy.logging.healthChecks)
        t.proxyVersion = s.options.sendProxyV2 ? 2 : 1
        t.followsServerAddress = s.checkAddr == nil && s.options.resolution != nil
        t.socks4 = s.options.socks4.flatMap { SocketAddress(host: $0.host, port: $0.port, family: AF_INET) }
        t.viaSocks4 = s.checkSettings.viaSocks4
        return t
    }

    /// The agent check of server `s` of `proxy` (nil without `agent-port`).
    static func agent(_ s: ServerConfig, proxy: ProxyConfig, slot: Int) -> CheckTarget? {
        let a = s.checkSettings.agent
        guard let port = a.port, let addr = SocketAddress(host: a.host ?? s.host, port: port) else { return nil }
        var t = CheckTarget(server: slot, program: agentProgram(send: a.send ?? ""), address: addr, serverAddress: s.host,
                            serverPort: port, checkPort: nil, sendProxy: false, backendName: proxy.name, serverName: s.name,
                            intervals: CheckIntervals(inter: a.inter ?? s.inter), connectTimeoutMs: proxy.timeouts.connect,
                            checkTimeoutMs: proxy.timeouts.check, logHealthChecks: proxy.logging.healthChecks)
        t.isAgent = true
        return t
    }

    /// HAProxy's agent ruleset: connect, send `agent-send` (nothing when empty), read one line.
    static func agentProgram(send: String) -> CheckProgram {
        CheckProgram(kind: .tcpCheck, steps: [
            CheckStep(kind: .connect(CheckProgram.implicitConnect), index: 0),
            CheckStep(kind: .send(.bytes(Array(send.utf8))), index: 0),
            CheckStep(kind: .expect(try! CompiledExpect(CheckExpect(.custom(.agentReply)))), index: 1, resumeAt: 2),
        ], style: .plain, family: .tcp)
    }

    /// Problems the configuration has that make checks impossible, for start-up errors.
    public static func problems(configuration: Configuration) -> [String] {
        var out: [String] = []
        for proxy in configuration.proxies where proxy.isBackend && proxy.servers.contains(where: \.check) {
            do { _ = try CheckProgramBuilder.program(for: proxy) } catch { out.append("\(error)") }
        }
        return out
    }
}
