// The section kinds of the dialect, and sets of them (where a keyword is allowed).

/// The sections of a configuration file.
public enum ConfigSection: String, Sendable, CaseIterable {
    case global, defaults, frontend, backend, listen, peers
    /// `ring NAME`: a log buffer (RingKeywords).
    case ring
    /// The rule language's sections (added by the rules engine).
    case userlist, httpErrors = "http-errors"
    /// `program NAME`: a command the master runs (ProgramKeywords).
    case program
    /// `resolvers NAME`: name servers for run-time DNS (ResolversKeywords).
    case resolvers
    /// `log-forward NAME`: a syslog relay (LogForwardKeywords).
    case logForward = "log-forward"
    /// `cache NAME`: an HTTP cache (CacheKeywords).
    case cache

    var proxyKind: ProxyKind? {
        switch self {
        case .global, .peers, .userlist, .httpErrors, .program, .resolvers, .logForward, .cache: nil
        case .defaults: .defaults
        case .frontend: .frontend
        case .backend: .backend
        case .listen: .listen
        case .ring: nil
        }
    }
}

/// A set of sections, as in HAProxy's "may be used in sections: defaults | frontend | listen | backend".
public struct SectionSet: OptionSet, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let global = SectionSet(rawValue: 1)
    public static let defaults = SectionSet(rawValue: 2)
    public static let frontend = SectionSet(rawValue: 4)
    public static let backend = SectionSet(rawValue: 8)
    public static let listen = SectionSet(rawValue: 16)
    public static let ring = SectionSet(rawValue: 32)
    public static let peers = SectionSet(rawValue: 64)
    public static let userlist = SectionSet(rawValue: 128)
    public static let httpErrors = SectionSet(rawValue: 256)
    public static let program = SectionSet(rawValue: 512)
    public static let resolvers = SectionSet(rawValue: 1024)
    public static let logForward = SectionSet(rawValue: 2048)
    public static let cache = SectionSet(rawValue: 4096)
    /// Every proxy section, defaults included.
    public static let proxies: SectionSet = [.defaults, .frontend, .backend, .listen]
    /// Where frontend-side keywords go.
    public static let frontendSide: SectionSet = [.defaults, .frontend, .listen]
    /// Where backend-side keywords go.
    public static let backendSide: SectionSet = [.defaults, .backend, .listen]

    init(_ section: ConfigSection) {
        switch section {
        case .global: self = .global
        case .defaults: self = .defaults
        case .frontend: self = .frontend
        case .backend: self = .backend
        case .listen: self = .listen
        case .ring: self = .ring
        case .peers: self = .peers
        case .userlist: self = .userlist
        case .httpErrors: self = .httpErrors
        case .program: self = .program
        case .resolvers: self = .resolvers
        case .logForward: self = .logForward
        case .cache: self = .cache
        }
    }

    var names: [String] {
        ConfigSection.allCases.filter { contains(SectionSet($0)) }.map(\.rawValue)
    }
}
