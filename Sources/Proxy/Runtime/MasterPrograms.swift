// The master's `program` sections: external commands started beside the workers. At a
// reload that succeeded, each running program gets SIGUSR1 and the programs with
// `option start-on-reload` (the default) get a new instance, as HAProxy 2.6 does; a stop
// sends them SIGTERM with the workers.
import CUring
#if canImport(Glibc)
import Glibc
#endif

extension MasterProcess {
    func startPrograms(_ programs: [ProgramConfig]) {
        for p in programs { startProgram(p) }
    }

    /// After a reload's new worker is ready: signal the programs already running, then start
    /// the new configuration's ones that start on reload.
    func reloadPrograms() {
        let running = state.withLock { s -> [pid_t] in
            var pids: [pid_t] = []
            for i in s.children.indices {
                guard case .program = s.children[i].kind else { continue }
                s.children[i].leaving = true
                pids.append(s.children[i].pid)
            }
            return pids
        }
        for p in running { kill(p, SIGUSR1) }
        startPrograms(configuration.programs.filter(\.startOnReload))
    }

    func startProgram(_ p: ProgramConfig) {
        guard let command = p.command.first, let path = Self.executablePath(command) else {
            alert("cannot start program '\(p.name)': '\(p.command.first ?? "")' not found in PATH")
            return
        }
        let ids: (uid: uid_t?, gid: gid_t?)
        do { ids = try ProcessControl.resolveIDs(user: p.user, group: p.group) }
        catch { alert("cannot start program '\(p.name)': \(error)"); return }
        let uid = ids.uid.map { Int32(bitPattern: $0) } ?? -1, gid = ids.gid.map { Int32(bitPattern: $0) } ?? -1
        let argv = p.command.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        let pid = rp_spawn_as(path, argv, environ, uid, gid)
        guard pid > 0 else {
            alert("cannot start program '\(p.name)' (\(path)): \(String(cString: strerror(-pid)))")
            return
        }
        state.withLock { $0.children.append(Child(pid: pid, kind: .program(p.name), startedWallSeconds: Int64(time(nil)))) }
        notice("New program '\(p.name)' (\(pid)) forked")
    }

    /// `command` as execvp finds it: as given when it has a '/', else the first executable
    /// match in PATH.
    static func executablePath(_ command: String) -> String? {
        if command.contains("/") { return access(command, X_OK) == 0 ? command : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + command
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
