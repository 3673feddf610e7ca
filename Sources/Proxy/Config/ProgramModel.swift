// `program NAME` sections: external commands the master starts beside its workers
// (master-worker mode only), listed by the master CLI's `show proc`.

public struct ProgramConfig: Sendable, Equatable {
    public var name: String
    /// The command and its arguments (`command`); looked up in PATH when it has no '/'.
    public var command: [String] = []
    public var user: String? = nil
    public var group: String? = nil
    /// `[no] option start-on-reload`: a reload starts a new instance (default yes).
    public var startOnReload = true
    public var location: SourceLocation

    public init(name: String, location: SourceLocation) {
        self.name = name
        self.location = location
    }
}
