// Process-level behaviour shared with HAProxy: daemon mode, pidfile, dropping privileges after
// binding, and signals (SIGTERM/SIGINT stop now, SIGUSR1 stops softly, -sf hands over).
#if canImport(Glibc)
import Glibc
#endif

public enum ProcessControl {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    /// Looks up the user and group now, before binding, so a typo fails early and clearly.
    public static func resolveIDs(user: String?, group: String?) throws -> (uid: uid_t?, gid: gid_t?) {
        var uid: uid_t? = nil, gid: gid_t? = nil
        if let user {
            guard let pw = getpwnam(user) else { throw Failure(description: "global 'user \(user)': no such user on this system") }
            uid = pw.pointee.pw_uid
            if group == nil { gid = pw.pointee.pw_gid }
        }
        if let group {
            guard let gr = getgrnam(group) else { throw Failure(description: "global 'group \(group)': no such group on this system") }
            gid = gr.pointee.gr_gid
        }
        return (uid, gid)
    }

    /// setgid then setuid, as HAProxy does after binding its sockets.
    public static func dropPrivileges(uid: uid_t?, gid: gid_t?) throws {
        if let gid, getegid() != gid {
            if setgroups(0, nil) != 0 && errno != EPERM { }
            if setgid(gid) != 0 { throw Failure(description: "cannot set group id \(gid): \(String(cString: strerror(errno))) (start as root to change group)") }
        }
        if let uid, geteuid() != uid {
            if setuid(uid) != 0 { throw Failure(description: "cannot set user id \(uid): \(String(cString: strerror(errno))) (start as root to change user)") }
        }
    }

    /// Forks to the background. Returns in the child only; the parent writes the child's pid to
    /// the pidfile (if any) and exits 0.
    public static func daemonize(pidfile: String?) {
        let pid = fork()
        if pid < 0 { perror("ringproxy: fork"); exit(1) }
        if pid > 0 {
            if let pidfile { writePidfile(pidfile, pid: pid) }
            _exit(0)
        }
        setsid()
        let null = open("/dev/null", O_RDWR)
        if null >= 0 { dup2(null, 0); dup2(null, 1); dup2(null, 2); if null > 2 { close(null) } }
    }

    public static func writePidfile(_ path: String, pid: pid_t) {
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            writeStderr("[WARNING] cannot create pidfile \(path): \(String(cString: strerror(errno)))\n")
            return
        }
        let line = "\(pid)\n"
        _ = line.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    /// The signals the runtime waits for; blocked in every thread so that one thread can
    /// sigwait() for them (no async-signal-safety concerns).
    public static func blockControlSignals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGTERM, SIGINT, SIGUSR1, SIGHUP, SIGQUIT] { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
        return set
    }

    public enum StopKind { case hard, soft }

    /// Waits for SIGTERM/SIGINT/SIGQUIT (hard) or SIGUSR1 (soft); returns which signal came.
    public static func waitForStop(_ set: sigset_t) -> (StopKind, Int32) {
        var set = set
        while true {
            var sig: Int32 = 0
            if sigwait(&set, &sig) != 0 { continue }
            switch sig {
            case SIGUSR1: return (.soft, sig)
            case SIGTERM, SIGINT, SIGQUIT: return (.hard, sig)
            default: continue        // SIGHUP: a worker's master reloads, not the worker
            }
        }
    }

    /// -sf: asks the old processes to stop softly once we listen on the same ports.
    public static func softStop(_ pids: [Int32]) {
        for p in pids where p > 0 { kill(p, SIGUSR1) }
    }
}
