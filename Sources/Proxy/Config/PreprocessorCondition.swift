// The conditions of `.if`/`.elif` lines and of `ringproxy -cc EXPR`, as HAProxy 2.6 reads them:
// `0` / non-zero integers, `!`, `( … )`, `&&` (binds tighter), `||`, and the predicates
// defined(NAME), feature(NAME), streq(A,B), strneq(A,B), version_atleast(V), version_before(V),
// openssl_version_atleast(V), openssl_version_before(V), ssllib_name_startswith(S).
// The whole expression is parsed first (a syntax error anywhere is an error), then evaluated
// left to right with short-circuit (a predicate that cannot be evaluated is an error only when
// it is reached). An empty condition is false.

struct PreprocessorCondition {
    /// What the predicates look at.
    struct Context {
        var environment: ConfigEnvironment
        var features = BuildInfo.featureList
        var version = BuildInfo.dialectVersion
    }

    struct Failure: Error, Equatable {
        var message: String
        /// 0-based offset in the expression text where the problem is.
        var position: Int
    }

    /// Parses and evaluates `text` (the words after `.if`, joined by single spaces).
    static func evaluate(_ text: String, _ context: Context) -> Result<Bool, Failure> {
        var parser = Parser(bytes: Array(text.utf8))
        if parser.bytes.isEmpty { return .success(false) }
        do {
            let expression = try parser.parseOr(depth: 0)
            parser.skipBlanks()
            if parser.i < parser.bytes.count {
                let c = String(decoding: [parser.bytes[parser.i]], as: UTF8.self)
                throw Failure(message: "unexpected character '\(c)' at the end of conditional expression '\(text)'", position: parser.i)
            }
            return .success(try expression.value(context))
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(message: "\(error)", position: 0))
        }
    }

    /// The predicates, with how many arguments each needs.
    static let predicates: [String: Int] = [
        "defined": 1, "feature": 1, "streq": 2, "strneq": 2, "version_atleast": 1, "version_before": 1,
        "openssl_version_atleast": 1, "openssl_version_before": 1, "ssllib_name_startswith": 1,
    ]

    indirect enum Node {
        case constant(Bool)
        case predicate(String, [String], position: Int)
        case not(Node)
        case and(Node, Node)
        case or(Node, Node)

        func value(_ context: Context) throws(Failure) -> Bool {
            switch self {
            case .constant(let b): return b
            case .not(let n): return !(try n.value(context))
            case .and(let a, let b):
                guard try a.value(context) else { return false }
                return try b.value(context)
            case .or(let a, let b):
                if try a.value(context) { return true }
                return try b.value(context)
            case .predicate(let name, let args, let position):
                switch name {
                case "defined": return context.environment[args[0]] != nil
                case "feature": return BuildInfo.hasFeature(args[0], in: context.features)
                case "streq": return args[0] == args[1]
                case "strneq": return args[0] != args[1]
                case "version_atleast", "version_before":
                    // As HAProxy: an unparsable version compares as "older" (-3 <= 0).
                    let order = VersionNumber.compare(args[0], withCurrent: context.version)
                    return name == "version_atleast" ? order <= 0 : order > 0
                case "ssllib_name_startswith": return false      // no TLS library
                default:
                    throw Failure(message: "'\(name)' cannot be evaluated: ringproxy is built without an SSL library", position: position)
                }
            }
        }
    }

    struct Parser {
        var bytes: [UInt8]
        var i = 0
        static let maxDepth = 64

        mutating func skipBlanks() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
        }

        func text(from start: Int) -> String { String(decoding: bytes[start...], as: UTF8.self) }

        mutating func parseOr(depth: Int) throws(Failure) -> Node {
            let start = i
            guard depth < Parser.maxDepth else { throw Failure(message: "unparsable conditional expression '\(text(from: start))' (nested too deeply)", position: i) }
            guard i < bytes.count else { throw Failure(message: "unparsable conditional expression '\(text(from: start))'", position: i) }
            let left = try parseAnd(depth: depth + 1)
            skipBlanks()
            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "|"), bytes[i + 1] == UInt8(ascii: "|") else { return left }
            i += 2
            skipBlanks()
            return .or(left, try parseOr(depth: depth + 1))
        }

        mutating func parseAnd(depth: Int) throws(Failure) -> Node {
            let start = i
            guard i < bytes.count else { throw Failure(message: "unparsable conditional sub-expression '\(text(from: start))'", position: i) }
            guard let left = try parseTerm(depth: depth + 1) else {
                throw Failure(message: "unparsable conditional sub-expression '\(text(from: i))'", position: i)
            }
            skipBlanks()
            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "&"), bytes[i + 1] == UInt8(ascii: "&") else { return left }
            i += 2
            skipBlanks()
            return .and(left, try parseAnd(depth: depth + 1))
        }

        /// nil when there is nothing left to parse.
        mutating func parseTerm(depth: Int) throws(Failure) -> Node? {
            skipBlanks()
            guard i < bytes.count else { return nil }
            let start = i
            guard depth < Parser.maxDepth else { throw Failure(message: "unparsable conditional expression '\(text(from: start))' (nested too deeply)", position: i) }
            var negated = false
            while i < bytes.count, bytes[i] == UInt8(ascii: "!") {
                negated.toggle()
                i += 1
                skipBlanks()
            }
            func wrap(_ n: Node) -> Node { negated ? .not(n) : n }
            if let number = integerPrefix() {
                return wrap(.constant(number))
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "(") {
                i += 1
                skipBlanks()
                let inner = try parseOr(depth: depth + 1)
                skipBlanks()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ")") else {
                    throw Failure(message: "expected ')' after conditional expression '\(text(from: start))'", position: start)
                }
                i += 1
                skipBlanks()
                return wrap(inner)
            }
            var end = i
            while end < bytes.count, bytes[end] != 0x20, bytes[end] != UInt8(ascii: "(") { end += 1 }
            let word = String(decoding: bytes[i..<end], as: UTF8.self)
            guard let count = PreprocessorCondition.predicates[word] else {
                throw Failure(message: "unparsable conditional expression '\(text(from: start))'", position: start)
            }
            let position = i
            i = end
            let args = try arguments(count, of: word)
            return wrap(.predicate(word, args, position: position))
        }

        /// C's strtol(…, 0) prefix: sign, then 0x hex, 0 octal or decimal. Returns its truth.
        mutating func integerPrefix() -> Bool? {
            var j = i
            if j < bytes.count, bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-") { j += 1 }
            func digit(_ c: UInt8, _ base: Int) -> Int? {
                let v: Int
                switch c {
                case 0x30...0x39: v = Int(c - 0x30)
                case 0x61...0x66: v = Int(c - 0x61 + 10)
                case 0x41...0x46: v = Int(c - 0x41 + 10)
                default: return nil
                }
                return v < base ? v : nil
            }
            var base = 10
            if j + 1 < bytes.count, bytes[j] == UInt8(ascii: "0"),
               bytes[j + 1] == UInt8(ascii: "x") || bytes[j + 1] == UInt8(ascii: "X"),
               j + 2 < bytes.count, digit(bytes[j + 2], 16) != nil {
                base = 16; j += 2
            } else if j < bytes.count, bytes[j] == UInt8(ascii: "0") {
                base = 8
            }
            let digitsStart = j
            var nonZero = false
            while j < bytes.count, let d = digit(bytes[j], base) { if d != 0 { nonZero = true }; j += 1 }
            guard j > digitsStart else { return nil }
            i = j
            return nonZero
        }

        /// `(A[,B])` as HAProxy's make_arg_list reads it: quotes and `\` escapes, ',' and ')'
        /// end an argument outside quotes.
        mutating func arguments(_ count: Int, of name: String) throws(Failure) -> [String] {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "(") else {
                // Without parentheses HAProxy reads one empty argument: `defined` is false.
                guard count == 1 else {
                    throw Failure(message: "missing arguments (got 1/\(count)), type 'string' expected in argument 1 of predicate '\(name)' used in conditional expression", position: i)
                }
                return [""]
            }
            i += 1
            var args: [String] = []
            while args.count < count {
                var out: [UInt8] = []
                var squote = false, dquote = false
                while i < bytes.count {
                    let c = bytes[i]
                    if c == UInt8(ascii: "\"") && !squote { dquote.toggle(); i += 1; continue }
                    if c == UInt8(ascii: "'") && !dquote { squote.toggle(); i += 1; continue }
                    if c == UInt8(ascii: "\\") && !squote && i + 1 < bytes.count {
                        let n = bytes[i + 1]
                        switch n {
                        case UInt8(ascii: "\\"), 0x20, UInt8(ascii: "\""), UInt8(ascii: "'"): out.append(n); i += 2
                        case UInt8(ascii: "r"): out.append(13); i += 2
                        case UInt8(ascii: "n"): out.append(10); i += 2
                        case UInt8(ascii: "t"): out.append(9); i += 2
                        default: out.append(c); i += 1
                        }
                        continue
                    }
                    if !squote && !dquote && (c == UInt8(ascii: ",") || c == UInt8(ascii: ")")) { break }
                    out.append(c); i += 1
                }
                args.append(String(decoding: out, as: UTF8.self))
                guard i < bytes.count, bytes[i] != UInt8(ascii: ")"), args.count < count else { break }
                i += 1     // the comma
            }
            guard args.count == count else {
                throw Failure(message: "missing arguments (got \(args.count)/\(count)), type 'string' expected in argument \(args.count) of predicate '\(name)' used in conditional expression", position: i)
            }
            guard i < bytes.count, bytes[i] == UInt8(ascii: ")") else {
                let rest = text(from: min(i, bytes.count))
                throw Failure(message: (rest.isEmpty ? "expected ')'" : "expected ')' before '\(rest)'") + " in argument \(count) of predicate '\(name)' used in conditional expression", position: i)
            }
            i += 1
            return args
        }
    }
}
