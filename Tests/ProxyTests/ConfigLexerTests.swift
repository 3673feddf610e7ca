import Testing
@testable import Proxy

@Suite struct ConfigLexerTests {
    func words(_ line: String) throws -> [String] { try ConfigLexer.lex(Substring(line).utf8).words }

    @Test func blanksAndComments() throws {
        #expect(try words("  log \t 127.0.0.1   local0  # comment here") == ["log", "127.0.0.1", "local0"])
        #expect(try words("# only a comment") == [])
        #expect(try words("a#b") == ["a"])
        #expect(try words("") == [])
    }

    @Test func backslashEscapes() throws {
        #expect(try words(#"stats realm 9ai9.net\ Qhappy"#) == ["stats", "realm", "9ai9.net Qhappy"])
        #expect(try words(##"a\#b"##) == ["a#b"])
        #expect(try words(#"a\\b"#) == [#"a\b"#])
        #expect(try words(#"\"x\'"#) == [#""x'"#])
        #expect(try words(#"a\tb\nc\rd"#) == ["a\tb\nc\rd"])
        #expect(try words(#"\x41\x62z"#) == ["Abz"])
        // Unknown escapes stay verbatim (regexes such as `\.` rely on it).
        #expect(try words(#"^foo\.bar$"#) == [#"^foo\.bar$"#])
    }

    @Test func quotes() throws {
        #expect(try words(#"realm "my realm # not a comment""#) == ["realm", "my realm # not a comment"])
        #expect(try words(#"'single \t kept' x"#) == [#"single \t kept"#, "x"])
        #expect(try words(#""tab\there""#) == ["tab\there"])
        #expect(try words(#"ab"c d"e"#) == ["abc de"])
        #expect(try words(#"x "" y"#) == ["x", "", "y"])
    }

    @Test func noBreakSpaceIsABlankOutsideQuotes() throws {
        let lexed = try ConfigLexer.lex(Substring("log\u{A0}\u{A0}127.0.0.1\u{A0}local0").utf8)
        #expect(lexed.words == ["log", "127.0.0.1", "local0"])
        #expect(lexed.sawNoBreakSpace)
        let quoted = try ConfigLexer.lex(Substring("realm \"a\u{A0}b\"").utf8)
        #expect(quoted.words == ["realm", "a\u{A0}b"])
        #expect(!quoted.sawNoBreakSpace)
    }

    @Test func lexErrors() {
        #expect(throws: LexError.self) { try words(#"realm "unterminated"#) }
        #expect(throws: LexError.self) { try words("realm 'unterminated") }
        #expect(throws: LexError.self) { try words(#"bad \xZZ"#) }
        #expect(throws: LexError.self) { try words(#"bad \x4"#) }
    }

    @Test func trailingBackslashIsLiteral() throws {
        // HAProxy has no line continuation: a final backslash is kept as a character.
        #expect(try words(#"trailing \"#) == ["trailing", #"\"#])
    }

    @Test func timeUnits() {
        #expect(ConfigUnits.milliseconds("5000") == 5000)
        #expect(ConfigUnits.milliseconds("500ms") == 500)
        #expect(ConfigUnits.milliseconds("5s") == 5000)
        #expect(ConfigUnits.milliseconds("2m") == 120_000)
        #expect(ConfigUnits.milliseconds("5h") == 18_000_000)
        #expect(ConfigUnits.milliseconds("1d") == 86_400_000)
        #expect(ConfigUnits.milliseconds("1500us") == 2)
        #expect(ConfigUnits.milliseconds("0") == 0)
        #expect(ConfigUnits.milliseconds("5x") == nil)
        #expect(ConfigUnits.milliseconds("-5") == nil)
        #expect(ConfigUnits.milliseconds("") == nil)
        #expect(ConfigUnits.milliseconds("s") == nil)
        #expect(ConfigUnits.milliseconds("99999999999999999999d") == nil)
        #expect(ConfigUnits.milliseconds("999999999999999d") == nil)
    }

    @Test func sizeUnits() {
        #expect(ConfigUnits.size("1m") == 1_048_576)
        #expect(ConfigUnits.size("200k") == 204_800)
        #expect(ConfigUnits.size("2g") == 2_147_483_648)
        #expect(ConfigUnits.size("100") == 100)
        #expect(ConfigUnits.size("1t") == nil)
    }
}

@Suite struct ConfigLexerNoBreakSpaceEscapeTests {
    @Test func escapedNoBreakSpaceIsAnEscapedSpace() throws {
        let lexed = try ConfigLexer.lex(Substring("stats\u{A0}realm\u{A0}9ai9.net\\\u{A0}Qhappy").utf8)
        #expect(lexed.words == ["stats", "realm", "9ai9.net Qhappy"])
        #expect(lexed.sawNoBreakSpace)
    }
}
