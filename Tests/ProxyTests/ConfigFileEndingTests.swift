import Foundation
import Testing
@testable import Proxy

/// A configuration file whose last line has no line feed may have been cut short while being
/// written; HAProxy 2.6 refuses it, and so does ringproxy, with the same line and position.
@Suite struct ConfigFileEndingTests {
    static let complete = "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nlisten a\n  bind 127.0.0.1:18999\n"

    func load(_ text: String) -> (errors: [String], accepted: Bool) {
        let dir = FileManagerTemp.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/t.cfg"
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try ConfigParser.load(paths: [path], environment: ConfigEnvironment())
            return ([], true)
        } catch {
            return (error.errors.map { "line \($0.line): \($0.message)" }, false)
        }
    }

    @Test func aLastLineWithoutLineFeedIsRefusedWithHAProxysPosition() {
        let cut = String(Self.complete.dropLast())            // "  bind 127.0.0.1:18999" is 22 bytes
        let result = load(cut)
        #expect(!result.accepted)
        #expect(result.errors == ["line 7: Missing LF on last line, file might have been truncated at position 23."])
        // Even a comment or blanks as the last line count, as in HAProxy.
        #expect(load(Self.complete + "# end").errors == ["line 8: Missing LF on last line, file might have been truncated at position 6."])
        #expect(load(Self.complete + "   ").errors == ["line 8: Missing LF on last line, file might have been truncated at position 4."])
    }

    @Test func completeAndEmptyFilesAreRead() {
        #expect(load(Self.complete).accepted)
        #expect(load("").errors.allSatisfy { !$0.contains("Missing LF") })
        #expect(load("defaults\r\n  mode http\r\n").errors.allSatisfy { !$0.contains("Missing LF") })
    }

    @Test(.enabled(if: haproxyAccepts("global\n") != nil, "haproxy 2.6 is the anchor for configuration verdicts"))
    func haproxyGivesTheSameVerdicts() {
        #expect(haproxyAccepts(String(Self.complete.dropLast())) == false)
        #expect(haproxyAccepts(Self.complete + "# end") == false)
        #expect(haproxyAccepts(Self.complete) == true)
    }
}
