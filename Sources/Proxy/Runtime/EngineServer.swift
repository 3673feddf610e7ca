// What the engine is told about each server: its address, its connection limits (maxconn, and
// HAProxy's dynamic limit from minconn and the backend's fullconn), its queue limit, its idle
// pool limits and the socket options of connections to it. Built once at start from the
// configuration (pure: tests check the table without starting an engine).

#if canImport(Glibc)
import Glibc
#endif
import CUring

public struct EngineServer: Equatable, Sendable {
    public var host: String
    public var port: Int
    /// Its backend's index (the backends' queue counters).
    public var backend = 0
    public var maxconn = 0
    public var minconn = 0
    public var backendFullconn = 0
    /// The global indexes of the servers of its backend (their load makes the dynamic limit).
    public var backendServers: Range<Int> = 0..<0
    public var maxqueue = 0
    /// 0: no limit; -1: no idle connection kept (`pool-max-conn 0`).
    public var idleMax = 0
    /// 0: the engine's 5 s; -1: never purged (`pool-purge-delay 0`).
    public var idlePurgeMs = 0
    public var keepAlive = false          // option srvtcpka / tcpka
    public var noLinger = false           // option nolinger (backend side)
    public var tfo = false
    public var userTimeoutMs: Int? = nil  // tcp-ut
    public var source: SourceAddress? = nil
    /// Its backend's name (HAProxy's alert when a `usesrc` bind fails names it).
    public var backendName = ""
    /// `send-proxy` (1) / `send-proxy-v2` (2): PROXY header version on new connections, 0 = none.
    public var sendProxy = 0
    /// RP_PP_OPT_* bits (proxy-v2-options).
    public var proxyV2Options = 0
    /// `socks4 ADDR:PORT`: new connections go through this SOCKS4 proxy (rp_socks4.c).
    public var socks4: Socks4Proxy? = nil
    public init(host: String, port: Int) { self.host = host; self.port = port }
}

public enum EngineServerTable {
    /// One entry per topology server, then one per dispatch address.
    public static func build(_ configuration: Configuration, _ topology: Topology) -> [EngineServer] {
        let fullconn = backendFullconn(configuration, topology)
        var out: [EngineServer] = []
        for s in topology.servers {
            let c = s.config
            let backend = topology.backends[s.backend]
            let proxy = configuration.proxies[backend.proxy]
            var e: EngineServer
            if let socket = c.options.socket {
                e = EngineServer(host: socket.description, port: 0)
            } else if c.options.unresolved {
                e = EngineServer(host: "0.0.0.0", port: 0)          // in maintenance: never connected to
            } else {
                e = EngineServer(host: c.host, port: c.port == 0 ? 80 : c.port)
            }
            e.backend = s.backend
            // HAProxy: minconn alone (or above maxconn) becomes a fixed maxconn; maxconn alone
            // is fixed; both make a dynamic limit.
            let maxconn = c.maxconn ?? 0, minconn = c.options.minconn ?? 0
            e.maxconn = max(maxconn, minconn)
            if minconn > 0 && minconn < maxconn {
                e.minconn = minconn
                e.backendFullconn = fullconn[s.backend]
                e.backendServers = backend.servers
            }
            e.maxqueue = c.options.maxqueue ?? 0
            if let n = c.options.poolMaxConn { e.idleMax = n == 0 ? -1 : max(0, n) }
            if let d = c.options.poolPurgeDelay { e.idlePurgeMs = d == 0 ? -1 : d }
            e.keepAlive = proxy.connection.serverKeepAlive
            e.noLinger = proxy.connection.noLinger
            e.tfo = c.options.tfo
            e.userTimeoutMs = c.options.tcpUserTimeout
            e.sendProxy = c.options.sendProxyVersion
            e.proxyV2Options = c.options.proxyV2Options.engineBits
            e.source = c.options.source ?? proxy.connection.source
            e.backendName = proxy.name
            e.socks4 = c.options.socks4
            if c.options.socket != nil { e.keepAlive = false; e.tfo = false; e.userTimeoutMs = nil; e.source = nil; e.socks4 = nil }
            out.append(e)
        }
        for d in topology.dispatchAddresses {
            out.append(EngineServer(host: d.host, port: d.port))
        }
        for (b, backend) in topology.backends.enumerated() {
            if let i = backend.dispatch { out[i].backend = b }
        }
        return out
    }

    /// Each backend's `fullconn`, or HAProxy's default: a tenth of the maxconn of the frontends
    /// that can reach it (default_backend, use_backend, a listen's own), at least 1.
    static func backendFullconn(_ configuration: Configuration, _ topology: Topology) -> [Int] {
        let globalMaxconn = configuration.global.maxconn ?? 4096
        var reach = Array(repeating: 0, count: topology.backends.count)
        for f in topology.frontends {
            let p = configuration.proxies[f.proxy]
            var targets = Set<Int>()
            if let own = f.ownBackend { targets.insert(own) }
            if let d = p.defaultBackend, let b = topology.backendByName[d] { targets.insert(b) }
            for rule in p.useBackends { if let b = topology.backendByName[rule.backend] { targets.insert(b) } }
            for b in targets { reach[b] += p.maxconn ?? globalMaxconn }
        }
        return topology.backends.indices.map { b in
            let p = configuration.proxies[topology.backends[b].proxy]
            if let n = p.identity.fullconn, n > 0 { return n }
            return max(1, (reach[b] + 9) / 10)
        }
    }
}

extension ProxyV2Options {
    /// The engine's RP_PP_OPT_* bits.
    var engineBits: Int {
        (crc32c ? Int(RP_PP_OPT_CRC32C) : 0) | (authority ? Int(RP_PP_OPT_AUTHORITY) : 0) | (uniqueID ? Int(RP_PP_OPT_UNIQUE_ID) : 0)
    }
}
