// The configuration flattened into the tables the data plane indexes by number: frontends,
// backends and one global server table (a backend owns a contiguous range of it).

public struct Topology: Sendable {
    public struct Frontend: Sendable {
        public var proxy: Int             // index in Configuration.proxies
        public var name: String
        /// For a `listen` section: its own backend.
        public var ownBackend: Int?
    }
    public struct Backend: Sendable {
        public var proxy: Int
        public var name: String
        public var servers: Range<Int>    // global server indexes
        /// `dispatch ADDR:PORT` without `balance`: the engine server requests go to when no
        /// server is chosen (an index after every real server; see `dispatchAddresses`).
        public var dispatch: Int? = nil
        /// `option transparent` without servers: `dispatch` is a placeholder the engine
        /// replaces by the client's destination.
        public var transparent = false
    }
    public struct Server: Sendable {
        public var backend: Int
        public var indexInBackend: Int
        public var config: ServerConfig
    }

    public var frontends: [Frontend] = []
    public var backends: [Backend] = []
    public var servers: [Server] = []
    /// The addresses of the backends' dispatch servers, numbered from `servers.count` on in the
    /// engine's server table (they have no health, no statistics line, and log as <NOSRV>).
    public var dispatchAddresses: [DispatchAddress] = []
    /// Backend index by proxy name.
    public var backendByName: [String: Int] = [:]
    public var frontendOfProxy: [Int: Int] = [:]
    public var backendOfProxy: [Int: Int] = [:]

    public init(_ config: Configuration) {
        for (pi, p) in config.proxies.enumerated() where p.isBackend {
            let start = servers.count
            for (si, s) in p.servers.enumerated() {
                servers.append(Server(backend: backends.count, indexInBackend: si, config: s))
            }
            backendByName[p.name] = backends.count
            backendOfProxy[pi] = backends.count
            backends.append(Backend(proxy: pi, name: p.name, servers: start..<servers.count))
        }
        for b in backends.indices {
            let p = config.proxies[backends[b].proxy]
            if p.identity.transparent && p.servers.isEmpty && p.identity.dispatch == nil {
                backends[b].dispatch = servers.count + dispatchAddresses.count
                backends[b].transparent = true
                dispatchAddresses.append(DispatchAddress(host: "0.0.0.0", port: 0, location: SourceLocation(file: "", line: 0)))
                continue
            }
            guard let d = p.identity.dispatch, !p.balancing.explicit else { continue }
            backends[b].dispatch = servers.count + dispatchAddresses.count
            dispatchAddresses.append(d)
        }
        for (pi, p) in config.proxies.enumerated() where p.isFrontend {
            frontendOfProxy[pi] = frontends.count
            frontends.append(Frontend(proxy: pi, name: p.name, ownBackend: p.kind == .listen ? backendOfProxy[pi] : nil))
        }
    }

    /// The `bind` lines in the order of `listeners` (engine listener index → bind).
    public func binds(_ config: Configuration) -> [BindConfig] {
        frontends.flatMap { config.proxies[$0.proxy].binds }
    }

    /// One engine listener per `bind` of each frontend. `socket` gives the already open socket
    /// of a bind that is not a plain TCP address (fd@N, UNIX, options), nil otherwise.
    package func listeners(_ config: Configuration, socket: (BindConfig) throws -> Int32? = { _ in nil }) rethrows -> [EngineListener] {
        var out: [EngineListener] = []
        for (fi, f) in frontends.enumerated() {
            let p = config.proxies[f.proxy]
            for b in p.binds {
                var l = EngineListener(host: b.host, port: b.port, frontend: fi, maxconn: b.options.maxconn ?? p.maxconn ?? 0)
                l.fd = try socket(b)
                l.clientTimeoutMs = UInt32(clamping: p.timeouts.client ?? 0)
                l.httpRequestTimeoutMs = UInt32(clamping: p.timeouts.httpRequest ?? 0)
                l.keepAliveTimeoutMs = UInt32(clamping: p.timeouts.httpKeepAlive ?? 0)
                l.acceptProxy = b.options.acceptProxy
                l.expectProxyIf = b.options.expectProxyIf
                l.contstats = p.connection.continuousStats
                l.tcpMode = config.relaysTCP(frontend: p)
                if case .tcp = b.address {
                    l.keepAlive = p.connection.clientKeepAlive
                    l.noLinger = p.connection.noLinger
                } else if case .inheritedFD = b.address {
                    l.keepAlive = p.connection.clientKeepAlive
                    l.noLinger = p.connection.noLinger
                }
                out.append(l)
            }
        }
        return out
    }
}
