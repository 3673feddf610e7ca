// How the master starts a worker: this same executable with the command line it was given,
// less what only the master acts on (-W/-Ws, -S, -D, -p, -x, -sf/-st), in the foreground,
// with its end of the master's socket pair in the environment (which makes it a worker) and,
// on a reload, `-x sockpair@N` plus the tables' connection to the old worker.
#if canImport(Glibc)
import Glibc
#endif

enum WorkerLauncher {
    /// The arguments a worker runs with.
    static func workerArguments(_ args: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            switch a {
            case "-W", "-Ws", "-D":
                break
            case "-S", "-p", "-x":
                i += 1                         // and its value
            case "-sf", "-st":
                while i + 1 < args.count, !args[i + 1].hasPrefix("-") { i += 1 }
            case "--":
                out += args[i...]
                return out
            default:
                out.append(a)
            }
            i += 1
        }
        return out
    }

    /// The path of this executable.
    static var executable: String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return CommandLine.arguments[0] }
        let path = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Replaced by an upgrade since the master started: the new file at the same path.
        return path.hasSuffix(" (deleted)") ? String(path.dropLast(" (deleted)".count)) : path
    }

    /// Starts a worker; `inherit` are descriptors it gets at the same numbers (their
    /// close-on-exec flag is cleared in the child only). Returns its pid.
    static func spawn(arguments: [String], environment: [String: String], inherit: [Int32]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 onto itself clears FD_CLOEXEC in the child (POSIX 2024; glibc does it).
        for fd in inherit { posix_spawn_file_actions_adddup2(&actions, fd, fd) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var env: [String: String] = [:]
        var p = environ
        while let e = p.pointee {
            let line = String(cString: e)
            if let eq = line.firstIndex(of: "=") { env[String(line[..<eq])] = String(line[line.index(after: eq)...]) }
            p += 1
        }
        for (k, v) in environment { env[k] = v }
        let path = executable
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for a in argv { free(a) }; for e in envp { free(e) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
        guard rc == 0 else { throw ProcessControl.Failure(description: "cannot start a worker: \(String(cString: strerror(rc)))") }
        return pid
    }
}
