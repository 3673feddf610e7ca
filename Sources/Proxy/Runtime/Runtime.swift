// Starting and stopping the proxy: configuration → tables → engine, health checker, signals,
// and HAProxy's process behaviour (daemon, pidfile, user/group, -sf).

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What the command line passes to the engine besides the configuration.
public struct RunOptions: Sendable, Equatable {
    /// `-db`: stay in the foreground even if the configuration says `daemon`.
    public var foreground = false
    /// `-d`: debug output.
    public var debug = false
    /// `-p PIDFILE` (overrides the global `pidfile`).
    public var pidfile: String? = nil
    /// `-sf PID...`: processes to ask to finish once we are listening.
    public var softStopPIDs: [Int32] = []
    /// The `-f` files, in order.
    public var configPaths: [String] = []
    /// `-st` instead of `-sf`: the old processes are told to stop now (SIGTERM), not softly.
    public var terminateOldProcesses = false
    /// `-D`: run in the background (as `daemon` in global).
    public var daemon = false
    /// `-L NAME`: the local peer name (HAPROXY_LOCALPEER; default: the host name).
    public var localPeer: String? = nil
    /// `-W` / `-Ws`: master-worker mode (`-Ws`: with systemd notification); `-S ADDR[,opts]`:
    /// master CLI sockets; `-x PATH`: take the listening sockets over from this runtime API
    /// socket. Parsed here; the runtime API and reload code implements them.
    public var masterWorker = false
    public var systemdNotify = false
    public var masterCLI: [String] = []
    public var takeOverSocket: String? = nil
    /// `-q`: print nothing but errors; `-V`: verbose (also lists the flags that mean nothing here).
    public var quiet = false
    public var verbose = false
    /// `-dW` (or `zero-warning` in global): a warning is fatal. `-dD`: diagnostic mode (`.diag`).
    public var zeroWarning = false
    public var diagnostics = false
    /// `-dS`: no splice(2). `-dr`: a server address that does not resolve does not stop the start.
    public var noSplice = false
    public var resolveDontFail = false
    /// `-n N`: global maxconn; `-N N`: default maxconn of frontends that set none; `-m MB`: memory limit.
    public var maxconn: Int? = nil
    public var defaultProxyMaxconn: Int? = nil
    public var memoryLimitMB: Int? = nil
    /// HAProxy flags that change nothing in ringproxy (`-de`, `-dM…`, …), listed by `-V`.
    public var meaninglessFlags: [String] = []
    public init() {}
}

/// A started proxy: engine, stream layer and health checker. Used by `Runtime.run` and the demo.
public final class RunningProxy: @unchecked Sendable {
    // @unchecked: set up once, then only read; stop() may be called from any thread.
    package let engine: Engine
    public let handler: StreamHandler
    let checker: HealthChecker?
    /// The runtime API (`stats socket`): its commands' view of the proxy and its sockets.
    public let control: RuntimeControl
    let apiServer: RuntimeAPIServer
    /// Run-time DNS of servers with `resolvers` (nil when none has).
    let resolver: DNSResolverThread?
    let logForwarders: [LogRingForwarder]
    /// `log-forward` sections: syslog relays, each on its own control thread.
    let logRelays: [LogForwardRelay]
    /// The peers thread (nil without `peers` sections).
    public let peers: PeersRuntime?

    /// Listening sockets this process opened itself for all its workers (TCP binds kept for a
    /// reload's hand-over): a soft stop that did not hand them over shuts them down.
    let ownSharedSockets: [Int32]

    /// Binds every listener (errors are thrown before anything starts). `noSplice`: `-dS`.
    /// `reload`: this process replaces another (`-sf`, or a master's new worker), which hands
    /// it its stick tables through the peers. `takeover`: sockets received from the old process
    /// (`-x`); `shareListeners`: one socket per TCP bind, which `_getsocks` can hand to the next
    /// process.
    public init(configuration: Configuration, foreground: Bool, noSplice: Bool = false, reload: Bool = false,
                takeover: ListenerTakeover? = nil, shareListeners: Bool = false) throws {
        // `load-server-state-from-file`: what the file says about ports is needed before the
        // tables are built; the states are restored once the state table exists.
        var configuration = configuration
        let saved = ServerStateLoading(configuration)
        saved.adjust(&configuration)
        DynamicServerSlots.reserve(&configuration)        // room for `add server`
        let topology = Topology(configuration)
        let allowedCPUs = CPUPlacement.allowedCPUs()          // nbthread's default, as HAProxy
        let workers = max(1, configuration.global.nbthread ?? allowedCPUs.count)
        let maxconn = configuration.global.maxconn ?? 4096
        let slots = (maxconn + workers - 1) / workers + 16      // as the engine sizes its table
        let states = ServerStateTable(configuration: configuration)
        // HAProxy prints these while starting ("config : "); a backend left without server is not.
        for m in saved.restore(into: states) { writeStderr("[WARNING]  (\(getpid())) : config : \(m)\n") }
        let logTargets = LogTargets(configuration: configuration)
        if let bad = logTargets.unresolved.first { throw EngineError(description: "log target '\(bad)' cannot be resolved") }
        if let bad = CheckTarget.problems(configuration: configuration).first { throw EngineError(description: bad) }
        logForwarders = logTargets.rings.flatMap { r in r.servers.map { LogRingForwarder(ring: r, server: $0) } }
        logRelays = try configuration.logForwards.map { try LogForwardRelay($0, targets: logTargets) }
        handler = try StreamHandler(configuration: configuration, topology: topology, workers: workers,
                                    slotsPerWorker: slots, states: states, logTargets: logTargets)
        var settings = EngineSettings()
        settings.workers = workers
        settings.maxconn = maxconn
        settings.cpus = CPUPlacement.plan(workers: workers, allowed: allowedCPUs, cpuMap: configuration.global.cpuMap)
        if noSplice { settings.spliceThreshold = 0 }
        let servers = EngineServerTable.build(configuration, topology)
        let backlog = configuration.global.maxconn ?? 1024
        var owned: [Int32] = []
        let listeners = try topology.listeners(configuration) { bind in
            if let fd = takeover?.take(bind) {
                if case .tcp = bind.address { owned.append(fd) }
                return fd
            }
            let fd = try ListenerSockets.open(bind, defaultBacklog: backlog, shared: shareListeners)
            if case .tcp = bind.address, let fd { owned.append(fd) }
            return fd
        }
        takeover?.closeUnused()
        ownSharedSockets = owned
        engine = try Engine(listeners: listeners, servers: servers, settings: settings,
                            handler: handler,
                            pages: Self.enginePages)
        handler.engine = engine
        handler.sendLogsThroughRings(engine)
        peers = configuration.peers.sections.contains { !$0.disabled }
            ? try PeersRuntime(configuration: configuration, tables: handler.stickTables, updates: handler.stickUpdates,
                               reload: reload, toStderr: foreground)
            : nil
        if let p = peers { handler.peersSnapshot = { p.snapshot() } }
        let targets = CheckTarget.targets(configuration: configuration, table: states)
        // Reserved slots may get checked servers at run time (`add server … check`).
        checker = targets.isEmpty && !states.roster.reserved.contains(true) ? nil
            : HealthChecker(table: states, targets: targets, onEvent: HealthEventLogger(targets: logTargets, toStderr: foreground).callAsFunction)
        if let checker {
            // scur, the backend's connections not queued, the server's queue (HAProxy's
            // X-Haproxy-Server-State and "N sessions active").
            let layout = handler.layout
            let backendRow = states.servers.map { layout.backendRows[$0.proxyName] }
            checker.load = { [handler] slot in
                let row = layout.serverRow(slot)
                let be = backendRow[slot].map { handler.sumCounter(row: $0, .scur) - handler.sumCounter(row: $0, .qcur) } ?? 0
                return (handler.sumCounter(row: row, .scur), be, handler.sumCounter(row: row, .qcur))
            }
        }
        let mailbox = WorkerMailbox(workers: workers)
        handler.mailbox = mailbox
        mailbox.setWaker { [weak engine] w in engine?.wake(worker: w) }      // weak: no cycle through the handler
        ServerStateActions.install(configuration: configuration, topology: topology, states: states, engine: engine,
                                   mailbox: mailbox, log: HealthEventLogger(targets: logTargets, toStderr: foreground).callAsFunction)
        // Runtime API commands and the stats page's form (on worker threads) share one logger.
        let apiLogger = HealthEventLogger(targets: logTargets, toStderr: foreground)
        let apiLoggerLock = NSLock()
        control = RuntimeControl(configuration: configuration, handler: handler, engine: engine, mailbox: mailbox,
                                 listenerFrontends: listeners.map(\.frontend),
                                 logEvent: { e in apiLoggerLock.lock(); apiLogger(e); apiLoggerLock.unlock() })
        control.checker = checker
        handler.statsAdjust = { [control] m in control.decorate(&m) }
        control.logRelays.withLock { [logRelays] in $0 = logRelays }
        checker?.agentMaxconnChanged = { [control] slot, v in control.applyServerMaxconn(slot, v) }
        handler.statsForm = { [control] body in control.applyStatsForm(body) }
        // What `_getsocks` hands over: every listening socket, with its bind's interface.
        let binds = topology.binds(configuration)
        let exportable = engine.listenerSockets()
        control.listenerSockets.withLock { list in
            list = exportable.map { s in
                var info = ListenerSocketInfo(fd: s.fd)
                if s.listener < binds.count { info.interface = binds[s.listener].options.interface ?? "" }
                return info
            }
        }
        resolver = DNSResolverThread(configuration: configuration, control: control, checker: checker)
        apiServer = RuntimeAPIServer(control: control)
        try apiServer.bind()
    }

    /// In the engine's order (enum rp_page); 400 and 408 always close, as HAProxy.
    static let enginePages: Engine.Pages = {
        let kinds: [ErrorPage] = [.badRequest, .requestTimeout, .badGateway, .serviceUnavailable, .gatewayTimeout]
        return Engine.Pages(close: kinds.map { ErrorPages.bytes($0, connection: .close).array },
                            keep: kinds.map { $0.rawValue >= 500 ? ErrorPages.bytes($0, connection: .none).array : ErrorPages.bytes($0, connection: .close).array })
    }()

    /// `alwaysServeCLI`: run the runtime API thread even without a `stats socket` (a
    /// worker's master hands connections over).
    public func start(alwaysServeCLI: Bool = false) throws {
        try engine.start()
        try checker?.start()
        try apiServer.start(always: alwaysServeCLI)
        for f in logForwarders { try f.start() }
        for r in logRelays { try r.start() }
        try peers?.start()
        try resolver?.start()
    }

    /// A connected runtime API socket handed over by the master.
    public func adoptCLIConnection(_ fd: Int32) { apiServer.adopt(fd) }

    /// `hard-stop-after`: a soft stop that has not finished after `ms` becomes a hard one.
    public func hardStop(after ms: Int) {
        let engine = self.engine
        let t = Thread { usleep(useconds_t(min(ms, 3_600_000)) * 1000); engine.stop(soft: false) }
        t.start()
    }

    /// Soft: stop accepting and finish what is in flight (the peers hand the tables to the
    /// new process meanwhile); hard: now.
    public func stop(soft: Bool) {
        control.settings.withLock { $0.stopping = true }
        if soft { peers?.beginSoftStop() }
        checker?.stop()
        resolver?.stop()
        engine.stop(soft: soft)
        if soft && !engine.listenersExported {
            // Not handed to a new process: stop listening now (queued connections are refused).
            for fd in ownSharedSockets { shutdown(fd, 2) }       // SHUT_RDWR
        }
        engine.join()
        if soft { peers?.waitForHandOver(timeoutMs: 10_000) }
        peers?.stop()
        apiServer.stop()
        for r in logRelays { r.stop() }
        for f in logForwarders { f.stop() }
        handler.engine = nil
        // The handler's callbacks into the runtime API hold `control`, which holds the handler:
        // cut them so the proxy is freed with its last reference (LeakSanitizer's check at exit).
        handler.statsAdjust = nil
        handler.statsForm = nil
        handler.peersSnapshot = nil
        engine.free()               // rings, sockets, buffers; nothing calls the engine any more

    }
}

public enum Runtime {
    public static func run(config: Configuration, options: RunOptions) -> Int32 {
        // A worker started by a master: the master printed the warnings already.
        let channel = MasterChannel.workerEnd
        if channel == nil { for w in config.warnings { writeStderr("[WARNING] \(w)\n") } }
        if let n = config.global.nbproc, n > 1 {
            writeStderr("[WARNING] nbproc \(n): ringproxy runs one process with one worker thread per core (nbthread); nbproc is ignored\n")
        }
        let ids: (uid: uid_t?, gid: gid_t?)
        do { ids = try ProcessControl.resolveIDs(user: config.global.user, group: config.global.group) }
        catch { writeStderr("[ALERT] \(error)\n"); return 1 }
        let uid = config.global.process.uid.map { uid_t($0) } ?? ids.uid     // `uid N` / `gid N`
        let gid = config.global.process.gid.map { gid_t($0) } ?? ids.gid

        // The environment the configuration ended with (setenv…, HAPROXY_CFGFILES), for `env()`
        // and the programs ringproxy starts; set before any thread exists.
        config.preprocessor.environment.applyToProcess()
        if let mb = options.memoryLimitMB, mb > 0 {
            var limit = rlimit(rlim_cur: rlim_t(mb) << 20, rlim_max: rlim_t(mb) << 20)
            if setrlimit(Int32(RLIMIT_DATA.rawValue), &limit) != 0 { writeStderr("[WARNING] -m \(mb): cannot set the memory limit\n") }
        }
        let daemon = (config.global.daemon || options.daemon) && !options.foreground && channel == nil
        let signals = ProcessControl.blockControlSignals()

        // `-x`: the old process's listening sockets (and session tables) first.
        var takeover: ListenerTakeover? = nil
        var tables = ""
        if let x = options.takeOverSocket, x != "/dev/null" {
            let source = HandoverSource(argument: x, tablesFD: MasterChannel.tablesFD)
            do {
                takeover = ListenerTakeover(try source.sockets())
            } catch {
                writeStderr("[WARNING]  (\(getpid())) : \(error)\n")
                writeStderr("[ALERT]    (\(getpid())) : Failed to get the sockets from the old process!\n")
                if channel == nil { return 1 }
            }
            tables = source.tables()
        }
        // Sockets another process may take over later: one per TCP bind, as HAProxy has.
        let share = channel != nil || config.global.statsSockets.contains { $0.exposeListeners }
        let proxy: RunningProxy
        do {
            proxy = try RunningProxy(configuration: config, foreground: !daemon, noSplice: options.noSplice,
                                     reload: !options.softStopPIDs.isEmpty || (channel != nil && takeover != nil),
                                     takeover: takeover, shareListeners: share)
        } catch {
            takeover?.closeUnused()
            writeStderr("[ALERT] ringproxy: \(error)\n")
            return 1
        }
        // Without peers to resync them, the old process's stick tables come over the socket.
        if !tables.isEmpty && proxy.peers == nil { proxy.control.importSessionTables(tables) }

        let pidfile = options.pidfile ?? config.global.pidfile
        if daemon {
            ProcessControl.daemonize(pidfile: pidfile)
        } else if let p = options.pidfile, channel == nil {
            ProcessControl.writePidfile(p, pid: getpid())
        }
        do { try ProcessControl.dropPrivileges(uid: uid, gid: gid) }
        catch { writeStderr("[ALERT] \(error)\n"); return 1 }
        do { try proxy.start(alwaysServeCLI: channel != nil) }
        catch { writeStderr("[ALERT] ringproxy: \(error)\n"); return 1 }
        if let channel {
            // The master's connections become runtime API sessions; without the master, leave.
            MasterChannel.serve(channel, adopt: { [proxy] fd in proxy.adoptCLIConnection(fd) }, masterGone: {
                writeStderr("[ALERT]    (\(getpid())) : The master process is gone: exiting\n")
                exit(1)
            })
            MasterChannel.notifyReady(channel)
        }
        if options.terminateOldProcesses {
            for pid in options.softStopPIDs { kill(pid, SIGTERM) }      // -st: stop them now
        } else {
            ProcessControl.softStop(options.softStopPIDs)
        }
        if !daemon && options.debug && channel == nil {
            writeStderr("ringproxy: \(proxy.engine.workers) workers, listening\n")
        }
        let (kind, sig) = ProcessControl.waitForStop(signals)
        if kind == .soft, let grace = config.global.reload.graceMs, grace > 0 {
            // `grace`: keep serving (and listening) that long before the soft stop.
            usleep(useconds_t(min(grace, 3_600_000)) * 1000)
        }
        if kind == .soft, let limit = config.global.reload.hardStopAfterMs {
            proxy.hardStop(after: limit)
        }
        proxy.stop(soft: kind == .soft)
        if channel != nil && kind == .hard {
            // A worker ends the way HAProxy's does, by the signal, which the master reports.
            signal(sig, SIG_DFL)
            var set = sigset_t()
            sigemptyset(&set); sigaddset(&set, sig)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            raise(sig)
        }
        return 0
    }
}
