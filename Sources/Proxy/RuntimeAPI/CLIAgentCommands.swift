// `set server B/S agent up|down`, `agent-addr ADDR [port P]`, `agent-port P`, `agent-send STR`
// (management.txt §9.3), with HAProxy 2.6's texts: only a server whose agent runs (configured
// `agent-check`, not `disable agent`d) takes them. The address, port and string apply from the
// agent's next check; `show servers state` shows them.
import Glibc

extension RuntimeControl {
    /// HAProxy's answer for a server whose agent does not run (`agent`, `agent-send`).
    static let agentNotEnabled = "agent checks are not enabled on this server.\n"

    func setServerAgent(_ slot: Int, _ r: CLIRequest) -> CLIReply {
        switch r[3] {
        case "agent":
            guard states.agentEnabled(slot) else { return .error(Self.agentNotEnabled) }
            let up: Bool
            switch r[4] {
            case "up": up = true
            case "down": up = false
            default: return .error("'set server <srv> agent' expects 'up' or 'down'.\n")
            }
            // The checker's counter first, so that a result landing meanwhile agrees.
            checker?.setAgentHealth(server: slot, up: up)
            report(states.applyAgent(up: up, server: slot, sessions: { [self] in sessions(ofServer: $0) }))
            return .none
        case "agent-addr":
            if r[4].isEmpty { return .error("set server <b>/<s> agent-addr requires an address and optionally a port.\n") }
            return updateAgentAddress(slot, address: r[4], port: r[5] == "port" ? r[6] : nil)
        case "agent-port":
            if r[4].isEmpty { return .error("set server <b>/<s> agent-port requires a port.\n") }
            return updateAgentAddress(slot, address: nil, port: r[4])
        case "agent-send":
            guard states.agentEnabled(slot) else { return .error(Self.agentNotEnabled) }
            var o = agentOverrides.withLock { $0[slot] } ?? AgentSettingsOverride()
            o.send = r[4]
            applyAgentOverride(slot, o)
            return .none
        default:
            return .error("usage: set server <backend>/<server> agent | agent-addr | agent-port | agent-send\n")
        }
    }

    /// HAProxy's srv_update_agent_addr_port: all checked first, nothing applied on an error
    /// (its texts have no final period; the CLI prints them as warnings).
    func updateAgentAddress(_ slot: Int, address: String?, port: String?) -> CLIReply {
        guard states.agentEnabled(slot) else { return .error("agent checks are not enabled on this server") }
        var o = agentOverrides.withLock { $0[slot] } ?? AgentSettingsOverride()
        if let address {
            // HAProxy's str2ip: an IP address, or a name resolved now.
            guard let ip = Self.numericAddress(address) else { return .error("invalid addr '\(address)'") }
            o.host = ip
        }
        if let port {
            guard let p = Int(port) else { return .error("provided port is not an integer") }
            guard (0...65535).contains(p) else { return .error("provided port is invalid") }
            o.port = p
        }
        applyAgentOverride(slot, o)
        return .none
    }

    /// Records the change and hands the agent its new target.
    func applyAgentOverride(_ slot: Int, _ o: AgentSettingsOverride) {
        agentOverrides.withLock { $0[slot] = o }
        let s = serverConfig(slot)
        let a = s.checkSettings.agent
        let host = o.host ?? a.host ?? s.host
        let port = o.port ?? a.port ?? 0
        guard let address = SocketAddress(host: host, port: port) else { return }
        checker?.retargetAgent(server: slot, address: address, port: port, send: o.send ?? a.send ?? "")
    }

    /// The first address `text` resolves to, printed numerically; nil when it does not resolve.
    static func numericAddress(_ text: String) -> String? {
        guard let a = SocketAddress(host: text, port: 0) else { return nil }
        var st = a.storage
        var out = [CChar](repeating: 0, count: 1025)      // NI_MAXHOST
        let rc = withUnsafePointer(to: &st) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, a.length, &out, socklen_t(out.count), nil, 0, 1)   // NI_NUMERICHOST
            }
        }
        guard rc == 0 else { return nil }
        return String(cString: out)
    }
}
