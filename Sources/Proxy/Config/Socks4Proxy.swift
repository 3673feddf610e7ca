// `socks4 ADDR:PORT` on a server line (HAProxy 2.6): connections to the server go through a
// SOCKS4 proxy: traffic (the engine's CUring/rp_socks4.c) and, with `check-via-socks4`, health
// checks.

/// The SOCKS4 proxy of a server.
public struct Socks4Proxy: Equatable, Sendable {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) { self.host = host; self.port = port }

    /// `ADDR:PORT`, the port mandatory as in HAProxy.
    static func parse(_ text: String, _ line: KeywordLine) throws(ConfigError) -> Socks4Proxy {
        var t = Substring(text)
        if t.hasPrefix("ipv4@") { t = t.dropFirst(5) }
        guard let colon = t.lastIndex(of: ":"), !t.hasPrefix("[") else {
            throw line.error("'socks4' : missing port number: '\(text)'")
        }
        let host = String(t[..<colon]), portText = String(t[t.index(after: colon)...])
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw line.error("'socks4' : invalid port '\(portText)' in '\(text)'")
        }
        guard AddressParser.isIPv4(host) || (AddressParser.isHostname(host) && !host.isEmpty) else {
            throw line.error("'socks4' : invalid address '\(host)' in '\(text)' (SOCKS4 proxies are reached over IPv4)")
        }
        return Socks4Proxy(host: host, port: port)
    }
}
