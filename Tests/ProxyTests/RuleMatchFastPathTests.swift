// The shortcuts on the ACL path must answer exactly what the general code answers:
// RegexAnchoredLiteral against PCRE2 itself, HeaderElements.firstCommaOrQuote against a byte loop.
import Testing
@testable import Proxy

@Suite struct RuleMatchFastPathTests {
    static let subjects: [String] = [
        "", "c", "cookie.bench.test", "COOKIE.Bench.TEST", "cookie.bench.test:8080", "cookieXbenchYtest",
        "cookie.bench.tes", "xcookie.bench.test", "cookie\nbench.test", "cookie\rbench.test", "cookie\u{0B}bench.test",
        "cookie-bench_test", "www.example.com/path", "WWW.EXAMPLE.COM", "a:b/c", "9ai9.net", "cookie.9ai9.net",
    ]
    static let patterns: [String] = [
        "^(cookie.bench.test)", "^cookie.bench.test", "^(COOKIE.bench.test)", "^(www.example.com/)", "^a:b/c",
        "^(9ai9)", "^c", "^(cookie-bench_test)",
        // not literal: PCRE2 only (the recogniser must refuse them)
        "^(cookie|www)", "cookie.bench", "^()", "^(a.*)", "^a\\.b", "^[a-z]+",
    ]

    @Test func literalPatternsAnswerAsPCRE2() throws {
        let scratch = RegexScratch()
        for pattern in Self.patterns {
            for caseless in [false, true] {
                let re = try Regex(pattern, caseless: caseless)
                for subject in Self.subjects {
                    var s = subject
                    let (fast, pcre) = s.withUTF8 { u in
                        let b = UnsafeRawBufferPointer(u)
                        return (re.matches(b, scratch), re.search(b, from: 0, scratch) > 0)
                    }
                    #expect(fast == pcre, "\(pattern) caseless=\(caseless) on \(subject.debugDescription)")
                }
            }
        }
    }

    @Test func recognisesOnlyLiteralPatterns() {
        #expect(RegexAnchoredLiteral(pattern: "^(cookie.bench.test)", caseless: true)?.bytes == Array("cookie.bench.test".utf8))
        #expect(RegexAnchoredLiteral(pattern: "^(COOKIE.x)", caseless: true)?.bytes == Array("cookie.x".utf8))
        #expect(RegexAnchoredLiteral(pattern: "^(COOKIE.x)", caseless: false)?.bytes == Array("COOKIE.x".utf8))
        for p in ["cookie", "^(a|b)", "^a$", "^a\\.b", "^a+", "^()", "^", "^(a)b)", "^a?", "^(?i)a", "^a b"] {
            #expect(RegexAnchoredLiteral(pattern: p, caseless: false) == nil, "\(p)")
        }
    }

    @Test func commaOrQuoteSearchAgreesWithAByteLoop() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("ab,\" .-".utf8) + [0x2C + 0x80, 0x22 + 0x80, 0xAC, 0xA2, 0x2B, 0x2D, 0x21, 0x23]
        for _ in 0..<3000 {
            let n = Int.random(in: 0...40, using: &rng)
            let bytes = (0..<n).map { _ in Int.random(in: 0..<10, using: &rng) < 8 ? UInt8(ascii: "x") : alphabet.randomElement(using: &rng)! }
            bytes.withUnsafeBytes { b in
                for from in 0...n {
                    var want = from
                    while want < n && b[want] != UInt8(ascii: ",") && b[want] != UInt8(ascii: "\"") { want += 1 }
                    #expect(HeaderElements.firstCommaOrQuote(b, from: from) == want)
                }
            }
        }
    }
}
