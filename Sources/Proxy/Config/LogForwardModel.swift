// A `log-forward` section (configuration.txt 3.10): a syslog relay. Messages received on its
// TCP (`bind`) and UDP (`dgram-bind`) listeners are parsed (RFC 3164 / RFC 5424) and sent again
// to its `log` targets, each in its own `format`.

/// A listening address of a log-forward section.
public struct LogForwardBind: Equatable, Sendable {
    public var host: String          // "" or "*": every address
    public var port: Int
    /// AF_INET / AF_INET6 when forced by a prefix (`ipv4@`, `udp6@`, ...).
    public var family: Int32?
    public var location: SourceLocation
    public init(host: String, port: Int, family: Int32? = nil, location: SourceLocation) {
        self.host = host; self.port = port; self.family = family; self.location = location
    }
}

public struct LogForwardConfig: Equatable, Sendable {
    public var name: String
    public var location: SourceLocation
    /// `bind`: TCP syslog (RFC 6587: octet counting, or LF-terminated lines).
    public var streamBinds: [LogForwardBind] = []
    /// `dgram-bind`: UDP syslog, one message per datagram.
    public var datagramBinds: [LogForwardBind] = []
    public var loggers: [LoggerConfig] = []
    /// `maxconn`: TCP clients at once (HAProxy's default for this section: 10).
    public var maxconn = 10
    /// `backlog`: the TCP listeners' accept queue (nil: maxconn, as HAProxy).
    public var backlog: Int? = nil
    /// `timeout client` in ms: an idle TCP client is closed after it (nil: never).
    public var clientTimeout: Int? = nil
    public init(name: String, location: SourceLocation) { self.name = name; self.location = location }
}
