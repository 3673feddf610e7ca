// Helpers for the Process* suites: waiting on conditions, processes the test did not spawn
// (a daemon), whether anything listens on a port, and requests run on a background thread.
import CBench
import CUring
import Foundation
import Glibc
import Synchronization

enum ProcessProbe {
    /// Polls `condition` every 10 ms until it holds or `timeout` passes; returns its last value.
    @discardableResult
    static func waitUntil(timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    /// True while `pid` exists and is not a zombie (a daemon is not our child: no waitpid).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
        return state != "Z" && state != "X"
    }

    /// True when some socket of this machine listens on `port` (any address). Asks netlink for
    /// the listening sockets only: `String(contentsOfFile: "/proc/net/tcp")` returned the file's
    /// first 4 KiB, so a listener past the first few dozen went unseen.
    static func isListening(_ port: UInt16) -> Bool {
        [AF_INET, AF_INET6].contains { family in
            ProcessInspector.listeningTCPSockets(family: family).contains { $0.1 == port }
        }
    }

    /// The `Uid:` line of /proc/PID/status as numbers (real, effective, saved, filesystem).
    static func uids(_ pid: pid_t) -> [UInt32] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return [] }
        return line.dropFirst(4).split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) }
    }

    /// SIGTERM, then SIGKILL after 2 s, for a process that is not our child.
    static func terminate(_ pid: pid_t) {
        guard pid > 1, isAlive(pid) else { return }
        kill(pid, SIGTERM)
        if !waitUntil(timeout: .seconds(2), { !isAlive(pid) }) { kill(pid, SIGKILL) }
    }
}

/// Something run on its own thread (a client waiting for a slow answer); `wait` returns its
/// result, or nil when it did not finish in time.
final class BackgroundTask<T: Sendable>: Sendable {
    private let result = Mutex<Result<T, any Error>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () throws -> T) {
        Thread.detachNewThread { [self] in
            let r = Result { try work() }
            result.withLock { $0 = r }
            done.signal()
        }
    }

    func wait(timeout: Duration = .seconds(10)) -> Result<T, any Error>? {
        let ms = RawHTTP.milliseconds(timeout)
        guard done.wait(timeout: .now() + .milliseconds(Int(ms))) == .success else { return nil }
        done.signal()            // so a second wait returns too
        return result.withLock { $0 }
    }

    var isFinished: Bool { result.withLock { $0 != nil } }
}

extension RawHTTP {
    /// Half-closes the connection: the proxy reads EOF, the response can still arrive.
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// One GET on a fresh connection, returning the status (and timing) for a background task.
    static func timedGet(port: UInt16, path: String, timeout: Duration = .seconds(10)) throws -> (status: Int, elapsed: Duration) {
        let start = ContinuousClock.now
        let r = try RawHTTP.get(port: port, path: path, timeout: timeout)
        return (r.status, ContinuousClock.now - start)
    }
}
