// HAProxy's server state-change messages (spec §7.2, observed byte for byte on 1.4 and 2.6),
// with the syslog level each one is sent at.

public enum HealthMessages {
    /// syslog levels HAProxy uses for these events.
    public static let downLevel = 1        // alert
    public static let upLevel = 5          // notice
    public static let noServerLevel = 0    // emerg

    /// `Server B/S is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`
    /// A backup server's messages start with `Backup Server` [obs 2.6.12].
    public static func down(backend: String, server: String, backup: Bool = false, result: CheckResult,
                            activeLeft: Int, backupLeft: Int, sessionsActive: Int = 0) -> String {
        "\(backup ? "Backup " : "")Server \(backend)/\(server) is DOWN, \(reason(result)). \(activeLeft) active and \(backupLeft) backup servers left. \(sessionsActive) sessions active, 0 requeued, 0 remaining in queue."
    }

    /// `Server B/S is UP, reason: Layer4 check passed, check duration: 0ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.`
    public static func up(backend: String, server: String, backup: Bool = false, result: CheckResult,
                          activeOnline: Int, backupOnline: Int) -> String {
        "\(backup ? "Backup " : "")Server \(backend)/\(server) is UP, \(reason(result)). \(activeOnline) active and \(backupOnline) backup servers online. 0 sessions requeued, 0 total in queue."
    }

    /// Sent when the last usable server of a backend goes DOWN.
    public static func noServer(backend: String) -> String {
        "backend \(backend) has no server available!"
    }

    /// The stderr form when not daemonized [obs 2.6.12]: `[WARNING]  (pid) : Server …` for
    /// server changes, `[ALERT]    (pid) : backend 'B' has no server available!` (quoted name).
    public static func stderrLine(_ e: HealthEvent, pid: Int32) -> String {
        if e.server == nil {
            return "[ALERT]    (\(pid)) : backend '\(e.backend)' has no server available!"
        }
        return "[WARNING]  (\(pid)) : \(e.message)"
    }

    /// `reason: X[, code: N][, info: "..."], check duration: Nms`
    static func reason(_ r: CheckResult) -> String {
        var s = "reason: \(r.status.description)"
        if r.status.hasCode { s += ", code: \(r.code)" }
        if !r.info.isEmpty { s += ", info: \"\(r.info)\"" }
        s += ", check duration: \(r.durationMs)ms"
        return s
    }
}
