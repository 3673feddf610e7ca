// Errors found while reading a configuration: where, which keyword, what was expected.

public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// The keyword being parsed ("balance", "timeout connect", "server"), or "" for lexing errors.
    public var keyword: String
    public var message: String
    public init(file: String, line: Int, keyword: String, message: String) {
        self.file = file; self.line = line; self.keyword = keyword; self.message = message
    }
    init(_ location: SourceLocation, _ keyword: String, _ message: String) {
        self.init(file: location.file, line: location.line, keyword: keyword, message: message)
    }
    /// `seed.cfg:42: 'balance': unknown algorithm 'rondrobin'; expected one of ...`
    public var description: String {
        keyword.isEmpty ? "\(file):\(line): \(message)" : "\(file):\(line): '\(keyword)': \(message)"
    }
}

/// Every error of a configuration (parsing goes on after the first one where it can).
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    /// Warnings gathered before the errors stopped the load (shown by `-c` too).
    public var warnings: [String]
    public init(errors: [ConfigError], warnings: [String] = []) { self.errors = errors; self.warnings = warnings }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
