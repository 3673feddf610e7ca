// `http-request normalize-uri NORMALIZER [full|strict]` (HAProxy 2.6, experimental: allowed
// only after a global `expose-experimental-directives`) and the global keyword itself.

/// One URI normalizer of `http-request normalize-uri`.
public enum URINormalizer: Equatable, Sendable {
    case pathStripDot
    case pathStripDotDot(full: Bool)
    case pathMergeSlashes
    case percentDecodeUnreserved(strict: Bool)
    case percentToUppercase(strict: Bool)
    case querySortByName
    case fragmentStrip
    case fragmentEncode

    static let names = ["fragment-encode", "fragment-strip", "path-merge-slashes", "path-strip-dot", "path-strip-dotdot",
                        "percent-decode-unreserved", "percent-to-uppercase", "query-sort-by-name"]

    /// Reads the normalizer and its option from the rule's arguments.
    static func parse(_ r: inout ArgCursor, state: ParseState) throws(ConfigError) -> URINormalizer {
        let line = r.line
        guard state.config.global.exposeExperimentalDirectives else {
            throw line.error("'normalize-uri' action is experimental, must be allowed via a global 'expose-experimental-directives'")
        }
        guard let w = r.peek, w != "if" && w != "unless" else {
            throw line.error("'normalize-uri' expects a normalizer name: \(names.joined(separator: ", "))")
        }
        r.next()
        func option(_ word: String) -> Bool {
            guard r.peek == word else { return false }
            r.next()
            return true
        }
        switch w {
        case "path-strip-dot": return .pathStripDot
        case "path-strip-dotdot": return .pathStripDotDot(full: option("full"))
        case "path-merge-slashes": return .pathMergeSlashes
        case "percent-decode-unreserved": return .percentDecodeUnreserved(strict: option("strict"))
        case "percent-to-uppercase": return .percentToUppercase(strict: option("strict"))
        case "query-sort-by-name": return .querySortByName
        case "fragment-strip": return .fragmentStrip
        case "fragment-encode": return .fragmentEncode
        default: throw line.error("unknown normalizer '\(w)'.")
        }
    }
}

enum ExperimentalKeywords {
    static var all: [ConfigKeyword] {
        [ConfigKeyword("expose-experimental-directives", .global, "expose-experimental-directives",
                       "Allow HAProxy's experimental directives (here: http-request normalize-uri).") { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "expose-experimental-directives")
            state.config.global.exposeExperimentalDirectives = true
        }]
    }
}
