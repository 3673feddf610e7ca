/// A server state change to report: the integrator writes `message` to stderr (when not
/// daemonized) and sends it at `level` through the backend's loggers.
public struct HealthEvent: Equatable, Sendable {
    public var backend: String
    public var server: String?
    public var level: Int
    public var message: String
    public init(backend: String, server: String?, level: Int, message: String) {
        self.backend = backend; self.server = server; self.level = level; self.message = message
    }
}
