// The runtime API's command table and HAProxy's help screen: `help`, an unknown command, and a
// partly known one print the usage lines (the partly known case proposes the closest commands,
// by the same word-fingerprint distance HAProxy uses).

public struct CLICommand: Sendable {
    public typealias Handler = @Sendable (CLIRequest, CLISession, RuntimeControl) -> CLIReply
    /// The words that select the command (`show servers state`).
    public let words: [String]
    /// The help line (syntax padded to 40 columns, `: `, summary); nil: not listed.
    public let usage: String?
    /// Also served by the master CLI (HAProxy's ACCESS_MASTER).
    public let master: Bool
    public let handler: Handler

    public init(_ words: String, _ syntax: String?, _ summary: String = "", master: Bool = false, _ handler: @escaping Handler) {
        self.words = words.split(separator: " ").map(String.init)
        if let syntax {
            usage = syntax.count >= 40 ? syntax + ": " + summary : syntax + String(repeating: " ", count: 40 - syntax.count) + ": " + summary
        } else {
            usage = nil
        }
        self.master = master
        self.handler = handler
    }

    /// True when the request starts with this command's words.
    func matches(_ request: CLIRequest) -> Bool {
        guard request.words.count >= words.count else { return false }
        for (i, w) in words.enumerated() where request.words[i] != w { return false }
        return true
    }
}

public enum CLIHelp {
    static let trailer = """
          help [<command>]                        : list matching or all commands
          prompt                                  : toggle interactive mode with prompt
          quit                                    : disconnect

        """
    static let maxMatches = 5
    static let prefixWords = 5

    /// HAProxy's cli_gen_usage_msg: the help screen for `help [words]` or an unknown command.
    public static func usage(for request: CLIRequest?, commands: [CLICommand]) -> String {
        var args = request?.words ?? []
        var isHelp = false
        if args.first == "help" { args.removeFirst(); isHelp = true }
        // The number of leading words some command matches exactly.
        var length = 0
        for c in commands {
            var idx = 0
            while idx < prefixWords && idx < c.words.count && idx < args.count && !args[idx].isEmpty && c.words[idx] == args[idx] {
                idx += 1
            }
            length = max(length, idx)
        }
        var out: String
        if isHelp { out = "The following commands are valid at this level:\n" }
        else if length == 0 && (args.first ?? "").isEmpty { out = "Unknown command. Please enter one of the following commands only:\n" }
        else { out = "Unknown command, but maybe one of the following ones is a better match:\n" }

        func prefixMatches(_ c: CLICommand) -> Bool {
            var idx = 0
            while idx < length {
                if idx >= c.words.count || idx >= args.count || args[idx].isEmpty || c.words[idx] != args[idx] { break }
                idx += 1
            }
            return idx == length
        }

        var entries: [CLICommand] = []
        // Fuzzy candidates on the words after the exact prefix.
        if length < args.count && !args[length].isEmpty {
            var matches: [(CLICommand, Int)] = []
            for c in commands where c.usage != nil && prefixMatches(c) && length < max(c.words.count, length + 1) {
                var wordFP = Fingerprint(), listFP = Fingerprint()
                var total = 0
                var i = length
                while i < prefixWords && i < args.count && !args[i].isEmpty { wordFP.add(args[i]); total += args[i].utf8.count; i += 1 }
                i = length
                while i < prefixWords && i < c.words.count { listFP.add(c.words[i]); total += c.words[i].utf8.count; i += 1 }
                let dist = wordFP.distance(to: listFP)
                guard dist < 5 * total / 2 else { continue }
                if matches.count < maxMatches || dist < matches[maxMatches - 1].1 {
                    // Insert keeping the order (stable for equal distances).
                    var pos = matches.count
                    while pos > 0 && matches[pos - 1].1 > dist { pos -= 1 }
                    matches.insert((c, dist), at: pos)
                    if matches.count > maxMatches { matches.removeLast() }
                }
            }
            if let best = matches.first?.1 {
                for (c, d) in matches where d <= 5 * best / 2 { entries.append(c) }
            }
        }
        if entries.isEmpty {
            for c in commands where c.usage != nil && prefixMatches(c) { entries.append(c) }
        }
        for line in entries.map({ $0.usage! }).sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            out += "  " + line + "\n"
        }
        return out + trailer
    }

    /// HAProxy's word fingerprint: counts of letter-class transitions (tools.c).
    struct Fingerprint {
        var cells = [Int](repeating: 0, count: 1024)

        mutating func add(_ word: String) {
            var from = 28
            for b in word.utf8 {
                let to: Int
                switch b {
                case UInt8(ascii: "a")...UInt8(ascii: "z"): to = Int(b - UInt8(ascii: "a")) + 1
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): to = Int(b - UInt8(ascii: "A")) + 1
                case UInt8(ascii: "0")...UInt8(ascii: "9"): to = 27
                default: to = 28
                }
                cells[to] = 1
                cells[32 * from + to] += 1
                from = to
            }
            cells[32 * from + 28] += 1
        }

        func distance(to other: Fingerprint) -> Int {
            var d = 0
            for i in 0..<1024 { d += abs(cells[i] - other.cells[i]) }
            return d
        }
    }
}
