import Foundation
import Testing
@testable import Proxy

/// The README's keyword table is generated from the parser's registry: they must not drift.
@Suite struct ReadmeKeywordTableTests {
    @Test func readmeTableEqualsTheRegistry() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- keywords:begin -->\n"))
        let end = try #require(readme.range(of: "<!-- keywords:end -->"))
        let table = String(readme[begin.upperBound..<end.lowerBound])
        #expect(table.trimmingCharacters(in: .whitespacesAndNewlines) ==
                KeywordRegistry.markdownTable().trimmingCharacters(in: .whitespacesAndNewlines),
                "regenerate it with: .build/release/ringproxy --list-keywords")
    }
}
