// What the runtime API's commands act on: the running proxy's configuration, server states,
// counters, session tables and engine, plus the process facts `show info` reports. Commands
// run on the runtime API thread; what only a worker may touch goes through `mailbox`.
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

public final class RuntimeControl: @unchecked Sendable {
    // @unchecked: the references are set once at start; the mutable settings are atomics or
    // behind `settings`.
    public let configuration: Configuration
    public let states: ServerStateTable
    public let handler: StreamHandler
    package let engine: Engine?
    /// Worker mailboxes (nil in tests without an engine).
    public let mailbox: WorkerMailbox?
    /// Logs server state changes made from the runtime API (stderr and syslog).
    let logEvent: @Sendable (HealthEvent) -> Void
    /// Wall-clock ms of the start (Start_time_sec, Uptime).
    public let startWallMs: Int64
    public let pid: Int32
    /// The `stats socket` lines, for `show cli sockets` and the listening sockets handed to a
    /// new process (`_getsocks`).
    public var sockets: [StatsSocketConfig] { configuration.global.statsSockets }
    /// The listening sockets `_getsocks` may hand over (set by the runtime at start).
    public let listenerSockets = Mutex<[ListenerSocketInfo]>([])

    /// Values the runtime API changes (`set maxconn global`, `set rate-limit`, stopping).
    public struct Settings: Sendable {
        public var maxconn: Int
        public var sessionRateLimit = 0
        public var connectionRateLimit = 0
        public var sslRateLimit = 0
        public var compressionRateLimit = 0
        public var stopping = false
    }
    /// The engine listener → frontend index map (Topology.listeners' order).
    public let listenerFrontends: [Int]
    /// Frontends whose listeners `disable frontend` closed.
    public let frontendsPaused = Mutex<Set<Int>>([])
    /// Limits changed at run time (`set maxconn frontend|server`), for the stats dumps.
    public let frontendMaxconn = Mutex<[Int: Int]>([:])
    public let serverMaxconn = Mutex<[Int: Int]>([:])
    public let settings: Mutex<Settings>
    /// Runtime API connections accepted (HAProxy counts them in CumConns and CumReq).
    public let cliConnections = Atomic<Int>(0)
    /// The `log-forward` relays, whose received messages `show info` counts (CumRecvLogs).
    public let logRelays = Mutex<[LogForwardRelay]>([])
    /// The listening CLI sockets as `show cli sockets` names them (`unix@/run/h.sock`), with
    /// their level; filled by the runtime API server once bound.
    public let cliSocketNames = Mutex<[(String, CLILevel)]>([])
    /// Server addresses changed by `set server addr` (slot → "ip:port"), for the stats dumps.
    public let serverAddresses = Mutex<[Int: String]>([:])
    /// Agent settings changed by `set server agent-addr|agent-port|agent-send` (slot → changes).
    public let agentOverrides = Mutex<[Int: AgentSettingsOverride]>([:])
    /// Host names the resolver thread found for SRV slots (slot → target), for `show servers state`.
    public let resolvedNames = Mutex<[Int: String]>([:])
    /// The health checker, which `add server … check` and `del server` add probes to and
    /// remove them from (set by the runtime at start, before the runtime API runs).
    public var checker: HealthChecker? = nil

    package init(configuration: Configuration, handler: StreamHandler, engine: Engine?, mailbox: WorkerMailbox?,
                listenerFrontends: [Int] = [], logEvent: @escaping @Sendable (HealthEvent) -> Void = { _ in }) {
        self.listenerFrontends = listenerFrontends
        self.configuration = configuration
        self.handler = handler
        self.states = handler.states
        self.engine = engine
        self.mailbox = mailbox
        self.logEvent = logEvent
        self.startWallMs = handler.startMs
        self.pid = getpid()
        settings = Mutex(Settings(maxconn: configuration.global.maxconn ?? 4096))
    }

    public var workers: Int { handler.workerCount }

    // MARK: lookups shared by the commands

    /// A proxy by name or `#id` (HAProxy's proxy id is its 1-based position in the file).
    public func proxyIndex(_ text: String) -> Int? {
        if text.hasPrefix("#"), let id = Int(text.dropFirst()) {
            let i = id - 1 - (sockets.isEmpty ? 0 : 1)
            return i >= 0 && i < configuration.proxies.count ? i : nil
        }
        return configuration.proxies.firstIndex { $0.name == text }
    }

    /// HAProxy's proxy id (`iid`, `be_id`): `id N`, else the numbering of ObjectIDs (the CLI's
    /// own proxy takes the first one when there is a `stats socket`).
    public func proxyID(_ name: String) -> Int {
        guard let i = configuration.proxies.firstIndex(where: { $0.name == name }) else { return 1 }
        return ObjectIDs.proxies(configuration)[i]
    }

    /// `backend/server` → (backend index in the state table, server slot), or HAProxy's error.
    public func findServer(_ text: String) -> Result<(backend: Int, server: Int), CLIError> {
        guard let slash = text.firstIndex(of: "/") else { return .failure(.message("Require 'backend/server'.\n")) }
        let bname = String(text[..<slash]), sname = String(text[text.index(after: slash)...])
        guard !sname.isEmpty, !bname.isEmpty else { return .failure(.message("Require 'backend/server'.\n")) }
        guard let pi = proxyIndex(bname), configuration.proxies[pi].isBackend,
              let b = states.backendIndex(named: configuration.proxies[pi].name) else {
            return .failure(.message("No such backend.\n"))
        }
        let list = states.backends[b].servers
        if sname.hasPrefix("#"), let id = Int(sname.dropFirst()) {
            guard id >= 1 && id <= list.count, states.roster.isListed(list[id - 1]) else { return .failure(.message("No such server.\n")) }
            return .success((b, list[id - 1]))
        }
        guard let s = list.first(where: { states.roster.isListed($0) && states.name($0) == sname }) else { return .failure(.message("No such server.\n")) }
        return .success((b, s))
    }

    /// The configuration of a server slot.
    public func serverConfig(_ slot: Int) -> ServerConfig {
        if let m = states.roster.member(slot) { return m.config }
        let info = states.servers[slot]
        return configuration.proxy(named: info.proxyName)!.servers.first { $0.name == info.name }!
    }

    /// Sessions being served by a server now (all workers' scur of its row).
    public func sessions(ofServer slot: Int) -> Int {
        let row = handler.layout.serverRow(slot)
        return handler.sumCounter(row: row, .scur)
    }

    /// Logs the events of a state change made from the runtime API.
    func report(_ events: [HealthEvent]) { for e in events { logEvent(e) } }
}

public enum CLIError: Error, Equatable {
    case message(String)
    var reply: CLIReply { if case .message(let m) = self { return .error(m) }; return .none }
}

/// A listening socket this process can hand to a new one (`-x`, `_getsocks`).
public struct ListenerSocketInfo: Sendable {
    public var fd: Int32
    /// HAProxy's namespace and interface fields (empty here) and the listener options.
    public var namespace = ""
    public var interface = ""
    public var options: UInt32 = 0
    public init(fd: Int32) { self.fd = fd }
}
