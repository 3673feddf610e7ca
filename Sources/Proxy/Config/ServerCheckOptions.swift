// Server-line options of health checks beyond `check`/`inter`/`rise`/`fall`/`port`/`addr`:
// `check-send-proxy` and the agent check (`agent-check`, `agent-port`, `agent-inter`,
// `agent-addr`, `agent-send`), plus the `no-…` forms that cancel a default-server setting.

/// Per-server check settings (ServerConfig.checkSettings).
public struct ServerCheckSettings: Equatable, Sendable {
    /// `check-send-proxy`: a PROXY header on check connections (v2 when the server has send-proxy-v2).
    public var sendProxy = false
    /// `agent-check` and its settings.
    public var agent = AgentCheckSettings()
    /// `check-via-socks4`: checks connect through the server's `socks4` proxy.
    public var viaSocks4 = false
    public init() {}
}

public struct AgentCheckSettings: Equatable, Sendable {
    public var enabled = false
    public var port: Int? = nil
    public var host: String? = nil
    /// `agent-inter` (default: the server's `inter`).
    public var inter: Int? = nil
    /// `agent-send STRING`: sent once connected.
    public var send: String? = nil
    public init() {}
}

enum ServerCheckOptions {
    static let names = ["check-send-proxy", "no-check-send-proxy", "no-check", "agent-check", "no-agent-check",
                        "agent-port", "agent-inter", "agent-addr", "agent-send", "check-via-socks4"]

    /// Applies the option at argument `i`; returns how many arguments it used, nil when it is not one of these.
    static func apply(_ option: String, _ line: KeywordLine, _ i: Int, _ server: inout ServerConfig) throws(ConfigError) -> Int? {
        func value(_ what: String) throws(ConfigError) -> String {
            guard let v = line.argument(i + 1) else { throw line.error("missing value after '\(option)'; expected \(what)") }
            return v
        }
        switch option {
        case "check-send-proxy": server.checkSettings.sendProxy = true; return 1
        case "no-check-send-proxy": server.checkSettings.sendProxy = false; return 1
        case "no-check": server.check = false; return 1
        case "agent-check": server.checkSettings.agent.enabled = true; return 1
        case "no-agent-check": server.checkSettings.agent.enabled = false; return 1
        case "agent-port":
            switch AddressParser.port(try value("a port")) {
            case .success(let p): server.checkSettings.agent.port = p
            case .failure(let e): throw line.error(e.message)
            }
            return 2
        case "agent-inter":
            _ = try value("a time")
            let t = try line.time(i + 1, "agent-inter")
            guard t > 0 else { throw line.error("'agent-inter' must be greater than 0") }
            server.checkSettings.agent.inter = t
            return 2
        case "agent-addr":
            let v = try value("an address")
            guard AddressParser.isIP(v) || AddressParser.isHostname(v) else { throw line.error("invalid agent address '\(v)'; expected an IPv4/IPv6 address or a host name") }
            server.checkSettings.agent.host = v
            return 2
        case "agent-send":
            server.checkSettings.agent.send = try value("a string")
            return 2
        case "check-ssl", "check-sni", "check-alpn", "no-check-ssl":
            throw line.error("'\(option)' is not supported: ringproxy has no TLS")
        case "check-via-socks4": server.checkSettings.viaSocks4 = true; return 1
        case "check-proto":
            let v = try value("a protocol")
            guard v == "h1" else { throw line.error("'check-proto \(v)' is not supported (ringproxy checks speak HTTP/1 only)") }
            return 2
        default:
            return nil
        }
    }
}
