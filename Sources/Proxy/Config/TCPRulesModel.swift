// The configuration model of HAProxy's layer-4 rules (configuration.txt 4.2, "tcp-request
// connection|session|content", "tcp-response content", "… inspect-delay"). The actions they
// share with http-request rules (track-sc*, sc-inc-gpc*, sc-set-gpt0, set-var, unset-var,
// capture) are HTTPActionDef values, compiled and run by the same rule engine.

/// When a tcp rule set runs.
public enum TCPRuleStage: String, Sendable, CaseIterable {
    /// `tcp-request connection`: at accept, before any byte (layer-4 fetches only).
    case connection
    /// `tcp-request session`: once the session exists (after the PROXY header).
    case session
    /// `tcp-request content`: on the request's first bytes, within `tcp-request inspect-delay`.
    case content
    /// `tcp-response content`: on the response's first bytes.
    case response
}

/// One tcp-request / tcp-response action.
public enum TCPActionDef: Equatable, Sendable {
    case accept
    case reject
    case silentDrop
    /// `expect-proxy layer4` (connection rules): read a PROXY header first.
    case expectProxy
    /// `tcp-response content close`.
    case close
    /// An action of the common rule language (track-sc*, sc-*, set-var, unset-var, capture).
    case common(HTTPActionDef)
}

public struct TCPRuleDef: Equatable, Sendable {
    public var stage: TCPRuleStage
    public var action: TCPActionDef
    public var condition: Condition?
    public var location: SourceLocation
    public init(stage: TCPRuleStage, action: TCPActionDef, condition: Condition?, location: SourceLocation) {
        self.stage = stage; self.action = action; self.condition = condition; self.location = location
    }
}

/// A proxy's tcp-request / tcp-response rules (one field of ProxyConfig).
public struct TCPRuleSets: Equatable, Sendable {
    public var connection: [TCPRuleDef] = []
    public var session: [TCPRuleDef] = []
    public var content: [TCPRuleDef] = []
    public var response: [TCPRuleDef] = []
    /// `tcp-request inspect-delay` (ms): how long content rules may wait for data.
    public var inspectDelay: Int? = nil
    /// `tcp-response inspect-delay` (ms).
    public var responseInspectDelay: Int? = nil
    public init() {}
    public var isEmpty: Bool { connection.isEmpty && session.isEmpty && content.isEmpty && response.isEmpty }
}

/// A table named `SECTION/NAME`: a peers section's `table NAME` (HAProxy's name for it).
enum PeersTableName {
    static func declared(_ name: String, in sections: [PeersSectionConfig]) -> Bool {
        guard let slash = name.firstIndex(of: "/") else { return false }
        let section = String(name[..<slash]), table = String(name[name.index(after: slash)...])
        return sections.contains { $0.name == section && $0.tables.contains { $0.name == table } }
    }
}
