import Glibc

/// Routes health events as HAProxy does: to stderr (when not daemonized) and to the
/// backend's loggers at the event's level. Meant to be the HealthChecker's `onEvent`; it is
/// then called only from the checker thread, which is what makes its unsynchronised
/// SyslogSender safe (hence @unchecked Sendable). Events are rare: it flushes at once.
public final class HealthEventLogger: @unchecked Sendable {
    let sender: SyslogSender
    let targets: LogTargets
    let toStderr: Bool
    let pid: Int32

    public init(targets: LogTargets, toStderr: Bool, pid: Int32 = getpid()) {
        self.targets = targets
        self.toStderr = toStderr
        self.pid = pid
        self.sender = SyslogSender(targets: targets, capacity: 16)
    }

    public func callAsFunction(_ e: HealthEvent) {
        if toStderr {
            let line = HealthMessages.stderrLine(e, pid: pid) + "\n"
            _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        }
        sender.log(level: e.level, to: targets.log(of: e.backend), message: e.message)
        sender.flush()
    }
}
