// Starting and stopping the proxy: configuration → tables → engine, health checker, signals,
// and HAProxy's process behaviour (daemon, pidfile, user/group, -sf).

#if canImport(Glibc)
import Glibc
#endif

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
    public init() {}
}

/// A started proxy: engine, stream layer and health checker. Used by `Runtime.run` and the demo.
public final class RunningProxy: @unchecked Sendable {
    // @unchecked: set up once, then only read; stop() may be called from any thread.
    public let engine: Engine
    public let handler: StreamHandler
    let checker: HealthChecker?

    /// Binds every listener (errors are thrown before anything starts).
    public init(configuration: Configuration, foreground: Bool) throws {
        let topology = Topology(configuration)
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let workers = max(1, configuration.global.nbthread ?? cores)
        let maxconn = configuration.global.maxconn ?? 4096
        let slots = (maxconn + workers - 1) / workers + 16      // as the engine sizes its table
        let states = ServerStateTable(configuration: configuration)
        let logTargets = LogTargets(configuration: configuration)
        handler = try StreamHandler(configuration: configuration, topology: topology, workers: workers,
                                    slotsPerWorker: slots, states: states, logTargets: logTargets)
        var settings = EngineSettings()
        settings.workers = workers
        settings.maxconn = maxconn
        settings.pin = workers <= cores
        let servers = topology.servers.map { s -> (host: String, port: Int, maxconn: Int) in
            (s.config.checkAddr.map { _ in s.config.host } ?? s.config.host, s.config.port == 0 ? 80 : s.config.port, s.config.maxconn ?? 0)
        }
        engine = try Engine(listeners: topology.listeners(configuration), servers: servers, settings: settings,
                            handler: handler,
                            pages: (ErrorPages.bytes(.badRequest).array, ErrorPages.bytes(.requestTimeout).array,
                                    ErrorPages.bytes(.badGateway).array, ErrorPages.bytes(.serviceUnavailable).array,
                                    ErrorPages.bytes(.gatewayTimeout).array))
        handler.engine = engine
        handler.sendLogsThroughRings(engine)
        let targets = CheckTarget.targets(configuration: configuration, table: states)
        checker = targets.isEmpty ? nil
            : HealthChecker(table: states, targets: targets, onEvent: HealthEventLogger(targets: logTargets, toStderr: foreground).callAsFunction)
    }

    public func start() throws {
        try engine.start()
        checker?.start()
    }

    /// Soft: stop accepting and finish what is in flight; hard: now.
    public func stop(soft: Bool) {
        checker?.stop()
        engine.stop(soft: soft)
        engine.join()
    }
}

public enum Runtime {
    public static func run(config: Configuration, options: RunOptions) -> Int32 {
        for w in config.warnings { writeStderr("[WARNING] \(w)\n") }
        if let n = config.global.nbproc, n > 1 {
            writeStderr("[WARNING] nbproc \(n): ringproxy runs one process with one worker thread per core (nbthread); nbproc is ignored\n")
        }
        let ids: (uid: uid_t?, gid: gid_t?)
        do { ids = try ProcessControl.resolveIDs(user: config.global.user, group: config.global.group) }
        catch { writeStderr("[ALERT] \(error)\n"); return 1 }

        let daemon = config.global.daemon && !options.foreground
        let signals = ProcessControl.blockControlSignals()
        let proxy: RunningProxy
        do { proxy = try RunningProxy(configuration: config, foreground: !daemon) }
        catch { writeStderr("[ALERT] ringproxy: \(error)\n"); return 1 }

        let pidfile = options.pidfile ?? config.global.pidfile
        if daemon {
            ProcessControl.daemonize(pidfile: pidfile)
        } else if let p = options.pidfile {
            ProcessControl.writePidfile(p, pid: getpid())
        }
        do { try ProcessControl.dropPrivileges(uid: ids.uid, gid: ids.gid) }
        catch { writeStderr("[ALERT] \(error)\n"); return 1 }
        do { try proxy.start() }
        catch { writeStderr("[ALERT] ringproxy: \(error)\n"); return 1 }
        ProcessControl.softStop(options.softStopPIDs)
        if !daemon && options.debug {
            writeStderr("ringproxy: \(proxy.engine.workers) workers, listening\n")
        }
        let kind = ProcessControl.waitForStop(signals)
        proxy.stop(soft: kind == .soft)
        return 0
    }
}
