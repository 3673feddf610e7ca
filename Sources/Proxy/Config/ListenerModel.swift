// What a `bind` line (and a `stats socket` line) says about a listening socket: its address
// family and the socket options ringproxy applies when it opens it.

/// Where a listener listens.
public enum ListenAddress: Equatable, Sendable {
    /// `[ipv4@|ipv6@][ADDR]:PORT`: bound by every worker (or once, when options need it).
    case tcp(host: String, port: Int)
    /// `fd@N`: a socket the parent process (systemd, VTest, a wrapper) already opened.
    case inheritedFD(Int32)
    /// `unix@PATH` or `/PATH`: a UNIX stream socket.
    case unixPath(String)
    /// `abns@NAME`: a Linux abstract-namespace UNIX socket (no file).
    case abstractNamespace(String)

    /// Text for messages: the address as HAProxy would write it.
    public var description: String {
        switch self {
        case .tcp(let host, let port): return (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        case .inheritedFD(let fd): return "fd@\(fd)"
        case .unixPath(let path): return "unix@\(path)"
        case .abstractNamespace(let name): return "abns@\(name)"
        }
    }
}

/// The options of a `bind` line ringproxy implements.
public struct BindOptions: Equatable, Sendable {
    public var name: String? = nil
    public var id: Int? = nil
    /// SO_BINDTODEVICE.
    public var interface: String? = nil
    /// listen(2) backlog (default: the frontend's maxconn, as HAProxy, or 1024).
    public var backlog: Int? = nil
    /// Connections this listener accepts at once (default: the frontend's maxconn).
    public var maxconn: Int? = nil
    /// TCP_DEFER_ACCEPT: wake up only when the client has sent data.
    public var deferAccept = false
    /// TCP_FASTOPEN.
    public var tfo = false
    /// IP_TRANSPARENT: accept connections for addresses that are not local (needs CAP_NET_ADMIN).
    public var transparent = false
    /// IPV6_V6ONLY on (`v6only`) or off (`v4v6`); nil: the system default.
    public var v6only: Bool? = nil
    /// TCP_MAXSEG.
    public var mss: Int? = nil
    /// TCP_USER_TIMEOUT (ms).
    public var tcpUserTimeout: Int? = nil
    /// UNIX sockets: permissions (octal `mode`), owner and group (names or numbers).
    public var mode: UInt32? = nil
    public var user: String? = nil
    public var group: String? = nil
    public var uid: UInt32? = nil
    public var gid: UInt32? = nil
    /// `accept-proxy`: a PROXY protocol header (v1 or v2) precedes each connection's bytes.
    public var acceptProxy = false
    /// A conditional `tcp-request connection expect-proxy layer4` of the frontend: whether a
    /// PROXY header comes first is decided per connection, at accept.
    public var expectProxyIf = false
    public init() {}

    /// True when the socket must be opened once by the control plane (options the engine's
    /// plain per-worker bind does not apply).
    public var needsSetup: Bool {
        interface != nil || backlog != nil || deferAccept || tfo || transparent || v6only != nil || mss != nil || tcpUserTimeout != nil
    }
}

/// `stats socket ADDR [options]` in `global`: HAProxy's runtime API socket. The parser fills it;
/// the runtime API opens it.
public struct StatsSocketConfig: Equatable, Sendable {
    public var address: ListenAddress
    public var options = BindOptions()
    /// `level user|operator|admin` (default operator, as HAProxy).
    public var level: String = "operator"
    /// `expose-fd listeners`: the socket may hand the listening sockets over (`-x`).
    public var exposeListeners = false
    /// `severity-output none|number|string`.
    public var severityOutput: String = "none"
    public var location: SourceLocation
    public init(address: ListenAddress, location: SourceLocation) { self.address = address; self.location = location }
}
