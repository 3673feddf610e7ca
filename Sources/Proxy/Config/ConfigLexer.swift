// Splits one configuration line into words the way HAProxy's parse_line does:
// blanks separate words, `#` starts a comment (unless quoted or escaped), backslash escapes,
// single quotes (literal) and double quotes (escapes honoured). U+00A0 (the no-break space
// that web pages put into copied configurations) counts as a blank outside quotes.

/// The words of one line, and what the lexer noticed on the way.
struct LexedLine: Equatable {
    var words: [String]
    /// True when an unquoted U+00A0 was treated as a blank on this line.
    var sawNoBreakSpace = false
}

enum ConfigLexer {
    /// Lexes one line (without its newline). Throws a message (no location) on a bad quote or escape.
    static func lex(_ line: Substring.UTF8View) throws(LexError) -> LexedLine {
        var result = LexedLine(words: [])
        var word: [UInt8] = []
        var inWord = false          // a word has started (even an empty quoted one)
        var quote: UInt8 = 0        // 0, '\'' or '"'
        let bytes = Array(line)
        var i = 0

        func endWord() {
            if inWord { result.words.append(String(decoding: word, as: UTF8.self)) }
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
                guard i + 1 < bytes.count else { throw LexError("backslash at end of line; write '\\\\' for a literal backslash") }
                let next = bytes[i + 1]
                inWord = true
                switch next {
                case UInt8(ascii: " "), UInt8(ascii: "#"), UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""):
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
                        throw LexError("invalid '\\x' escape; expected two hexadecimal digits (e.g. '\\x41')")
                    }
                    word.append(hi << 4 | lo); i += 4
                default:
                    // HAProxy keeps unknown escapes verbatim (regexes rely on it: `\.`).
                    word.append(c); word.append(next); i += 2
                }
                continue
            }
            if quote == UInt8(ascii: "\"") {
                if c == quote { quote = 0 } else { word.append(c) }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), 0x0B, 0x0C:
                endWord(); i += 1
            case 0xC2 where i + 1 < bytes.count && bytes[i + 1] == 0xA0:
                result.sawNoBreakSpace = true
                endWord(); i += 2
            case UInt8(ascii: "#"):
                endWord()
                return result
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                quote = c; inWord = true; i += 1
            default:
                word.append(c); inWord = true; i += 1
            }
        }
        if quote != 0 {
            throw LexError("unterminated \(quote == UInt8(ascii: "'") ? "single" : "double") quote")
        }
        endWord()
        return result
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
