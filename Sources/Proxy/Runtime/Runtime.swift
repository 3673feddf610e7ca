// Placeholder for the engine entry points; the integrator replaces this file.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the command line passes to the engine besides the configuration.
public struct RunOptions: Sendable, Equatable {
    /// `-db`: stay in the foreground even if the configuration says `daemon`.
    public var foreground = false
    /// `-d`: debug output.
    public var debug = false
    /// `-p PIDFILE` (overrides the global `pidfile`).
    public var pidfile: String? = nil
    /// `-sf PID...`: processes to ask to finish once we are listening.
    public var softStopPIDs: [Int32] = []
    /// The `-f` files, in order.
    public var configPaths: [String] = []
    public init() {}
}

public enum Runtime {
    public static func run(config: Configuration, options: RunOptions) -> Int32 {
        writeStandardError("ringproxy: engine not available in this build\n")
        return 2
    }

    public static func runDemo() -> Int32 {
        writeStandardError("ringproxy: engine not available in this build\n")
        return 2
    }
}

/// Writes to file descriptor 2 (the C `stderr` global is not concurrency-safe in Swift 6).
func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
