// The one table of every keyword ringproxy knows. It drives dispatch (which handler runs),
// the section rules, the suggestions for misspelt keywords, and the README's keyword table.

public enum KeywordRegistry {
    /// Every keyword, in the order the README lists them.
    public static let keywords: [ConfigKeyword] =
        (GlobalKeywords.all + ProcessVariableKeywords.all + ProcessKeywords.all + UnixBindKeywords.all + CPUMapKeywords.all + EnvironmentKeywords.all + ProxyKeywords.all + BindKeywords.all + OptionKeywords.all + ProxyOptionKeywords.all
        + LogKeywords.all + BalanceKeywords.all + ServerKeywords.all + PersistenceKeywords.all + RoutingKeywords.all + UseServerKeywords.all + StatsKeywords.all
        + RuntimeAPIKeywords.all + HTTPRuleKeywords.all + ExperimentalKeywords.all + OriginalToKeywords.all + AcceptInvalidRequestKeywords.all + HeaderNamePolicyKeywords.all + TCPRuleKeywords.all + TuneKeywords.all + IgnoredKeywords.all)
        .map(PeersKeywords.overlay) + RingKeywords.all + ProgramKeywords.all + CheckKeywords.all + PeersKeywords.all + CompressionKeywords.all + ResolversKeywords.all + CacheKeywords.all + ServerTemplateKeyword.all + LogForwardKeywords.all

    static let byName: [String: ConfigKeyword] = Dictionary(keywords.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    /// A name may have one entry per section kind (`server` in a backend and in a ring).
    static let allByName: [String: [ConfigKeyword]] = Dictionary(grouping: keywords, by: \.name)
    /// First words that only ever start a two-word keyword ("timeout", "option", "stats", ...).
    static let groups: Set<String> = Set(keywords.filter { $0.name.contains(" ") }.map { String($0.name.split(separator: " ")[0]) })
    static let prefixes: [ConfigKeyword] = keywords.filter(\.isPrefix)

    /// Finds the keyword a line starts with, or throws an "unknown keyword" error with a suggestion.
    static func resolve(_ words: [String], section: ConfigSection, at location: SourceLocation) throws(ConfigError) -> (keyword: ConfigKeyword, argumentStart: Int) {
        let first = words[0]
        let here = SectionSet(section)
        /// The entry allowed here, else the first one (whose section error then names where it is allowed).
        func pick(_ ks: [ConfigKeyword]?) -> ConfigKeyword? { ks?.first { $0.sections.contains(here) } ?? ks?.first }
        if words.count > 1, let k = pick(allByName[first + " " + words[1]]) { return (k, 2) }
        // `http-request set-var(txn.x) ...`: the action carries its argument in parentheses.
        if words.count > 1, let paren = words[1].firstIndex(of: "("), let k = pick(allByName[first + " " + words[1][..<paren]]) { return (k, 2) }
        if let k = pick(allByName[first]) { return (k, 1) }
        if let k = prefixes.first(where: { first.hasPrefix($0.name.dropLast()) }) { return (k, 1) }
        if groups.contains(first) {
            let subs = keywords.filter { $0.name.hasPrefix(first + " ") && $0.sections.contains(here) }
                .map { String($0.name.dropFirst(first.count + 1)) }
            guard words.count > 1 else {
                throw ConfigError(location, first, "missing argument; expected one of \(subs.joined(separator: ", "))")
            }
            throw ConfigError(location, first, EditDistance.unknownMessage("'\(first)' argument", words[1], subs))
        }
        if UnsupportedKeywords.names.contains(first) {
            throw ConfigError(location, first, UnsupportedKeywords.message(first))
        }
        let candidates = keywords.filter { $0.sections.contains(here) && !$0.isPrefix }.map { String($0.name.split(separator: " ")[0]) }
        var message = "unknown keyword in a '\(section.rawValue)' section"
        if let s = EditDistance.suggestion(for: first, among: Array(Set(candidates)).sorted()) {
            message += " (did you mean '\(s)'?)"
        } else if let k = keywords.first(where: { $0.name.split(separator: " ")[0] == first }) {
            message += "; '\(k.name)' is allowed in: \(k.sections.names.joined(separator: ", "))"
        }
        throw ConfigError(location, first, message)
    }

    /// A markdown table of every keyword: name, sections, syntax, description, HAProxy 2.x spelling.
    public static func markdownTable() -> String {
        var lines = [
            "| Keyword | Sections | Syntax | Description | HAProxy 2.x spelling |",
            "|---|---|---|---|---|",
        ]
        for k in keywords {
            let summary = k.ignored ? "Accepted and ignored (warning). " + k.summary : k.summary
            let cells = [
                "`\(k.name)`",
                k.sections.names.joined(separator: ", "),
                "`\(k.syntax)`",
                summary,
                k.modern.map { "`\($0)`" } ?? "",
            ]
            lines.append("| " + cells.map { $0.replacingPipes() }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

private extension String {
    func replacingPipes() -> String {
        var out = ""
        for c in self { if c == "|" { out += "\\|" } else { out.append(c) } }
        return out
    }
}
