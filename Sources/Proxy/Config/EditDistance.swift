// Nearest-name suggestions for misspelt keywords and arguments.

enum EditDistance {
    /// Levenshtein distance over Unicode scalars.
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = previous
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// The closest candidate, if it is close enough to be a plausible typo.
    static func suggestion(for word: String, among candidates: [String]) -> String? {
        let limit = max(2, word.count / 3)
        var best: (String, Int)? = nil
        for c in candidates {
            let d = distance(word.lowercased(), c.lowercased())
            if d <= limit, best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    /// "unknown WHAT 'x' (did you mean 'b'?); see WHERE" — for long lists of candidates.
    static func unknownMessage(_ what: String, _ word: String, among candidates: [String], see reference: String) -> String {
        var message = "unknown \(what) '\(word)'"
        if let s = suggestion(for: word, among: candidates) { message += " (did you mean '\(s)'?)" }
        return message + "; \(reference)"
    }

    /// "unknown WHAT 'x'; expected one of a, b, c (did you mean 'b'?)"
    static func unknownMessage(_ what: String, _ word: String, _ candidates: [String]) -> String {
        var message = "unknown \(what) '\(word)'; expected one of \(candidates.joined(separator: ", "))"
        if let s = suggestion(for: word, among: candidates) { message += " (did you mean '\(s)'?)" }
        return message
    }
}
