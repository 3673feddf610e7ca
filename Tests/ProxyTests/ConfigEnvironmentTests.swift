import Testing
@testable import Proxy

/// Environment variables as HAProxy 2.6 expands them: inside double quotes only (with defaults,
/// `[*]` word splitting and the pseudo-variables), never inside single quotes, plus the legacy
/// second expansion of addresses; `setenv` & co. change what later lines see.
@Suite struct ConfigEnvironmentTests {
    let env = ConfigEnvironment(["FOO": "8081", "EMPTY": "", "LIST": " a  b\tc", "HOST": "10.0.0.7"])

    func words(_ line: String, file: String = "f.cfg", line number: Int = 7, section: String = "web") throws -> [String] {
        try ConfigLexer.lex(Substring(line).utf8, context: LexContext(environment: env, file: file, line: number, section: section)).words
    }

    @Test func expandsOnlyInsideDoubleQuotes() throws {
        #expect(try words(#"x "$FOO" "${FOO}" "${FOO}x" "a$FOO-b""#) == ["x", "8081", "8081", "8081x", "a8081-b"])
        #expect(try words(#"x $FOO ${FOO} '$FOO' '${FOO}'"#) == ["x", "$FOO", "${FOO}", "$FOO", "${FOO}"])
        #expect(try words(#""$NOPE" "pre${NOPE}post""#) == ["", "prepost"])
    }

    @Test func defaultsReplaceUnsetNotEmpty() throws {
        #expect(try words(#""${NOPE-5s}" "${FOO-9}" "${EMPTY-x}" "${NOPE-a b}""#) == ["5s", "8081", "", "a b"])
        #expect(try words(#""${HAPROXY_TEST_TIMEOUT-5s}""#) == ["5s"])
    }

    @Test func wordSplitting() throws {
        // Leading blanks make an empty word first, as in HAProxy.
        #expect(try words(#"k "${LIST[*]}" z"#) == ["k", "", "a", "b", "c", "z"])
        #expect(try words(#"k "x${FOO[*]}y""#) == ["k", "x8081y"])
        #expect(throws: LexError.self) { try words(#""${LIST[x]}""#) }
    }

    @Test func escapes() throws {
        #expect(try words(#""a\$FOO" a\$FOO"#) == ["a$FOO", #"a\$FOO"#])
    }

    @Test func pseudoVariables() throws {
        #expect(try words(#""$.FILE:${.LINE}:$.SECTION""#) == ["f.cfg:7:web"])
        #expect(throws: LexError.self) { try words(#""$.NOPE""#) }
    }

    @Test func badReferences() {
        #expect(throws: LexError.self) { try words(#""price 5$""#) }        // '$' then a quote
        #expect(throws: LexError.self) { try words(#""${FOO""#) }
        #expect(throws: LexError.self) { try words(#""${FOO-x""#) }
        #expect(throws: LexError.self) { try words(#""$1""#) }
    }

    @Test func legacyAddressExpansion() {
        #expect(env.expandInAddress("$HOST:${FOO}") == "10.0.0.7:8081")
        #expect(env.expandInAddress("${NOPE}:${NOPE}") == ":")
        #expect(env.expandInAddress("${FOO-1}") == "8081-1}")        // no defaults here
        #expect(env.expandInAddress("10.0.0.1:80") == "10.0.0.1:80")
    }

    @Test func setenvFamilyChangesLaterLines() throws {
        let text = """
            global
                setenv PORT 9000
                presetenv PORT 1
                presetenv OTHER 7
                setenv GONE x
                unsetenv GONE FOO
            frontend f
                bind ":${PORT}"
                bind ":${OTHER}"
                bind ":$PORT"
                bind ":${GONE-9100}"
            backend b
                server s "${HOST}:${FOO-81}"
            """
        let c = try ConfigParser.parse(text: text, file: "t.cfg", environment: env)
        #expect(c.proxy(named: "f")?.binds.map(\.port) == [9000, 7, 9000, 9100])
        #expect(c.proxy(named: "b")?.servers.first.map { "\($0.host):\($0.port)" } == "10.0.0.7:81")
        #expect(c.preprocessor.environment["PORT"] == "9000" && c.preprocessor.environment["GONE"] == nil)
    }

    @Test func resetenvKeepsOnlyTheNamedOnes() throws {
        let c = try ConfigParser.parse(text: "global\n resetenv HOST\n setenv A b\nfrontend f\n bind :80\n", file: "t.cfg", environment: env)
        #expect(c.preprocessor.environment.values == ["HOST": "10.0.0.7", "A": "b"])
    }

    @Test func setenvErrors() {
        #expect(ConfigTestSupport.errors("global\n setenv A\n").first?.message.contains("expects a name and a value") == true)
        #expect(ConfigTestSupport.errors("global\n setenv A \"\"\n").first?.message.contains("expects a name and a value") == true)
        #expect(ConfigTestSupport.errors("global\n unsetenv\n").first?.message.contains("at least one variable name") == true)
    }

    @Test func cfgfilesIsSetAfterTheFiles() throws {
        let dir = FileManagerTemp.directory()
        let path = dir + "/a.cfg"
        try "frontend f\n bind \":${HAPROXY_CFGFILES-8080}\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let c = try ConfigParser.load(paths: [path], environment: ConfigEnvironment())
        #expect(c.proxy(named: "f")?.binds.first?.port == 8080)      // not visible while reading
        #expect(c.preprocessor.environment["HAPROXY_CFGFILES"] == path)
    }
}
