// Splits one configuration line into words the way HAProxy 2.6's parse_line does:
// blanks separate words, `#` starts a comment (unless quoted or escaped), backslash escapes,
// single quotes (literal) and double quotes (escapes and environment variables honoured).
// Inside double quotes `$NAME`, `${NAME}`, `${NAME-default}`, `${NAME[*]}` (one word per
// blank-separated part of the value) and the pseudo-variables `$.FILE`, `$.LINE`, `$.SECTION`
// are replaced; outside double quotes `$` is an ordinary character (addresses get a second,
// legacy expansion: ConfigEnvironment.expandInAddress). U+00A0 (the no-break space that web
// pages put into copied configurations) counts as a blank outside quotes.

/// The words of one line, and what the lexer noticed on the way.
struct LexedLine: Equatable {
    var words: [String]
    /// True when an unquoted U+00A0 was treated as a blank on this line.
    var sawNoBreakSpace = false
}

/// What `$…` expands to on a line.
struct LexContext {
    var environment = ConfigEnvironment()
    var file = ""
    var line = 0
    /// `.SECTION`: the current section's name, or its type when it has none ("global").
    var section = ""
    /// `#` starts a comment (not in `-cc` conditions, as in HAProxy).
    var comments = true
}

enum ConfigLexer {
    /// Lexes one line (without its newline). Throws a message (no location) on a bad quote,
    /// escape or variable reference.
    static func lex(_ line: Substring.UTF8View, context: LexContext = LexContext()) throws(LexError) -> LexedLine {
        var result = LexedLine(words: [])
        var word: [UInt8] = []
        var inWord = false          // a word has started (even an empty quoted one)
        var quote: UInt8 = 0        // 0, '\'' or '"'
        var quoteStart = 0
        let bytes = Array(line)
        var i = 0

        func endWord() {
            if inWord { result.words.append(ConfigBytes.string(word)) }
            word.removeAll(keepingCapacity: true)
            inWord = false
        }

        while i < bytes.count {
            let c = bytes[i]
            if quote == UInt8(ascii: "'") {
                if c == quote { quote = 0 } else { word.append(c) }
                i += 1
                continue
            }
            if c == UInt8(ascii: "\\") {
                inWord = true
                let next: UInt8 = i + 1 < bytes.count ? bytes[i + 1] : 0
                switch next {
                case UInt8(ascii: " "), UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""):
                    word.append(next); i += 2
                case UInt8(ascii: "#") where context.comments:
                    word.append(next); i += 2
                case UInt8(ascii: "$") where quote == UInt8(ascii: "\""):
                    word.append(next); i += 2
                case UInt8(ascii: "t"): word.append(9); i += 2
                case UInt8(ascii: "n"): word.append(10); i += 2
                case UInt8(ascii: "r"): word.append(13); i += 2
                case 0xC2 where i + 2 < bytes.count && bytes[i + 2] == 0xA0:
                    // `\<U+00A0>`: a published `\ ` whose space became a no-break space.
                    result.sawNoBreakSpace = true
                    word.append(UInt8(ascii: " ")); i += 3
                case UInt8(ascii: "x"):
                    guard i + 3 < bytes.count, let hi = hexValue(bytes[i + 2]), let lo = hexValue(bytes[i + 3]) else {
                        throw LexError("truncated or invalid hexadecimal sequence at position \(i + 1); expected two hexadecimal digits (e.g. '\\x41')")
                    }
                    word.append(hi << 4 | lo); i += 4
                default:
                    // Not an escape: HAProxy keeps the backslash (regexes rely on it: `\.`),
                    // also at the end of a line (there is no line continuation).
                    word.append(c); i += 1
                }
                continue
            }
            if quote == UInt8(ascii: "\"") {
                if c == quote {
                    quote = 0; i += 1
                } else if c == UInt8(ascii: "$") {
                    i = try expandVariable(bytes, at: i, context: context, word: &word, words: &result.words)
                } else {
                    word.append(c); i += 1
                }
                continue
            }
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), 0x0B, 0x0C:
                endWord(); i += 1
            case 0xC2 where i + 1 < bytes.count && bytes[i + 1] == 0xA0:
                result.sawNoBreakSpace = true
                endWord(); i += 2
            case UInt8(ascii: "#") where context.comments:
                endWord()
                return result
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                quote = c; quoteStart = i; inWord = true; i += 1
            default:
                word.append(c); inWord = true; i += 1
            }
        }
        if quote != 0 {
            throw LexError("unmatched \(quote == UInt8(ascii: "'") ? "single" : "double") quote at position \(quoteStart + 1)")
        }
        endWord()
        return result
    }

    /// Expands the `$` reference at `start` (inside double quotes) into `word`; `${NAME[*]}`
    /// ends the current word at each blank of the value. Returns the index after the reference.
    private static func expandVariable(_ bytes: [UInt8], at start: Int, context: LexContext,
                                       word: inout [UInt8], words: inout [String]) throws(LexError) -> Int {
        var i = start + 1
        var brace: Int? = nil
        if i < bytes.count, bytes[i] == UInt8(ascii: "{") { brace = i; i += 1 }
        guard i < bytes.count, isNameStart(bytes[i]) else {
            throw LexError("forbidden first char in environment variable name at position \(i + 1); a name starts with a letter, '_' or '.' (write '\\$' for a literal '$' inside double quotes)")
        }
        let nameStart = i
        if bytes[i] == UInt8(ascii: ".") { i += 1 }
        while i < bytes.count, ConfigEnvironment.isNameByte(bytes[i]) { i += 1 }
        let name = String(decoding: bytes[nameStart..<i], as: UTF8.self)
        var value: [UInt8]?
        if name.hasPrefix(".") {
            switch name {
            case ".LINE": value = Array(String(context.line).utf8)
            case ".FILE": value = Array(context.file.utf8)
            case ".SECTION": value = Array(context.section.utf8)
            default:
                throw LexError("forbidden first char in environment variable name at position \(nameStart + 1); the pseudo-variables are .FILE, .LINE and .SECTION")
            }
        } else {
            value = context.environment[name].map { Array($0.utf8) }
        }
        var splitWords = false
        if let b = brace {
            if i < bytes.count, bytes[i] == UInt8(ascii: "[") {
                guard i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "*"), bytes[i + 2] == UInt8(ascii: "]") else {
                    throw LexError("truncated or invalid word expansion sequence at position \(i + 1); expected '${\(name)[*]}'")
                }
                splitWords = true
                i += 3
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") {
                // The default runs verbatim to the closing brace; it replaces an unset
                // variable, not an empty one.
                guard let close = bytes[i...].firstIndex(of: UInt8(ascii: "}")) else {
                    throw LexError("unmatched brace in environment variable name at position \(b + 1)")
                }
                if value == nil { value = Array(bytes[(i + 1)..<close]) }
                i = close
            } else if i >= bytes.count || bytes[i] != UInt8(ascii: "}") {
                throw LexError("unmatched brace in environment variable name at position \(b + 1)")
            }
            i += 1
        }
        guard let value else { return i }
        if !splitWords {
            word += value
            return i
        }
        var k = 0
        while k < value.count {
            if isBlank(value[k]) {
                words.append(ConfigBytes.string(word))
                word.removeAll(keepingCapacity: true)
                while k < value.count, isBlank(value[k]) { k += 1 }
            } else {
                word.append(value[k]); k += 1
            }
        }
        return i
    }

    private static func isNameStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
    }

    private static func isBlank(_ c: UInt8) -> Bool {
        c == 0x20 || (c >= 0x09 && c <= 0x0D)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

struct LexError: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}
