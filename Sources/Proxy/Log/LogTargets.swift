import Glibc

/// One configured logger resolved for sending: where to, which levels, which header, how long.
public struct LogTarget: Equatable, Sendable {
    /// Index into `LogTargets.destinations`.
    public var destination: Int
    public var facility: Int
    public var maxLevel: Int
    public var minLevel: Int
    /// Never `.unspecified` for a proxy's logger: decided at resolution from `log-send-hostname`.
    /// A log-forward section's keeps `.unspecified`: each relayed message's fields decide.
    public var format: LogFormat = .local
    public var maxLength: Int = SyslogFrame.maxLength
    public var sampler: LogSampler? = nil

    public init(destination: Int, facility: Int, maxLevel: Int, minLevel: Int, format: LogFormat = .local,
                maxLength: Int = SyslogFrame.maxLength, sampler: LogSampler? = nil) {
        self.destination = destination; self.facility = facility; self.maxLevel = maxLevel; self.minLevel = minLevel
        self.format = format; self.maxLength = maxLength; self.sampler = sampler
    }

    public static func == (a: LogTarget, b: LogTarget) -> Bool {
        a.destination == b.destination && a.facility == b.facility && a.maxLevel == b.maxLevel && a.minLevel == b.minLevel
            && a.format == b.format && a.maxLength == b.maxLength && a.sampler === b.sampler
    }
}

/// Where lines go, one entry per distinct target.
public enum LogDestination: Sendable {
    /// UDP or UNIX datagram socket.
    case datagram(SocketAddress)
    /// An inherited descriptor (stdout, stderr, fd@N): whole lines, batched.
    case fd(Int32)
    /// A `ring` section (index into `LogTargets.rings`).
    case ring(Int)
    /// Could not be resolved at start-up (a host name that did not resolve): lines are dropped.
    case unresolved(String)
}

/// Everything one proxy's log lines need, resolved once: its loggers, the header fields and
/// the options that decide whether and at which level a transaction is logged.
public struct ProxyLog: Sendable {
    public enum Style: Sendable {
        /// `option httplog`.
        case http
        /// `option tcplog`.
        case tcp
        /// Neither: HAProxy logs `Connect from …` when a stream starts.
        case connect
    }
    public var loggers: [LogTarget] = []
    public var origin: SyslogFrame.Origin
    public var style: Style = .connect
    public var httpMode = true
    public var dontLogNormal = false
    public var separateErrors = false
    /// The local address of `Connect from … to ADDR:PORT`: the frontend's bind address when it
    /// has one specific address (the engine does not report the accepted socket's own yet).
    public var listenAddress: SocketAddress? = nil
    public var isEmpty: Bool { loggers.isEmpty }

    public init(loggers: [LogTarget], origin: SyslogFrame.Origin) { self.loggers = loggers; self.origin = origin }
}

/// Every proxy's loggers, resolved at configuration time: `log global` expanded to the global
/// loggers, distinct destinations numbered so that each worker opens one socket per address
/// family and addresses datagrams by index, rings created once and shared.
public struct LogTargets: Sendable {
    public private(set) var destinations: [LogDestination] = []
    private var destinationKeys: [LogAddress] = []
    public private(set) var rings: [LogRing] = []
    /// Loggers of each proxy, by proxy name.
    public private(set) var byProxy: [String: ProxyLog] = [:]
    public private(set) var global: [LogTarget] = []
    /// Loggers of each `log-forward` section, by name (formats as declared).
    public private(set) var byLogForward: [String: [LogTarget]] = [:]
    /// The global tag (`log-tag`, default the program name).
    public var tag: String
    public let hostname: String?
    public let pid: Int32

    public init(configuration: Configuration, programName: String = "ringproxy", pid: Int32 = getpid()) {
        tag = configuration.global.logTag ?? programName
        hostname = configuration.global.logging.sendHostname
        self.pid = pid
        rings = configuration.rings.map(LogRing.init)
        global = configuration.global.loggers.filter { !$0.isGlobal }.map { target($0, configuration) }
        for p in configuration.proxies {
            var list: [LogTarget] = []
            for l in p.loggers {
                // `log global` copies the global loggers; each copy samples on its own (as in HAProxy).
                if l.isGlobal {
                    list += configuration.global.loggers.filter { !$0.isGlobal }.map { target($0, configuration) }
                } else {
                    list.append(target(l, configuration))
                }
            }
            var log = ProxyLog(loggers: list, origin: SyslogFrame.Origin(tag: p.logging.tag ?? tag, pid: pid, hostname: hostname,
                                                                      structuredData: p.logging.structuredData))
            log.style = p.httpLog ? .http : (p.logging.tcpLog ? .tcp : .connect)
            log.httpMode = p.mode == .http
            log.dontLogNormal = p.logging.dontLogNormal
            log.separateErrors = p.logging.separateErrors
            if p.binds.count == 1, let b = p.binds.first, AddressParser.isIP(b.host), b.host != "0.0.0.0", b.host != "::" {
                log.listenAddress = SocketAddress(host: b.host, port: b.port)
            }
            byProxy[p.name] = log
        }
        for f in configuration.logForwards {
            var list: [LogTarget] = []
            for l in f.loggers {
                if l.isGlobal {
                    list += configuration.global.loggers.filter { !$0.isGlobal }.map { target($0, configuration, relayed: true) }
                } else {
                    list.append(target(l, configuration, relayed: true))
                }
            }
            byLogForward[f.name] = list
        }
    }

    public func loggers(of proxy: String) -> [LogTarget] { byProxy[proxy]?.loggers ?? [] }
    public func log(of proxy: String) -> ProxyLog {
        byProxy[proxy] ?? ProxyLog(loggers: [], origin: SyslogFrame.Origin(tag: tag, pid: pid, hostname: hostname))
    }
    /// The global loggers with the global header fields (messages not tied to a proxy).
    public var globalLog: ProxyLog { ProxyLog(loggers: global, origin: SyslogFrame.Origin(tag: tag, pid: pid, hostname: hostname)) }

    /// The longest line any logger sends (sizes the workers' buffers).
    public var longestLine: Int {
        max(SyslogFrame.maxLength, byProxy.values.flatMap(\.loggers).map(\.maxLength).max() ?? 0,
            global.map(\.maxLength).max() ?? 0, rings.map(\.maxLength).max() ?? 0,
            byLogForward.values.flatMap { $0 }.map(\.maxLength).max() ?? 0)
    }

    mutating func target(_ l: LoggerConfig, _ c: Configuration, relayed: Bool = false) -> LogTarget {
        LogTarget(destination: destination(l.address), facility: l.facility, maxLevel: l.maxLevel, minLevel: l.minLevel,
                  format: relayed ? l.format : SyslogFrame.effective(l.format, hostname: hostname), maxLength: l.maxLength,
                  sampler: l.sample.map(LogSampler.init))
    }

    mutating func destination(_ a: LogAddress) -> Int {
        if let i = destinationKeys.firstIndex(of: a) { return i }
        let d: LogDestination
        switch a {
        case .udp(let host, let port, let family):
            d = SocketAddress(host: host, port: port, family: family).map { .datagram($0) } ?? .unresolved("\(host):\(port)")
        case .unix(let path):
            d = SocketAddress(unixPath: path).map { .datagram($0) } ?? .unresolved(path)
        case .fd(let fd):
            d = .fd(fd)
        case .ring(let name):
            d = rings.firstIndex { $0.name == name }.map { .ring($0) } ?? .unresolved("ring@\(name)")
        }
        destinationKeys.append(a)
        destinations.append(d)
        return destinations.count - 1
    }

    /// Destinations that could not be resolved, for a start-up warning.
    public var unresolved: [String] {
        destinations.compactMap { if case .unresolved(let s) = $0 { return s }; return nil }
    }
}
