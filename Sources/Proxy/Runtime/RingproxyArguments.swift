// The `ringproxy` command line, read as HAProxy 2.6 reads its own: the same flags, the same
// values, the same order rules (`-v` answers at once, `-sf`/`-st` take the following numbers,
// `--` ends the flags and lists configuration files, unknown flags print the usage).

/// The parsed command line.
struct RingproxyArguments: Equatable {
    var check = false
    /// `-cc EXPR`: evaluate this condition and exit 0 (true), 1 (false) or 2 (error).
    var checkCondition: String? = nil
    var version = 0             // 1 for -v, 2 for -vv
    /// `--list-keywords`: print the keyword registry as markdown (the README embeds it).
    var listKeywords = false
    /// `-C DIR`: change to this directory before reading the configuration.
    var changeDirectory: String? = nil
    var options = RunOptions()
}

extension CommandLine {
    static let usage = """
        Usage: ringproxy [-f FILE|DIR]... [-c] [-cc EXPR] [-d|-db|-D] [-W|-Ws] [-p PIDFILE] [-L NAME]
                         [-sf|-st PID...] [-x SOCKET] [-S ADDR[,opts]] [-C DIR] [-n N] [-N N] [-m MB]
                         [-q] [-V] [-v|-vv] [-dD] [-dW] [-dS] [-dr] [-- FILE...]
          -f FILE  configuration file or directory of *.cfg files (repeatable; read in order)
          -c       check the configuration and exit (0 valid, 1 errors, 2 valid but no listener)
          -cc EXPR evaluate a condition as in '.if' and exit (0 true, 1 false, 2 error)
          -d       debug: stay in the foreground      -db  stay in the foreground
          -D       run in the background (daemon)     -W   master-worker mode (-Ws: with systemd)
          -p FILE  write the pid to FILE              -L NAME  local peer name (HAPROXY_LOCALPEER)
          -sf PID  ask these processes to finish once ringproxy listens (-st: stop them now)
          -x PATH  take the listening sockets over from this runtime API socket
          -S ADDR  master CLI socket                  -C DIR   change directory first
          -n N     global maxconn                     -N N     default frontend maxconn
          -m MB    memory limit                       -q quiet, -V verbose
          -dD      diagnostics (.diag)                -dW  zero-warning: a warning is fatal
          -dS      no splice(2)                       -dr  start even if a server name does not resolve
          -v, -vv  print the version (and build details) and exit
          --list-keywords  print every configuration keyword as a markdown table
        With no -f, ringproxy runs its built-in demo. HAProxy's other -d flags are accepted; -V
        lists the ones that change nothing in ringproxy.
        """

    /// What each HAProxy debug flag that means nothing to ringproxy would have done.
    static let meaninglessDebugFlags: [String: String] = [
        "-de": "disables epoll (ringproxy uses io_uring)",
        "-dp": "disables poll (ringproxy uses io_uring)",
        "-dk": "disables kqueue (ringproxy uses io_uring)",
        "-dv": "disables event ports (ringproxy uses io_uring)",
        "-dG": "disables getaddrinfo (ringproxy always uses it)",
        "-dR": "disables SO_REUSEPORT (the engine needs it for -sf reloads)",
        "-dV": "disables TLS server verification (ringproxy has no TLS)",
        "-dM": "memory-pool debugging (ringproxy has no memory pools)",
        "-dL": "dumps the shared libraries in use",
        "-dK": "dumps HAProxy's keyword lists (see --list-keywords)",
    ]

    /// Parses arguments, or describes the first bad flag.
    static func parseRingproxyArguments(_ args: [String]) -> Result<RingproxyArguments, UsageError> {
        var parsed = RingproxyArguments()
        var i = 0
        func value(_ flag: String) -> String? {
            guard i + 1 < args.count else { return nil }
            i += 1
            return args[i]
        }
        while i < args.count {
            let arg = args[i]
            guard arg.hasPrefix("-"), arg.count > 1 else { return .failure(UsageError("unexpected argument '\(arg)'")) }
            let flag = arg.dropFirst()
            switch true {
            case flag.hasPrefix("v"):
                // HAProxy prints the version as soon as it meets -v.
                parsed.version = flag.hasPrefix("vv") ? 2 : 1
                return .success(parsed)
            case flag == "V": parsed.options.verbose = true
            case flag.hasPrefix("db"): parsed.options.foreground = true
            case flag.hasPrefix("dD"): parsed.options.diagnostics = true
            case flag.hasPrefix("dW"): parsed.options.zeroWarning = true
            case flag.hasPrefix("dS"): parsed.options.noSplice = true
            case flag.hasPrefix("dr"): parsed.options.resolveDontFail = true
            case flag.count >= 2 && flag.hasPrefix("d") && meaninglessDebugFlags["-" + flag.prefix(2)] != nil:
                parsed.options.meaninglessFlags.append(arg)
            case flag.hasPrefix("d"):
                parsed.options.debug = true
                parsed.options.foreground = true
            case flag.hasPrefix("cc"):
                guard let e = value(arg) else { return .failure(UsageError("-cc needs a condition")) }
                parsed.checkCondition = e
            case flag.hasPrefix("c"): parsed.check = true
            case flag.hasPrefix("D"): parsed.options.daemon = true
            case flag.hasPrefix("Ws"): parsed.options.masterWorker = true; parsed.options.systemdNotify = true; parsed.options.foreground = true
            case flag.hasPrefix("W"): parsed.options.masterWorker = true
            case flag.hasPrefix("q"): parsed.options.quiet = true
            case flag.hasPrefix("x"):
                guard let path = value(arg) else { return .failure(UsageError("UNIX socket path expected with the -x flag")) }
                parsed.options.takeOverSocket = path
            case flag.hasPrefix("S"):
                guard let socket = value(arg) else { return .failure(UsageError("socket and optional bind parameters expected with the -S flag")) }
                parsed.options.masterCLI.append(socket)
            case flag.hasPrefix("sf"), flag.hasPrefix("st"):
                // No process id is fine (`-sf $(cat pidfile)` with no old process), as in HAProxy.
                parsed.options.terminateOldProcesses = flag.hasPrefix("st")
                while i + 1 < args.count, !args[i + 1].hasPrefix("-") {
                    i += 1
                    guard let pid = Int32(args[i].trimmingBlanks()), pid > 0 else { return .failure(UsageError("\(arg): invalid process id '\(args[i])'")) }
                    parsed.options.softStopPIDs.append(pid)
                }
            case flag == "-":
                // `--`: every remaining argument is a configuration file.
                parsed.options.configPaths += args[(i + 1)...]
                return .success(parsed)
            case flag == "-list-keywords": parsed.listKeywords = true
            default:
                guard let v = value(arg), !v.isEmpty else { return .failure(UsageError("\(arg) needs a value")) }
                switch flag.first! {
                case "f": parsed.options.configPaths.append(v)
                case "p": parsed.options.pidfile = v
                case "L": parsed.options.localPeer = v
                case "C": parsed.changeDirectory = v
                case "n", "N", "m":
                    guard let n = Int(v), n >= 0 else { return .failure(UsageError("\(arg) needs a number, not '\(v)'")) }
                    if flag.first == "n" { parsed.options.maxconn = n } else if flag.first == "N" { parsed.options.defaultProxyMaxconn = n } else { parsed.options.memoryLimitMB = n }
                default: return .failure(UsageError("unknown option '\(arg)'"))
                }
            }
            i += 1
        }
        return .success(parsed)
    }
}

private extension String {
    func trimmingBlanks() -> String {
        String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

struct UsageError: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}
