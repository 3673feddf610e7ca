// One entry of the keyword registry: where the keyword is allowed, how it is written, what it
// does, its HAProxy 2.x spelling when it is legacy, and the handler that applies it.

/// The sections of a configuration file.
public enum ConfigSection: String, Sendable, CaseIterable {
    case global, defaults, frontend, backend, listen

    var proxyKind: ProxyKind? {
        switch self {
        case .global: nil
        case .defaults: .defaults
        case .frontend: .frontend
        case .backend: .backend
        case .listen: .listen
        }
    }
}

/// A set of sections, as in HAProxy's "may be used in sections: defaults | frontend | listen | backend".
public struct SectionSet: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let global = SectionSet(rawValue: 1)
    public static let defaults = SectionSet(rawValue: 2)
    public static let frontend = SectionSet(rawValue: 4)
    public static let backend = SectionSet(rawValue: 8)
    public static let listen = SectionSet(rawValue: 16)
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
        }
    }

    var names: [String] {
        ConfigSection.allCases.filter { contains(SectionSet($0)) }.map(\.rawValue)
    }
}

/// Applies one configuration line to the parse state.
typealias KeywordHandler = @Sendable (inout ParseState, KeywordLine) throws(ConfigError) -> Void

public struct ConfigKeyword: Sendable {
    /// The keyword as written, one or two words: "balance", "timeout connect", "stats uri".
    public let name: String
    public let sections: SectionSet
    public let syntax: String
    public let summary: String
    /// For legacy keywords: how HAProxy 2.x spells the same thing (the `-c` note repeats it).
    public let modern: String?
    /// Accepted and ignored with a warning (harmless for ringproxy, e.g. `chroot`).
    public let ignored: Bool
    /// `no option X` is accepted.
    public let negatable: Bool
    let handler: KeywordHandler

    init(_ name: String, _ sections: SectionSet, _ syntax: String, _ summary: String,
         modern: String? = nil, ignored: Bool = false, negatable: Bool = false,
         _ handler: @escaping KeywordHandler = { _, _ throws(ConfigError) in }) {
        self.name = name; self.sections = sections; self.syntax = syntax; self.summary = summary
        self.modern = modern; self.ignored = ignored; self.negatable = negatable; self.handler = handler
    }

    /// True for prefix entries such as `tune.*`.
    var isPrefix: Bool { name.hasSuffix(".*") }
}

/// The line a handler works on: its words, where the arguments start, where it came from.
struct KeywordLine {
    var words: [String]
    var argumentStart: Int
    var keyword: String
    var location: SourceLocation
    /// `no option ...`
    var negated = false

    var arguments: ArraySlice<String> { words[argumentStart...] }
    var argumentCount: Int { words.count - argumentStart }
    /// The i-th argument (0-based), or nil.
    func argument(_ i: Int) -> String? { argumentStart + i < words.count ? words[argumentStart + i] : nil }

    func error(_ message: String) -> ConfigError { ConfigError(location, keyword, message) }

    /// Fails unless the argument count is within `range`, naming the expected syntax.
    func expectArguments(_ range: ClosedRange<Int>, _ syntax: String) throws(ConfigError) {
        let n = argumentCount
        if n < range.lowerBound {
            throw error(n == 0 ? "missing argument; expected '\(syntax)'" : "too few arguments; expected '\(syntax)'")
        }
        if n > range.upperBound {
            throw error("unexpected argument '\(words[argumentStart + range.upperBound])'; expected '\(syntax)'")
        }
    }

    func time(_ i: Int, _ what: String = "time") throws(ConfigError) -> Int {
        guard let text = argument(i) else { throw error("missing \(what); expected a time such as 5000, 500ms, 5s, 2m, 1h or 1d") }
        guard let value = ConfigUnits.milliseconds(text) else {
            throw error("invalid \(what) '\(text)'; expected a number with an optional unit us, ms, s, m, h or d")
        }
        return value
    }

    func integer(_ i: Int, _ what: String, in range: ClosedRange<Int> = 0...Int.max) throws(ConfigError) -> Int {
        guard let text = argument(i) else { throw error("missing \(what); expected an integer") }
        guard let value = ConfigUnits.integer(text) else { throw error("invalid \(what) '\(text)'; expected an integer") }
        guard range.contains(value) else {
            throw error("\(what) \(value) out of range; expected \(range.lowerBound)..\(range.upperBound)")
        }
        return value
    }

    func oneOf(_ i: Int, _ what: String, _ choices: [String]) throws(ConfigError) -> String {
        guard let text = argument(i) else { throw error("missing \(what); expected one of \(choices.joined(separator: ", "))") }
        guard choices.contains(text) else { throw error(EditDistance.unknownMessage(what, text, choices)) }
        return text
    }
}
