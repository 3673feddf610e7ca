// Master-worker mode (`-W`, `-Ws`, `master-worker`), as HAProxy 2.6 runs it: the master starts
// a worker and watches it. On SIGUSR2 (or the master CLI's `reload`) it reads the
// configuration again: if it has errors it says why and keeps the current workers
// ("Loading failure!"); otherwise it starts a new worker that takes the listening sockets and
// session tables over from the current one (`-x sockpair@N`), and once the new worker serves
// ("Loading success.") the old ones are asked to finish (SIGUSR1). A worker that dies on its
// own takes the master down with it (unless `master-worker no-exit-on-failure`); SIGINT,
// SIGTERM and SIGUSR1 go to every worker, and the master exits once they are gone.
import CUring
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

public final class MasterProcess: @unchecked Sendable {
    // @unchecked: `state` is behind a Mutex; the rest is set up before the threads start.

    public struct Child: Sendable {
        public enum Kind: Sendable, Equatable { case worker, program(String) }
        public var pid: pid_t
        public var kind: Kind
        /// The master's end of the socket pair (workers).
        public var channel: Int32 = -1
        public var startedWallSeconds: Int64
        /// Reloads this process has lived through.
        public var reloads = 0
        /// Being replaced: asked (or about to be asked) to finish.
        public var leaving = false
        public var ready = false
    }

    struct State {
        var children: [Child] = []
        var reloads = 0
        var failedReloads = 0
        var lastReloadFailed = false
        /// The worker of a reload in progress (not yet READY).
        var pendingWorker: pid_t? = nil
        var stopping = false
    }

    let state = Mutex(State())
    let arguments: [String]
    let options: RunOptions
    let startWallSeconds = Int64(time(nil))
    /// Read each time: `-D` forks the master after it is created.
    var pid: Int32 { getpid() }
    /// Written by the master CLI's `reload` (and read by the main loop).
    var reloadPipe: (read: Int32, write: Int32) = (-1, -1)
    var cli: RuntimeAPIServer? = nil
    var configuration: Configuration

    public init(configuration: Configuration, arguments: [String], options: RunOptions) {
        self.configuration = configuration
        self.arguments = arguments
        self.options = options
    }

    func notice(_ text: String) { if !options.quiet { writeStderr("[NOTICE]   (\(pid)) : \(text)\n") } }
    func warning(_ text: String) { writeStderr("[WARNING]  (\(pid)) : \(text)\n") }
    func alert(_ text: String) { writeStderr("[ALERT]    (\(pid)) : \(text)\n") }

    // MARK: the main loop

    public func run() -> Int32 {
        guard let rp = Self.makePipe(), let sp = Self.makePipe() else { alert("cannot create a pipe"); return 1 }
        reloadPipe = rp
        do { try startCLI() } catch { alert("\(error)"); return 1 }
        let daemon = (configuration.global.daemon || options.daemon) && !options.foreground
        var set = ProcessControl.blockControlSignals()
        sigaddset(&set, SIGUSR2); sigaddset(&set, SIGCHLD)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        if daemon { ProcessControl.daemonize(pidfile: options.pidfile ?? configuration.global.pidfile) }
        else if let pf = options.pidfile ?? configuration.global.pidfile { ProcessControl.writePidfile(pf, pid: getpid()) }
        // One thread waits for the signals and passes their numbers on through a pipe.
        let sigset = set
        Thread {
            var waitSet = sigset
            while true {
                var sig: Int32 = 0
                if sigwait(&waitSet, &sig) == 0 { var b = UInt8(truncatingIfNeeded: sig); _ = write(sp.write, &b, 1) }
            }
        }.start()
        let sfd = sp.read
        startPrograms(configuration.programs)
        guard startWorker(takeoverFrom: nil) else { return 1 }
        // Only now: a client that connected at once (`@1 …`) must find the worker listed.
        do { try cli?.start() }
        catch { alert("master CLI: \(error)"); return 1 }

        while true {
            var fds = [pollfd(fd: sfd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: reloadPipe.read, events: Int16(POLLIN), revents: 0)]
            let channels = state.withLock { $0.children.filter { $0.channel >= 0 }.map { ($0.pid, $0.channel) } }
            for (_, c) in channels { fds.append(pollfd(fd: c, events: Int16(POLLIN), revents: 0)) }
            let n = poll(&fds, nfds_t(fds.count), 1000)
            if n < 0 && errno != EINTR { alert("poll: \(String(cString: strerror(errno)))"); return 1 }
            for (k, (child, c)) in channels.enumerated() where fds[2 + k].revents != 0 {
                readChannel(child, c)
            }
            if fds[1].revents & Int16(POLLIN) != 0 {
                var b = [UInt8](repeating: 0, count: 64)
                while read(reloadPipe.read, &b, b.count) > 0 {}
                reload()
            }
            if fds[0].revents & Int16(POLLIN) != 0 {
                var b: UInt8 = 0
                while read(sfd, &b, 1) == 1 {
                    if let code = handle(signal: Int32(b)) { return code }
                }
            }
            if let code = reapChildren() { return code }
        }
    }

    static func makePipe() -> (read: Int32, write: Int32)? {
        var p: [Int32] = [0, 0]
        guard pipe(&p) == 0 else { return nil }
        for f in p { _ = fcntl(f, F_SETFL, O_NONBLOCK); _ = fcntl(f, F_SETFD, FD_CLOEXEC) }
        return (p[0], p[1])
    }

    /// Returns an exit code when the master must leave now.
    func handle(signal sig: Int32) -> Int32? {
        switch sig {
        case SIGUSR2, SIGHUP:           // HAProxy's master reloads on both
            reload()
        case SIGCHLD:
            break                           // reaped below
        case SIGTERM, SIGINT, SIGQUIT, SIGUSR1:
            let first = state.withLock { s -> Bool in defer { s.stopping = true }; return !s.stopping }
            if first {
                warning("Exiting Master process...")
                if options.systemdNotify { SystemdNotify.stopping() }
            }
            let pids = state.withLock { $0.children.map(\.pid) }
            for p in pids { kill(p, sig) }
            if pids.isEmpty { return 0 }
        default:
            break
        }
        return nil
    }

    /// The master's exit code once every worker is gone (HAProxy's: a current worker's
    /// status unless it is 0 or 143, SIGTERM being a normal end).
    var exitCode: Int32 = -1

    /// Reaps exited children; returns an exit code when the master must leave.
    func reapChildren() -> Int32? {
        while true {
            var status: Int32 = 0
            let p = waitpid(-1, &status, WNOHANG)
            if p <= 0 { break }
            guard let child = state.withLock({ s -> Child? in
                guard let i = s.children.firstIndex(where: { $0.pid == p }) else { return nil }
                return s.children.remove(at: i)
            }) else { continue }
            if child.channel >= 0 { close(child.channel) }
            let (code, why) = Self.describe(status)
            let stopping = state.withLock { $0.stopping }
            let name: String
            switch child.kind {
            case .worker: name = "worker (\(p))"
            case .program(let n): name = "program '\(n)' (\(p))"
            }
            if child.leaving && state.withLock({ $0.pendingWorker != p }) {
                warning("Former \(name) exited with code \(code) (\(why))")
            } else if case .program = child.kind {
                // A program's end is only reported: it takes nothing down with it.
                alert("Current \(name) exited with code \(code) (\(why))")
            } else {
                if code < 128 { warning("Current \(name) exited with code \(code) (\(why))") }
                else { alert("Current \(name) exited with code \(code) (\(why))") }
                if state.withLock({ $0.pendingWorker == p }) {
                    // The new worker of a reload did not make it: keep the current ones.
                    reloadFailed()
                } else {
                    if !stopping && code != 0 && code != 130 && code != 143 && !configuration.global.reload.noExitOnFailure {
                        alert("exit-on-failure: killing every processes with SIGTERM")
                        state.withLock { s in s.stopping = true; for c in s.children { kill(c.pid, SIGTERM) } }
                    }
                    if exitCode < 0 && code != 0 && code != 143 { exitCode = code }
                }
            }
            let left = state.withLock { $0.children.filter { $0.kind == .worker }.count }
            if left == 0 {
                // Programs do not outlive the master.
                for c in state.withLock({ $0.children }) { kill(c.pid, SIGTERM) }
                let rc = exitCode > 0 ? exitCode : 0
                warning("All workers exited. Exiting... (\(rc))")
                return rc
            }
        }
        return nil
    }

    /// HAProxy's "exited with code N (reason)".
    static func describe(_ status: Int32) -> (Int32, String) {
        if status & 0x7f == 0 {
            let code = (status >> 8) & 0xff
            return (code, code == 0 ? "Exit" : "Exit")
        }
        let sig = status & 0x7f
        return (128 + sig, String(cString: strsignal(sig)))
    }

    // MARK: workers

    /// Starts a worker (taking the sockets over from `old` on a reload). False when it
    /// cannot be started.
    @discardableResult
    func startWorker(takeoverFrom old: Child?) -> Bool {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            alert("cannot create a socket pair for the worker"); return false
        }
        var args = WorkerLauncher.workerArguments(arguments)
        var env = [MasterChannel.environmentName: String(pair[1]), "HAPROXY_MWORKER": "1"]
        var inherit = [pair[1]]
        var handover: [Int32] = []
        if let old, old.channel >= 0 {
            // Two connections to the old worker's runtime API: sockets, then tables.
            for _ in 0..<2 {
                var cp: [Int32] = [0, 0]
                guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &cp) == 0 else { continue }
                MasterChannel.send(descriptor: cp[0], over: old.channel)
                close(cp[0])
                handover.append(cp[1])
            }
            if handover.count == 2 {
                args = ["-x", "sockpair@\(handover[0])"] + args
                env[MasterChannel.tablesEnvironmentName] = String(handover[1])
                inherit += handover
            }
        }
        let pid: pid_t
        do { pid = try WorkerLauncher.spawn(arguments: args, environment: env, inherit: inherit) }
        catch { alert("\(error)"); close(pair[0]); close(pair[1]); for h in handover { close(h) }; return false }
        close(pair[1])
        for h in handover { close(h) }
        state.withLock { s in
            s.children.append(Child(pid: pid, kind: .worker, channel: pair[0], startedWallSeconds: Int64(time(nil))))
            if old != nil { s.pendingWorker = pid }
        }
        notice("New worker (\(pid)) forked")
        return true
    }

    /// A worker wrote on its channel: READY, or it is gone.
    func readChannel(_ pid: pid_t, _ channel: Int32) {
        var buf = [UInt8](repeating: 0, count: 256)
        let n = recv(channel, &buf, buf.count, Int32(MSG_DONTWAIT))
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
            state.withLock { s in if let i = s.children.firstIndex(where: { $0.pid == pid }) { s.children[i].channel = -1 } }
            close(channel)
            return
        }
        guard n > 0, String(decoding: buf[0..<n], as: UTF8.self).contains("READY") else { return }
        let (wasPending, first, leaving) = state.withLock { s -> (Bool, Bool, [pid_t]) in
            guard let i = s.children.firstIndex(where: { $0.pid == pid }) else { return (false, false, []) }
            let first = !s.children.contains { $0.ready }
            s.children[i].ready = true
            let pending = s.pendingWorker == pid
            if pending { s.pendingWorker = nil }
            return (pending, first, s.children.filter { $0.leaving && $0.kind == .worker }.map(\.pid))
        }
        if first || wasPending {
            notice("Loading success.")
            if options.systemdNotify { SystemdNotify.ready(pid: self.pid) }
        }
        if wasPending {
            // What HAProxy's master says once it has re-executed itself for a reload.
            notice("haproxy version is \(ProductIdentity.version)")
            notice("path to executable is \(WorkerLauncher.executable)")
        }
        if wasPending {
            for p in leaving { kill(p, SIGUSR1) }
            reloadPrograms()
        }
    }

    /// SIGUSR2 or the CLI's `reload`.
    func reload() {
        guard !state.withLock({ $0.stopping || $0.pendingWorker != nil }) else { return }
        notice("Reloading HAProxy")
        if options.systemdNotify { SystemdNotify.reloading() }
        state.withLock { s in
            s.reloads += 1
            for i in s.children.indices { s.children[i].reloads += 1 }
        }
        // The new configuration first: with errors, the current workers stay.
        var environment = CommandLine.startupEnvironment(options)
        environment.set("HAPROXY_MWORKER", "1")
        do {
            var c = try ConfigParser.load(paths: options.configPaths, environment: environment)
            CommandLine.applyOverrides(options, to: &c)
            configuration = c
        } catch {
            for w in error.warnings { warning("config : \(w)") }
            for e in error.errors { alert("config : \(e)") }
            alert("config : Fatal errors found in configuration.")
            reloadFailed()
            return
        }
        let current = state.withLock { s -> Child? in
            let c = s.children.last { $0.kind == .worker && !$0.leaving }
            for i in s.children.indices where s.children[i].kind == .worker { s.children[i].leaving = true }
            s.lastReloadFailed = false
            return c
        }
        if !startWorker(takeoverFrom: current) { reloadFailed() }
    }

    func reloadFailed() {
        state.withLock { s in
            s.failedReloads += 1
            s.lastReloadFailed = true
            s.pendingWorker = nil
            // The workers that were to be replaced go on.
            for i in s.children.indices where s.children[i].kind == .worker && s.children[i].ready { s.children[i].leaving = false }
        }
        warning("Loading failure!")
        if options.systemdNotify { SystemdNotify.ready(pid: pid) }
    }

    /// Asks the main loop to reload (the master CLI's `reload`). Any thread.
    func requestReload() {
        var b: UInt8 = 1
        _ = write(reloadPipe.write, &b, 1)
    }
}
