// Runs ringproxy (or haproxy) as a child process on a config text, for end-to-end tests.
import Foundation
import Glibc
import Synchronization

struct ProxyProcessError: Error, CustomStringConvertible {
    let description: String
}

/// A proxy child process started with `-f <config> -db`, its output captured to files.
final class ProxyProcess: Sendable {
    let pid: pid_t
    let binary: String
    let directory: String
    var configPath: String { directory + "/proxy.cfg" }
    var stdoutPath: String { directory + "/stdout.log" }
    var stderrPath: String { directory + "/stderr.log" }
    /// The raw wait status, once the process has been reaped.
    var exitStatus: Int32? { reaped.withLock { $0 } }
    private let reaped = Mutex<Int32?>(nil)

    /// Exit code once exited; 128 + signal number when killed by a signal (as a shell says).
    var exitCode: Int32? {
        exitStatus.map { raw in raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f) }
    }

    /// The ringproxy binary: $RINGPROXY_BIN, else the newer of .build/release/ringproxy and
    /// .build/debug/ringproxy (so a stale release build is not tested by mistake).
    static var ringproxyBinary: String {
        if let env = ProcessInfo.processInfo.environment["RINGPROXY_BIN"], !env.isEmpty { return env }
        let root = packageRoot
        let candidates = ["\(root)/.build/release/ringproxy", "\(root)/.build/debug/ringproxy"]
        let existing = candidates.compactMap { path -> (String, Date)? in
            guard let attrs = try? FileManager.default.attributesOfItem(atPath: path),
                  let date = attrs[.modificationDate] as? Date else { return nil }
            return (path, date)
        }
        return existing.max { $0.1 < $1.1 }?.0 ?? candidates[1]
    }

    /// The package root, from this file's path (Tests/EndToEndTests/Support/ProxyProcess.swift).
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Writes `config` to a temporary file and starts `binary -f file -db` (plus `extraArguments`),
    /// then waits until the process listens on every port of `waitForPorts`.
    convenience init(config: String, binary: String = ProxyProcess.ringproxyBinary, waitForPorts: [UInt16] = [],
                     extraArguments: [String] = [], timeout: Duration = .seconds(10)) throws {
        let directory = try Self.makeDirectory()
        // HAProxy rejects a last line without LF; Swift's multi-line literals have none.
        let text = config.hasSuffix("\n") ? config : config + "\n"
        try text.write(toFile: directory + "/proxy.cfg", atomically: true, encoding: .utf8)
        try self.init(binary: binary, arguments: ["-f", directory + "/proxy.cfg", "-db"] + extraArguments,
                      directory: directory, waitForPorts: waitForPorts, timeout: timeout)
    }

    /// Starts `binary` with exactly `arguments` (e.g. none, for the built-in demo), then waits
    /// until it listens on every port of `waitForPorts`.
    convenience init(arguments: [String], binary: String = ProxyProcess.ringproxyBinary,
                     waitForPorts: [UInt16] = [], timeout: Duration = .seconds(10)) throws {
        try self.init(binary: binary, arguments: arguments, directory: Self.makeDirectory(),
                      waitForPorts: waitForPorts, timeout: timeout)
    }

    private init(binary: String, arguments: [String], directory: String, waitForPorts: [UInt16], timeout: Duration) throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ProxyProcessError(description: "no executable at \(binary) (build it, or set RINGPROXY_BIN)")
        }
        self.directory = directory
        self.binary = binary
        pid = try Self.spawn(binary, arguments: arguments,
                             stdout: directory + "/stdout.log", stderr: directory + "/stderr.log")
        do {
            try waitUntilListening(on: waitForPorts, timeout: timeout)
        } catch {
            stop()
            throw error
        }
    }

    /// Runs `binary arguments` to completion (e.g. `-c -f file`, `-v`); kills it after `timeout`.
    static func run(_ arguments: [String], binary: String = ProxyProcess.ringproxyBinary,
                    timeout: Duration = .seconds(10)) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = try ProxyProcess(arguments: arguments, binary: binary)
        let deadline = ContinuousClock.now + timeout
        while p.isRunning, ContinuousClock.now < deadline { usleep(5_000) }
        p.stop()
        return (p.exitCode ?? -1, p.stdoutText, p.stderrText)
    }

    /// Writes a config file in a fresh temporary directory (the caller removes it), for
    /// `run(["-c", "-f", path])`.
    static func writeConfig(_ config: String) throws -> String {
        let path = try makeDirectory() + "/proxy.cfg"
        try (config.hasSuffix("\n") ? config : config + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/ringproxy-e2e-XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw ProxyProcessError(description: "mkdtemp: errno \(errno)") }
        return String(cString: dir)
    }

    /// Stops the process and removes its directory (config and logs) unless RINGPROXY_KEEP_E2E
    /// is set, for a post-mortem.
    deinit {
        stop()
        if ProcessInfo.processInfo.environment["RINGPROXY_KEEP_E2E"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    var stdoutText: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderrText: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits until stdout or stderr contains `text`; returns the output seen (throws on timeout
    /// or when the process exits without printing it).
    @discardableResult
    func waitForOutput(containing text: String, timeout: Duration = .seconds(10)) throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let seen = stdoutText + stderrText
            if seen.contains(text) { return seen }
            guard isRunning, ContinuousClock.now < deadline else {
                throw ProxyProcessError(description: "\(binary) did not print '\(text)' (exit code \(exitCode.map(String.init) ?? "none")): \(seen)")
            }
            usleep(20_000)
        }
    }

    /// Open descriptors of the process right now (nil once it has exited).
    func openFDCount() -> Int? { exitStatus == nil ? ProcessInspector.openFDCount(pid: pid) : nil }

    /// True while the process has not exited (reaps it if it has).
    var isRunning: Bool {
        reaped.withLock { reaped in
            guard reaped == nil else { return false }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { reaped = status; return false }
            return true
        }
    }

    /// Polls until the process listens on all `ports`; throws with its stderr if it exits first.
    func waitUntilListening(on ports: [UInt16], timeout: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard isRunning else {
                throw ProxyProcessError(description: "\(binary) exited (exit code \(exitCode ?? -1)) before listening on \(ports): \(stderrText)\(stdoutText)")
            }
            if Set(ports).isSubset(of: ProcessInspector.listeningPorts(pid: pid)) { return }
            guard ContinuousClock.now < deadline else {
                throw ProxyProcessError(description: "\(binary) not listening on \(ports) after \(timeout): \(stderrText)")
            }
            usleep(20_000)
        }
    }

    /// SIGTERM, then SIGKILL after 2 s; reaps the child. Returns the wait status. Idempotent.
    @discardableResult
    func stop() -> Int32? {
        guard isRunning else { return exitStatus }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < deadline {
            if !isRunning { return exitStatus }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        return reaped.withLock { reaped in
            if reaped == nil {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                reaped = status
            }
            return reaped
        }
    }

    /// Sends a signal (e.g. SIGUSR1 for a soft stop).
    func signal(_ sig: Int32) { kill(pid, sig) }

    private static func spawn(_ path: String, arguments: [String], stdout: String, stderr: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw ProxyProcessError(description: "posix_spawn \(path): \(String(cString: strerror(rc)))") }
        return pid
    }
}

/// HAProxy (when installed) run the same way, to check the harness and compare behaviour.
enum HAProxyProcess {
    /// Path of the `haproxy` binary, nil when it is not installed.
    static let executable: String? = {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/sbin", "/usr/local/sbin", "/sbin"]
        return dirs.map { "\($0)/haproxy" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var isInstalled: Bool { executable != nil }

    static func start(config: String, waitForPorts: [UInt16] = [], timeout: Duration = .seconds(10)) throws -> ProxyProcess {
        guard let executable else { throw ProxyProcessError(description: "haproxy is not installed") }
        return try ProxyProcess(config: config, binary: executable, waitForPorts: waitForPorts, timeout: timeout)
    }
}
