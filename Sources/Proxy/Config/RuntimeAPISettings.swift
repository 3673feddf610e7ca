// The runtime API's settings besides its sockets (`stats timeout`, `stats maxconn`; the
// sockets are `GlobalSettings.statsSockets`, ListenerModel.swift) and the process settings of
// reloads (`master-worker`, `hard-stop-after`, `grace`, the server-state file). Plain values:
// the config parser fills them, the runtime reads them.

/// The permission level of a CLI session (HAProxy's ACCESS_LVL_*): each command needs one.
public enum CLILevel: Int, Comparable, Sendable, CaseIterable {
    case user = 1, `operator` = 2, admin = 3

    public var name: String {
        switch self {
        case .user: return "user"
        case .operator: return "operator"
        case .admin: return "admin"
        }
    }

    public init?(name: String) {
        switch name {
        case "user": self = .user
        case "operator": self = .operator
        case "admin": self = .admin
        default: return nil
        }
    }

    public static func < (a: CLILevel, b: CLILevel) -> Bool { a.rawValue < b.rawValue }
}

extension StatsSocketConfig {
    /// The socket's level (`operator` when the parser left something else).
    public var cliLevel: CLILevel { CLILevel(name: level) ?? .operator }
}

/// The global runtime API settings.
public struct RuntimeAPISettings: Equatable, Sendable {
    /// `stats timeout` (ms): an idle CLI connection is closed after it (HAProxy: 10 s).
    public var timeoutMs: Int = 10_000
    /// `stats maxconn`: concurrent CLI connections per socket (HAProxy: 10).
    public var maxconn: Int = 10
    public init() {}
}

/// Process settings of reloads and soft stops.
public struct ReloadSettings: Equatable, Sendable {
    /// `master-worker` in the global section (same as `-W`).
    public var masterWorker = false
    /// `master-worker no-exit-on-failure`.
    public var noExitOnFailure = false
    /// `hard-stop-after TIME` (ms): a soft-stopping (old) process exits after this long at most.
    public var hardStopAfterMs: Int? = nil
    /// `grace TIME` (ms): delay between SIGUSR1 and the soft stop.
    public var graceMs: Int? = nil
    /// `server-state-file PATH` and `server-state-base DIR`.
    public var serverStateFile: String? = nil
    public var serverStateBase: String? = nil
    public init() {}
}

/// Per backend: `load-server-state-from-file global|local|none` and `server-state-file-name`.
public struct ProxyServerStateConfig: Equatable, Sendable {
    public enum Load: String, Equatable, Sendable { case none, global, local }
    public var load: Load = .none
    /// `server-state-file-name [NAME|use-backend-name]`: the local file (relative to
    /// `server-state-base`); nil: the backend's name.
    public var fileName: String? = nil
    public init() {}
}
