import Foundation

/// One thing `compare` measures: a proxy process it started, or a backend reached directly.
final class CompareTarget {
    struct Result {
        var report: BenchReport
        var cpuPerRequest: Double?
    }
    let name: String
    let port: UInt16
    private(set) var process: Process?
    var failure: String?
    var results: [Result] = []
    var pid: Int32? { process.map { $0.processIdentifier } }

    init(name: String, port: UInt16) {
        self.name = name
        self.port = port
    }

    /// Writes the configuration, starts the proxy in the foreground and waits for its port.
    /// A proxy that cannot start becomes a target with a `failure`, reported, not fatal.
    static func proxy(name: String, binary: String, config: String, args: (String) -> [String],
                      port: UInt16, dir: URL, cpu: Int? = nil) -> CompareTarget {
        let t = CompareTarget(name: name, port: port)
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            t.failure = "not runnable: \(binary) (set RINGPROXY_BIN or build it)"
            return t
        }
        let cfg = dir.appendingPathComponent("\(name).cfg")
        let logURL = dir.appendingPathComponent("\(name).log")
        do {
            try config.write(to: cfg, atomically: true, encoding: .utf8)
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
            let p = Process()
            // With a CPU given, every proxy runs pinned there (spec notes §6.1: equal cores).
            if let cpu, let taskset = findExecutable("taskset") {
                p.executableURL = URL(fileURLWithPath: taskset)
                p.arguments = ["-c", String(cpu), binary] + args(cfg.path)
            } else {
                p.executableURL = URL(fileURLWithPath: binary)
                p.arguments = args(cfg.path)
            }
            let logFile = try FileHandle(forWritingTo: logURL)
            p.standardOutput = logFile
            p.standardError = logFile
            try p.run()
            t.process = p
        } catch {
            t.failure = "could not start \(binary): \(error)"
            return t
        }
        if !waitListening(port, seconds: 3) {
            let tail = (try? String(contentsOf: logURL, encoding: .utf8))?
                .split(separator: "\n").suffix(3).joined(separator: " | ") ?? ""
            let exited = t.process?.isRunning == false
            t.failure = (exited ? "exited" : "not listening on \(port) after 3 s") + (tail.isEmpty ? "" : ": \(tail)")
        }
        return t
    }

    func stop() {
        guard let p = process, p.isRunning else { return }
        p.terminate()  // SIGTERM to this pid only
        for _ in 0..<40 where p.isRunning { usleep(50_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    }
}
