import Glibc

/// What the worker knows about one finished HTTP transaction, for the httplog line.
/// Plain values and borrowed bytes: filling it allocates nothing.
public struct HTTPLogRecord {
    /// Client address (IPv4 or IPv6) as accepted.
    public var client: sockaddr_storage = sockaddr_storage()
    /// Request date (2.6 `%tr`; 1.4 printed the accept date), wall-clock ms since the epoch.
    public var dateMs: Int64 = 0
    public var frontend: String = ""
    public var backend: String = ""
    /// nil → `<NOSRV>`.
    public var server: String? = nil
    /// Timers in ms, -1 when the phase was not reached: TR (request headers), Tw (queue),
    /// Tc (connect), Tr (server response headers), Ta (whole transaction).
    public var tR: Int = -1
    public var tw: Int = -1
    public var tc: Int = -1
    public var tr: Int = -1
    public var ta: Int = 0
    public var status: Int = 0
    /// Bytes sent to the client (headers included).
    public var bytesOut: Int = 0
    public var termination = TerminationState.normal
    public var actconn = 0
    public var feconn = 0
    public var beconn = 0
    public var srvconn = 0
    public var retries = 0
    /// Redispatched to another server: the retries field is prefixed with `+`.
    public var redispatched = false
    public var serverQueue = 0
    public var backendQueue = 0
    /// The request line without CRLF; nil when the request could not be parsed (`<BADREQ>`).
    public var requestLine: UnsafeRawBufferPointer? = nil
    /// For log-format fields (added by the rules engine): bytes from the client (%U), idle
    /// time before the request (%Ti), total time (%Tt), request counter (%rt), accept date.
    public var bytesIn: Int = 0
    public var ti: Int = 0
    public var tt: Int = 0
    public var requestCounter: Int = 0
    public var acceptMs: Int64? = nil

    public init() {}

    /// Sets an IPv4 client address (host-order address and port), mostly for tests.
    public mutating func setClientIPv4(_ dotted: String, port: Int) {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = inet_addr(dotted)
        withUnsafeMutableBytes(of: &client) { dst in
            withUnsafeBytes(of: &a) { dst.copyMemory(from: $0) }
        }
    }
}
