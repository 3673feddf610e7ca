// One entry of the keyword registry: where the keyword is allowed, how it is written, what it
// does, its HAProxy 2.x spelling when it is legacy, and the handler that applies it.

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
