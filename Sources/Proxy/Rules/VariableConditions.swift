// The conditions of `set-var(SCOPE.NAME,COND...)` (action and converter; configuration.txt
// "set-var" converter): the new value is stored only if every condition holds. Parsed at
// load time into a bit set carried by the variable's slot, so an unconditional set-var
// pays one test of a zero byte.

/// The conditions a set-var may carry (at most four, as HAProxy).
public struct VarConditions: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let ifExists = VarConditions(rawValue: 1 << 0)
    public static let ifNotExists = VarConditions(rawValue: 1 << 1)
    public static let ifEmpty = VarConditions(rawValue: 1 << 2)
    public static let ifNotEmpty = VarConditions(rawValue: 1 << 3)
    public static let ifSet = VarConditions(rawValue: 1 << 4)
    public static let ifNotSet = VarConditions(rawValue: 1 << 5)
    public static let ifGreater = VarConditions(rawValue: 1 << 6)
    public static let ifLess = VarConditions(rawValue: 1 << 7)

    static let names: [(String, VarConditions)] = [
        ("ifexists", .ifExists), ("ifnotexists", .ifNotExists), ("ifempty", .ifEmpty), ("ifnotempty", .ifNotEmpty),
        ("ifset", .ifSet), ("ifnotset", .ifNotSet), ("ifgt", .ifGreater), ("iflt", .ifLess),
    ]

    /// The conditions named in `words`, or the first word that is not one (HAProxy's error
    /// names it too).
    static func parse(_ words: some Collection<String>) -> Result<VarConditions, VarConditionError> {
        if words.count > 4 { return .failure(.tooMany) }
        var c: VarConditions = []
        for w in words {
            guard let hit = names.first(where: { $0.0 == w }) else { return .failure(.unknown(w)) }
            c.insert(hit.1)
        }
        return .success(c)
    }

    /// Whether `input` may replace the current value. `exists`: the variable was created
    /// (proc variables always are: HAProxy creates them while parsing); `current`: its value
    /// when it has one.
    func allow(input: Sample, exists: Bool, current: VarValue?) -> Bool {
        if contains(.ifExists) && !exists { return false }
        if contains(.ifNotExists) && exists { return false }
        let empty: Bool
        switch input.type {
        case .string, .binary, .method: empty = input.bytes.count == 0
        default: empty = false   // scalars are never empty
        }
        if contains(.ifEmpty) && !empty { return false }
        if contains(.ifNotEmpty) && empty { return false }
        let isSet = current != nil
        if contains(.ifSet) && !isSet { return false }
        if contains(.ifNotSet) && isSet { return false }
        // ifgt/iflt compare only two integers; anything else lets the value through
        if let cur = current, cur.type == .int, input.type == .int {
            if contains(.ifGreater) && !(cur.int > input.int) { return false }
            if contains(.ifLess) && !(cur.int < input.int) { return false }
        }
        return true
    }
}

enum VarConditionError: Error, Equatable {
    case tooMany
    case unknown(String)

    var message: String {
        switch self {
        case .tooMany: "at most four set-var conditions are allowed"
        case .unknown(let w): "unknown set-var condition '\(w)'; expected ifexists, ifnotexists, ifempty, ifnotempty, ifset, ifnotset, ifgt or iflt"
        }
    }
}
