import Foundation

/// A fresh temporary directory per call, for tests that need real files.
enum FileManagerTemp {
    static func directory() -> String {
        let path = NSTemporaryDirectory() + "ringproxy-config-tests-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
