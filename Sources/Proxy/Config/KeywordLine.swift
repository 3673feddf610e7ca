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
    /// Warnings found while reading the arguments (a lenient time such as `15min`); the parser
    /// adds them to the configuration's warnings once the line is applied.
    let warnings = LineWarnings()

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
        switch ConfigUnits.time(text) {
        case .value(let ms, let trailing):
            if let trailing {
                warnings.add("unexpected character '\(trailing.first!)' after the timer value '\(text)', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported; read as \(ms) ms, as HAProxy 2.6 does")
            }
            return ms
        case .overflow:
            throw error("timer overflow in \(what) '\(text)'; the maximum is 2147483647 ms (about 24.8 days)")
        case .invalid:
            throw error("invalid \(what) '\(text)'; expected a number with an optional unit us, ms, s, m, h or d")
        }
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

/// Collects the warnings of one line while its handler runs (a class: KeywordLine is copied).
final class LineWarnings {
    private(set) var messages: [String] = []
    func add(_ message: String) { messages.append(message) }
}
