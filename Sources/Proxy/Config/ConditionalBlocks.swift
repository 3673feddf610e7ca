// The nesting of `.if` / `.elif` / `.else` / `.endif` in one file, as HAProxy 2.6 tracks it:
// each level remembers whether a branch was already taken, so that at most one branch of a
// level is read, and a level inside a dropped branch is skipped without evaluating anything.

struct ConditionalBlocks {
    enum Level {
        case ifTaken, ifDropped, ifSkipped          // skipped: inside a dropped outer branch
        case elifTaken, elifDropped, elifSkipped    // skipped: an earlier branch was taken
        case elseTaken, elseDropped

        var isReading: Bool { self == .ifTaken || self == .elifTaken || self == .elseTaken }
        /// True once a branch of this level has been (or could not be) taken.
        var isSettled: Bool { self == .ifTaken || self == .ifSkipped || self == .elifTaken || self == .elifSkipped }
        var afterElse: Bool { self == .elseTaken || self == .elseDropped }
    }

    private(set) var levels: [Level] = []

    /// Lines are read only when every open level is in a taken branch.
    var isReading: Bool { levels.last?.isReading ?? true }
    var isOpen: Bool { !levels.isEmpty }

    /// Applies one directive line. `evaluate` is called only when the condition matters.
    /// Returns nil, or the error message for a misplaced directive or a failed condition.
    mutating func apply(_ directive: String, _ arguments: [String],
                        evaluate: (String) -> Result<Bool, PreprocessorCondition.Failure>) -> String? {
        let expression = arguments.joined(separator: " ")
        switch directive {
        case ".if":
            if let outer = levels.last, !outer.isReading {
                levels.append(.ifSkipped)
                return nil
            }
            switch evaluate(expression) {
            case .success(let taken): levels.append(taken ? .ifTaken : .ifDropped)
            case .failure(let f):
                levels.append(.ifDropped)
                return "\(f.message) in '.if' at position \(f.position + 1)"
            }
        case ".elif":
            guard let current = levels.last else { return "lone '.elif' with no matching '.if'" }
            if current.afterElse { return "'.elif' after '.else' is not permitted" }
            if current.isSettled {
                levels[levels.count - 1] = .elifSkipped
                return nil
            }
            switch evaluate(expression) {
            case .success(let taken): levels[levels.count - 1] = taken ? .elifTaken : .elifDropped
            case .failure(let f):
                levels[levels.count - 1] = .elifDropped
                return "\(f.message) in '.elif' at position \(f.position + 1)"
            }
        case ".else":
            if let extra = arguments.first { return "unexpected argument '\(extra)' for '.else'" }
            guard let current = levels.last else { return "lone '.else' with no matching '.if'" }
            if current.afterElse { return "'.else' after '.else' is not permitted" }
            levels[levels.count - 1] = current.isSettled ? .elseDropped : .elseTaken
        case ".endif":
            if let extra = arguments.first { return "unexpected argument '\(extra)' for '.endif'" }
            guard !levels.isEmpty else { return "lone '.endif' with no matching '.if'" }
            levels.removeLast()
        default:
            return "unknown directive '\(directive)'"
        }
        return nil
    }

    static let names: Set<String> = [".if", ".elif", ".else", ".endif"]
}
