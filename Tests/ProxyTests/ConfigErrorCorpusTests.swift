import Foundation
import Testing
@testable import Proxy

/// Broken configurations in Tests/Fixtures/broken. Each file starts with one line per expected
/// error: `# expect LINE 'KEYWORD' TEXT` (TEXT must appear in the message). A file must produce
/// exactly those errors, no more.
@Suite struct ConfigErrorCorpusTests {
    struct Expectation: Equatable { var line: Int; var keyword: String; var text: String }

    static let corpus: [String] = {
        let dir = ConfigTestSupport.fixtures.appendingPathComponent("broken").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".cfg") }.sorted()
            .map { dir + "/" + $0 }
    }()

    static func expectations(_ text: String) -> [Expectation] {
        text.split(separator: "\n").compactMap { line -> Expectation? in
            guard line.hasPrefix("# expect ") else { return nil }
            let rest = line.dropFirst("# expect ".count)
            guard let space = rest.firstIndex(of: " "), let number = Int(rest[..<space]) else { return nil }
            let afterNumber = rest[rest.index(after: space)...]
            guard afterNumber.hasPrefix("'"), let close = afterNumber.dropFirst().firstIndex(of: "'") else { return nil }
            let keyword = String(afterNumber[afterNumber.index(after: afterNumber.startIndex)..<close])
            let text = afterNumber[afterNumber.index(after: close)...].drop { $0 == " " }
            return Expectation(line: number, keyword: keyword, text: String(text))
        }
    }

    @Test func corpusIsNotEmpty() { #expect(Self.corpus.count >= 40) }

    @Test(arguments: corpus)
    func brokenConfigurationIsRejected(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let expected = Self.expectations(text)
        try #require(!expected.isEmpty, "no '# expect' line in \(path)")
        let errors: [ConfigError]
        do {
            _ = try ConfigParser.load(paths: [path])
            Issue.record("\(path) parsed without errors")
            return
        } catch {
            errors = error.errors
        }
        #expect(errors.count == expected.count, "\(errors.map(\.description))")
        for e in expected {
            let match = errors.first { $0.line == e.line && $0.keyword == e.keyword && $0.message.contains(e.text) }
            #expect(match != nil, "expected \(e) among \(errors.map(\.description))")
            // The rendered message names file:line and the keyword.
            if let match {
                #expect(match.description.hasPrefix("\(path):\(e.line): "))
                if !e.keyword.isEmpty { #expect(match.description.contains("'\(e.keyword)'")) }
            }
        }
    }

    @Test func errorDescriptionFormat() {
        let errors = ConfigTestSupport.errors("defaults\nbackend b\n balance rondrobin\n")
        #expect(errors.map(\.description) == [
            "t.cfg:3: 'balance': unknown algorithm 'rondrobin'; expected one of roundrobin, static-rr, leastconn, first, source, uri, url_param, hdr, random, rdp-cookie (did you mean 'roundrobin'?)"])
    }

    @Test func serverCookieWithoutBackendCookieIsAWarning() throws {
        // HAProxy accepts these values and ignores them; the reference seed.cfg has them.
        let c = try #require(ConfigTestSupport.parse("backend b\n mode http\n server s 127.0.0.1:80 cookie 11\n server t 127.0.0.1:81 cookie 12\n"))
        #expect(c.warnings == ["t.cfg:3: 'server': cookie value ignored for s '11', t '12': backend 'b' has no 'cookie' directive"])
        let withCookie = try #require(ConfigTestSupport.parse("backend b\n mode http\n server s 127.0.0.1:80 cookie 11\n cookie SRV insert\n"))
        #expect(withCookie.warnings.isEmpty)
    }

    @Test func frontendAndBackendMayShareAName() {
        #expect(ConfigTestSupport.parse("frontend app\n bind :80\n default_backend app\nbackend app\n server s 127.0.0.1:80\n") != nil)
    }

    @Test func missingFileIsAnError() {
        #expect(throws: ConfigErrors.self) { try ConfigParser.load(paths: ["/nonexistent/ringproxy.cfg"]) }
    }
}

/// Random and truncated input never crashes the parser.
@Suite struct ConfigFuzzTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func parseAnything(_ text: String) {
        _ = try? ConfigParser.parse(text: text, file: "fuzz.cfg")
    }

    @Test func randomBytes() {
        var rng = Generator(state: 42)
        for _ in 0..<300 {
            let count = Int.random(in: 0..<400, using: &rng)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            parseAnything(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func truncatedSeedLines() throws {
        let seed = try String(contentsOfFile: ConfigTestSupport.fixture("seed.cfg"), encoding: .utf8)
            + (try String(contentsOfFile: ConfigTestSupport.fixture("seed-haproxy26.cfg"), encoding: .utf8))
        let lines = seed.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() {
            for cut in stride(from: 0, through: line.count, by: 4) {
                var copy = lines
                copy[i] = line.prefix(cut)
                parseAnything(copy.joined(separator: "\n"))
            }
        }
    }

    @Test func shuffledTokens() throws {
        var rng = Generator(state: 7)
        let seed = try String(contentsOfFile: ConfigTestSupport.fixture("seed-haproxy26.cfg"), encoding: .utf8)
        let tokens = seed.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
            + ["{", "}", "!", "||", "or", "if", "unless", "\"", "'", "\\", "\\x", "#", ":", ":99999", "-m", "-i", "--", "no"]
        for _ in 0..<400 {
            var text = ["global", "defaults", "frontend f", "backend b", "listen l"].randomElement(using: &rng)! + "\n"
            for _ in 0..<Int.random(in: 1...30, using: &rng) {
                text += tokens.randomElement(using: &rng)!
                text += Bool.random(using: &rng) ? " " : "\n"
            }
            parseAnything(text)
        }
    }
}

/// HAProxy warns (and ignores) a frontend-side keyword in a backend and vice versa.
@Suite struct ConfigCapabilityTests {
    @Test func wrongSideKeywordsAreIgnoredWithAWarning() throws {
        let c = try #require(ConfigTestSupport.parse("frontend f\n bind :80\n balance source\n default_backend b\nbackend b\n bind :81\n option httplog\n server s 127.0.0.1:80\n"))
        #expect(c.warnings == [
            "t.cfg:3: 'balance' ignored because frontend 'f' has no backend capability",
            "t.cfg:6: 'bind' ignored because backend 'b' has no frontend capability",
            "t.cfg:7: 'option httplog' ignored because backend 'b' has no frontend capability",
        ])
        #expect(c.proxy(named: "f")?.balance == .roundRobin)
        #expect(c.proxy(named: "b")?.binds.isEmpty == true && c.proxy(named: "b")?.httpLog == false)
    }
}
