import Foundation
import Testing
@testable import Proxy

/// Helpers shared by the Config* suites.
enum ConfigTestSupport {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// Parses text that must be valid; records the errors as a test failure otherwise.
    static func parse(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Configuration? {
        do {
            return try ConfigParser.parse(text: text, file: "t.cfg")
        } catch {
            Issue.record("unexpected errors:\n\(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Parses text that must be invalid and returns its errors.
    static func errors(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [ConfigError] {
        do {
            _ = try ConfigParser.parse(text: text, file: "t.cfg")
            Issue.record("expected errors, the configuration parsed", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.errors
        }
    }

    /// A frontend and a backend around `body` lines, for keyword tests.
    static func backend(_ body: String) -> String {
        "defaults\n mode http\nbackend b\n" + body + "\n"
    }

    static func frontend(_ body: String) -> String {
        "defaults\n mode http\nfrontend f\n bind :8080\n" + body + "\nbackend b\n server s 127.0.0.1:80\n"
    }
}
