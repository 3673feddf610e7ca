// Proxy settings that are not about HTTP: how connections behave, and the proxy's identity.

/// `option tcpka|clitcpka|srvtcpka|nolinger|splice-*|http-pretend-keepalive|…`.
public struct ConnectionOptions: Equatable, Sendable {
    /// SO_KEEPALIVE on client connections (`clitcpka`, `tcpka`) and server ones (`srvtcpka`, `tcpka`).
    public var clientKeepAlive = false
    public var serverKeepAlive = false
    /// `option nolinger`: close with a reset, not a lingering FIN (the client side of a
    /// frontend, the server side of a backend).
    public var noLinger = false
    /// `source ADDR[:PORT]` in a backend: the default source address of its servers.
    public var source: SourceAddress? = nil
    /// `option splice-auto|splice-request|splice-response`.
    public var spliceAuto = false
    public var spliceRequest = false
    public var spliceResponse = false
    /// `option http-pretend-keepalive`.
    public var pretendKeepAlive = false
    /// `option persist`: a cookie-persistent client keeps going to its DOWN server.
    public var persist = false
    /// `option contstats`, `option socket-stats` (read, see the keywords), `option checkcache`.
    public var continuousStats = false
    public var socketStats = false
    public var checkCache = false
    /// `option http-buffer-request`: the body is awaited before the rules (RequestBodyWait).
    public var bufferRequest = false
    public init() {}
}

/// `id`, `description`, `fullconn`, `dispatch`.
public struct ProxyIdentity: Equatable, Sendable {
    public var id: Int? = nil
    public var description: String? = nil
    /// `fullconn N`: the backend load at which servers reach their `maxconn` (with `minconn`).
    public var fullconn: Int? = nil
    /// `dispatch ADDR:PORT`: where requests go when the backend has no balancing algorithm.
    public var dispatch: DispatchAddress? = nil
    /// `option transparent`: without servers, connect to the client's destination.
    public var transparent = false
    public init() {}
}

/// `dispatch ADDR:PORT` (a host name is resolved at start, as server addresses are).
public struct DispatchAddress: Equatable, Sendable {
    public var host: String
    public var port: Int
    public var location: SourceLocation
}
