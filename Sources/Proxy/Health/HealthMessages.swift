// HAProxy's server state-change messages (spec §7.2, observed byte for byte on 1.4 and 2.6),
// with the syslog level each one is sent at.

public enum HealthMessages {
    /// syslog levels HAProxy uses for these events.
    public static let downLevel = 1        // alert
    public static let upLevel = 5          // notice
    public static let noServerLevel = 0    // emerg
    public static let checkLevel = 5       // notice: `option log-health-checks` lines

    /// `Server B/S is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`
    /// A backup server's messages start with `Backup Server` [obs 2.6.12]. With
    /// `option log-health-checks` the reason is left out (the check line said it).
    public static func down(backend: String, server: String, backup: Bool = false, result: CheckResult?,
                            activeLeft: Int, backupLeft: Int, sessionsActive: Int = 0) -> String {
        "\(backup ? "Backup " : "")Server \(backend)/\(server) is DOWN\(result.map { ", " + reason($0) } ?? ""). \(activeLeft) active and \(backupLeft) backup servers left.\(runningOnBackup(activeLeft, backupLeft)) \(sessionsActive) sessions active, 0 requeued, 0 remaining in queue."
    }

    /// `Server B/S is UP, reason: Layer4 check passed, check duration: 0ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.`
    public static func up(backend: String, server: String, backup: Bool = false, result: CheckResult?,
                          activeOnline: Int, backupOnline: Int) -> String {
        "\(backup ? "Backup " : "")Server \(backend)/\(server) is UP\(result.map { ", " + reason($0) } ?? ""). \(activeOnline) active and \(backupOnline) backup servers online.\(runningOnBackup(activeOnline, backupOnline)) 0 sessions requeued, 0 total in queue."
    }

    /// `Server B/S is stopping, reason: Layer7 check conditionally passed, code: 404, …. N active and M backup servers online. …`
    public static func stopping(backend: String, server: String, backup: Bool = false, result: CheckResult?,
                                activeOnline: Int, backupOnline: Int) -> String {
        "\(backup ? "Backup " : "")Server \(backend)/\(server) is stopping\(result.map { ", " + reason($0) } ?? ""). \(activeOnline) active and \(backupOnline) backup servers online.\(runningOnBackup(activeOnline, backupOnline)) 0 sessions requeued, 0 total in queue."
    }

    /// Admin changes an agent asks for (HAProxy's srv_update_status wording).
    public static func maintenance(backend: String, server: String, backup: Bool, wasDown: Bool, activeLeft: Int, backupLeft: Int) -> String {
        let who = "\(backup ? "Backup " : "")Server \(backend)/\(server)"
        if wasDown { return "\(who) was DOWN and now enters maintenance." }
        return "\(who) is going DOWN for maintenance. \(activeLeft) active and \(backupLeft) backup servers left.\(runningOnBackup(activeLeft, backupLeft)) 0 sessions active, 0 requeued, 0 remaining in queue."
    }

    public static func leavingMaintenance(backend: String, server: String, backup: Bool, down: Bool, drain: Bool) -> String {
        "\(backup ? "Backup " : "")Server \(backend)/\(server) is \(down ? "DOWN" : "UP")/\(drain ? "DRAIN" : "READY") (leaving forced maintenance)."
    }

    public static func drain(backend: String, server: String, backup: Bool, activeOnline: Int, backupOnline: Int) -> String {
        "\(backup ? "Backup " : "")Server \(backend)/\(server) enters drain state. \(activeOnline) active and \(backupOnline) backup servers online.\(runningOnBackup(activeOnline, backupOnline)) 0 sessions requeued, 0 total in queue."
    }

    public static func leavingDrain(backend: String, server: String, backup: Bool, down: Bool) -> String {
        "\(backup ? "Backup " : "")Server \(backend)/\(server) is \(down ? "DOWN" : "UP") (leaving forced drain)."
    }

    static func runningOnBackup(_ active: Int, _ backup: Int) -> String { backup > 0 && active == 0 ? " Running on backup." : "" }

    /// `option log-health-checks`: `Health check for server B/S succeeded, reason: …, status: 1/1 UP`
    /// (HAProxy's set_server_check_status, logged at notice with a final period).
    public static func check(backend: String, server: String, backup: Bool = false, agent: Bool = false,
                             result: CheckResult, status: String) -> String {
        let verdict = result.status == .l7okc ? "conditionally succeeded" : (result.status.passed ? "succeeded" : "failed")
        return "\(agent ? "Agent" : "Health") check for \(backup ? "backup " : "")server \(backend)/\(server) \(verdict), \(reason(result)), status: \(status)."
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

    /// `reason: X[, code: N][, info: "..."], check duration: Nms`; the info is escaped as
    /// HAProxy's chunk_asciiencode does (non-printable bytes, `<`, `>` and `"` as `<HH>`).
    static func reason(_ r: CheckResult) -> String {
        var s = "reason: \(r.status.description)"
        if r.status.hasCode { s += ", code: \(r.code)" }
        if !r.info.isEmpty { s += ", info: \"\(asciiEncoded(r.info))\"" }
        if r.durationMs >= 0 { s += ", check duration: \(r.durationMs)ms" }
        return s
    }

    static func asciiEncoded(_ s: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in s.utf8 {
            if b < 32 || b >= 127 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">") {
                out += [UInt8(ascii: "<"), hex[Int(b >> 4)], hex[Int(b & 15)], UInt8(ascii: ">")]
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
