// The logging part of the configuration model: `log` targets, per-proxy log options,
// `log-send-hostname`, and `ring` sections (HAProxy 2.6 semantics).

/// The header a logger writes before each message (`log … format F`).
public enum LogFormat: String, Equatable, Sendable, CaseIterable {
    /// No `format`: rfc3164 when `log-send-hostname` is set, else `local` (HAProxy picks at send time).
    case unspecified = ""
    case local, rfc3164, rfc5424, priority, short, timed, iso, raw

    /// The names `format` accepts.
    public static let names = allCases.filter { $0 != .unspecified }.map(\.rawValue)
}

/// Where a logger sends its lines.
public enum LogAddress: Equatable, Sendable {
    /// UDP syslog. `family` is AF_INET / AF_INET6 when forced by `udp4@`/`ipv4@`/`udp6@`/`ipv6@`.
    case udp(host: String, port: Int, family: Int32?)
    /// A UNIX datagram socket (`/dev/log`, `unix@PATH`).
    case unix(path: String)
    /// An inherited file descriptor: `stdout` (1), `stderr` (2), `fd@N`.
    case fd(Int32)
    /// `ring@NAME`: a `ring` section.
    case ring(String)
}

/// `sample RANGES:SIZE`: of every SIZE messages a logger accepts, it sends those whose
/// 1-based position falls in one of RANGES (load-balanced logging).
public struct LogSample: Equatable, Sendable {
    public var ranges: [ClosedRange<Int>]
    public var size: Int
    public init(ranges: [ClosedRange<Int>], size: Int) { self.ranges = ranges; self.size = size }
}

public struct LoggerConfig: Equatable, Sendable {
    /// `log global` in a proxy: use the global loggers.
    public var isGlobal = false
    public var address: LogAddress = .udp(host: "127.0.0.1", port: 514, family: nil)
    /// `len N`: longest line, header included (80..65535, default 1024).
    public var maxLength = 1024
    public var format: LogFormat = .unspecified
    public var sample: LogSample? = nil
    public var facility: Int = 16        // local0
    public var maxLevel: Int = 7         // debug: send everything
    public var minLevel: Int = 0
    /// Where the line was (for errors found once every section is read); not compared.
    public var location: SourceLocation? = nil
    public init() {}

    public static func == (a: LoggerConfig, b: LoggerConfig) -> Bool {
        a.isGlobal == b.isGlobal && a.address == b.address && a.maxLength == b.maxLength && a.format == b.format
            && a.sample == b.sample && a.facility == b.facility && a.maxLevel == b.maxLevel && a.minLevel == b.minLevel
    }

    /// The UDP host ("" for other targets).
    public var host: String {
        get { if case .udp(let h, _, _) = address { return h }; return "" }
        set { address = .udp(host: newValue, port: port == 0 ? 514 : port, family: nil) }
    }
    /// The UDP port (0 for other targets).
    public var port: Int {
        get { if case .udp(_, let p, _) = address { return p }; return 0 }
        set { if case .udp(let h, _, let f) = address { address = .udp(host: h, port: newValue, family: f) } else { address = .udp(host: "127.0.0.1", port: newValue, family: nil) } }
    }
    /// The UNIX socket path, if the target is one.
    public var socketPath: String? {
        if case .unix(let p) = address { return p }
        return nil
    }
}

/// Per-proxy logging options (frontend side unless noted).
public struct ProxyLogOptions: Equatable, Sendable {
    /// `log-tag` of this proxy (nil: the global one).
    public var tag: String? = nil
    /// `log-format-sd`: RFC 5424 structured data, a plain string (no `%` variables yet).
    public var structuredData: String? = nil
    /// `option tcplog`.
    public var tcpLog = false
    /// `option dontlog-normal`: log only errors.
    public var dontLogNormal = false
    /// `option log-separate-errors`: errors are logged at `err` instead of `info`.
    public var separateErrors = false
    /// `option log-health-checks` (backend side): every check status change is logged.
    public var healthChecks = false
    /// `option logasap`: read, not applied (ringproxy logs a transaction when it ends).
    public var asSoonAsPossible = false
    public init() {}
}

/// Global logging options.
public struct GlobalLogOptions: Equatable, Sendable {
    /// `log-send-hostname [NAME]`: the hostname field of rfc3164/rfc5424 headers.
    public var sendHostname: String? = nil
    public init() {}
}

/// A `ring` section: an in-memory buffer of recent log lines, optionally forwarded over TCP.
public struct RingConfig: Equatable, Sendable {
    public var name: String
    public var location: SourceLocation
    public var description: String? = nil
    /// Header written before each stored line (default raw).
    public var format: LogFormat = .raw
    /// Longest stored line, header included (default 16384, HAProxy's BUFSIZE).
    public var maxLength = 16384
    /// Buffer size in bytes (default 16384).
    public var size = 16384
    public var connectTimeout: Int? = nil
    public var serverTimeout: Int? = nil
    public var servers: [RingServerConfig] = []
    public init(name: String, location: SourceLocation) { self.name = name; self.location = location }
}

/// A `server` line of a ring section: a TCP syslog receiver the ring forwards to.
public struct RingServerConfig: Equatable, Sendable {
    public enum Framing: String, Equatable, Sendable {
        /// RFC 6587 octet counting: `LEN MSG`.
        case octetCount = "octet-count"
        /// One line per message, `\n`-terminated (HAProxy's default).
        case legacy
    }
    public var name: String
    public var host: String
    public var port: Int
    public var framing: Framing = .legacy
    public var location: SourceLocation
    public init(name: String, host: String, port: Int, location: SourceLocation) {
        self.name = name; self.host = host; self.port = port; self.location = location
    }
}
