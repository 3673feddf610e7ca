// What `set server B/S agent-addr|agent-port|agent-send` changed on a server's agent check; the
// configuration's values hold for the rest.

public struct AgentSettingsOverride: Sendable, Equatable {
    /// The agent's address as HAProxy prints it (numeric, a resolved name's first address).
    public var host: String? = nil
    public var port: Int? = nil
    public var send: String? = nil
    public init() {}
}
