// One configuration line as a keyword handler sees it, with typed argument accessors that
// throw errors naming the keyword and what was expected.

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
