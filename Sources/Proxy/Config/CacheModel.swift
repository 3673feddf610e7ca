// A `cache NAME` section (HAProxy 2.6 configuration.txt §6): the sizes and ages an HTTP cache
// is built with. `process-vary on` is refused by the parser (Vary is not implemented yet).

public struct CacheConfig: Equatable, Sendable {
    public var name: String
    public var location: SourceLocation
    /// total-max-size, in bytes (the keyword takes megabytes); 0 until set (an error then).
    public var totalMaxSize = 0
    /// max-object-size in bytes; 0: a 256th of total-max-size, as HAProxy.
    public var maxObjectSize = 0
    /// max-age in seconds (default 60).
    public var maxAge = 60
    public var processVary = false
    public var maxSecondaryEntries = 10

    public init(name: String, location: SourceLocation) { self.name = name; self.location = location }

    /// The largest object stored (head and body), as HAProxy derives it.
    public var effectiveMaxObjectSize: Int { maxObjectSize > 0 ? maxObjectSize : totalMaxSize >> 8 }
}
