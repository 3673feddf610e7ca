// The `tune.*` settings ringproxy applies. The others are accepted and ignored with a warning
// (IgnoredKeywords' `tune.*`).

public struct TuneSettings: Equatable, Sendable {
    /// `tune.bufsize` (default 16384): a head must fit in it (see HeadLimits).
    public var bufferSize: Int? = nil
    /// `tune.maxrewrite` (default 1024): the part of the buffer a head may not use.
    public var maxRewrite: Int? = nil
    /// `tune.http.maxhdr` (default 101): header lines per head, the start line included.
    public var maxHeaders: Int? = nil
    /// `tune.dynamic-servers` (ringproxy only): vacant slots per backend for `add server`.
    public var dynamicServers: Int? = nil
    public init() {}

    /// The head limits these settings give (HAProxy's defaults where unset).
    public var headLimits: HeadLimits {
        let d = HeadLimits.haproxyDefault
        return HeadLimits(bufferSize: bufferSize ?? d.bufferSize, maxRewrite: maxRewrite ?? d.maxRewrite,
                          maxHeaders: maxHeaders ?? d.maxHeaders)
    }
}
