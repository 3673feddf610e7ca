import Testing
@testable import Proxy

/// `.if`/`.elif`/`.else`/`.endif`, `.notice`/`.warning`/`.alert`, and the conditions
/// (also those of `ringproxy -cc`), as HAProxy 2.6 evaluates them.
@Suite struct ConfigPreprocessorTests {
    let context = PreprocessorCondition.Context(environment: ConfigEnvironment(["TESTVAR": "1", "EMPTY": ""]))

    func value(_ text: String) -> Bool? {
        if case .success(let b) = PreprocessorCondition.evaluate(text, context) { return b }
        return nil
    }

    @Test func conditionsOfHAProxysCheckConditionTest() {
        #expect(value("version_atleast(2.4)") == true)
        #expect(value("version_atleast(1024)") == false)
        #expect(value("streq(foo,foo)") == true)
        #expect(value("streq(foo bar,foo bar)") == true)
        #expect(value("streq(foo,bar)") == false)
        #expect(value("defined(TESTVAR) && streq(1,1)") == true)
        #expect(value("feature(OPENSSL) || !feature(OPENSSL)") == true)
        #expect(value("1&&!0&&!((streq(a,b)||!streq(a,a)&&1)||strneq(a,a))") == true)
        #expect(value("1   &&!   0&&    !((streq(a,b)||!streq(a,a)&&1)||strneq(a,a))") == true)
        #expect(value("1 && !0 && !((streq(a,b) || !streq(a,a) && 1) || strneq(a,b))") == false)
        #expect(value("1 && !0 && !((streq(a,a) || !streq(a,a) && 1) || strneq(a,a))") == false)
        #expect(value("") == false)
        #expect(value("-1000 && 200") == true)
        #expect(value("200rrr") == nil)
        #expect(value("!(0))") == nil)
    }

    @Test func predicates() {
        #expect(value("defined(EMPTY)") == true && value("defined(NOPE)") == false && value("defined") == false)
        #expect(value("strneq(a,b)") == true && value("streq('a,b',\"a,b\")") == true)
        #expect(value("feature(LINUX_SPLICE)") == true && value("feature(SPLICE)") == false && value("feature(OPENSSL)") == false)
        #expect(value("version_atleast(2.6.12) && !version_atleast(2.6.13) && version_before(2.7-dev0)") == true)
        #expect(value("version_atleast(2.6-dev0) && version_atleast(2.5-dev7) && !version_before(2.6)") == true)
        #expect(value("0x10 && 010 && !0") == true)
        #expect(value("ssllib_name_startswith(OpenSSL)") == false)
        #expect(value("openssl_version_atleast(1.1.1)") == nil)          // no SSL library: an error
        #expect(value("0 && openssl_version_atleast(1.1.1)") == false)   // ... only when reached
    }

    @Test func syntaxErrors() {
        for bad in ["nope(1)", "streq(a)", "defined(A,B)", "(1", "1 &&", "|| 1", " ", "feature (X)", "streq"] {
            #expect(value(bad) == nil, "\(bad)")
        }
    }

    @Test func versionNumbers() {
        #expect(VersionNumber.split("2.6.12") == [2, 6, 12, 0, 3, 0, 0])
        #expect(VersionNumber.split("1.2.1-pre2") == [1, 2, 1, 0, 2, 2, 0])
        #expect(VersionNumber.split("1.5-dev18-43") == [1, 5, 0, 0, 1, 18, 43])
        #expect(VersionNumber.split("2.4-dev18-f6818d-20") == [2, 4, 0, 0, 1, 18, 20])
        #expect(VersionNumber.split("1.2.10.1") == [1, 2, 10, 1, 3, 0, 0])
        #expect(VersionNumber.split("x") == nil)
        #expect(VersionNumber.compare("2.6-dev0", withCurrent: "2.6.12") == -1)
        #expect(VersionNumber.compare("2.6.12", withCurrent: "2.6.12") == 0)
        #expect(VersionNumber.compare("2.7", withCurrent: "2.6.12") == 1)
    }

    @Test func blocksTakeOneBranch() throws {
        let text = """
            .if streq("$A",1)
            frontend one
            .elif streq("$A",2)
            frontend two
            .else
            frontend other
            .endif
                bind :80
            .if 0
              .if 1
              frontend never
              .endif
            .elif 1
              .if 0
              frontend no
              .else
              frontend nested
              .endif
            .elif 1
            frontend notTwice
            .endif
                bind :81
            """
        for (a, expected) in [("1", ["one", "nested"]), ("2", ["two", "nested"]), ("3", ["other", "nested"])] {
            let c = try ConfigParser.parse(text: text, file: "t.cfg", environment: ConfigEnvironment(["A": a]))
            #expect(c.proxies.map(\.name) == expected)
        }
    }

    @Test func messages() throws {
        let c = try ConfigParser.parse(text: ".notice \"hello ${WHO}\"\n.warning careful\n.diag d\nfrontend f\n bind :80\n", file: "t.cfg",
                                       environment: ConfigEnvironment(["WHO": "you"]))
        #expect(c.preprocessor.notices == ["t.cfg:1: 'hello you'"])
        #expect(c.warnings == ["t.cfg:2: 'careful'"])
        #expect(c.preprocessor.diagnostics == ["t.cfg:3: 'd'"])
    }

    @Test func alertStopsTheReading() {
        let errors = ConfigTestSupport.errors(".if !feature(OPENSSL)\n.alert \"SSL support is mandatory\"\n.endif\nfrontend f\n bind :80\n unknown-keyword\n")
        #expect(errors.map(\.description) == ["t.cfg:2: 'SSL support is mandatory'"])
    }

    @Test func misplacedDirectives() {
        let cases: [(String, String)] = [
            (".else\n", "lone '.else'"), (".endif\n", "lone '.endif'"), (".elif 1\n", "lone '.elif'"),
            (".if 1\n.else\n.else\n.endif\n", "'.else' after '.else'"), (".if 1\n.else\n.elif 1\n.endif\n", "'.elif' after '.else'"),
            (".if 1\nfrontend f\n bind :80\n", "non-terminated '.if' block"), (".if 1\n.endif x\n", "unexpected argument 'x'"),
            (".if nope(1)\n.endif\n", "unparsable conditional expression"), (".foo\n", "unknown directive '.foo'"),
            (".notice a b\n", "unexpected argument 'b'"),
        ]
        for (text, message) in cases {
            let errors = ConfigTestSupport.errors(text)
            #expect(errors.contains { $0.message.contains(message) }, "\(text): \(errors)")
        }
    }

    @Test func skippedLinesAreStillLexed() {
        // HAProxy reads every line; a bad quote in a dropped block is still an error.
        #expect(ConfigTestSupport.errors(".if 0\n bind \"x\n.endif\nfrontend f\n bind :80\n").first?.message.contains("unmatched double quote") == true)
    }
}
