// The `ringproxy` command line, with HAProxy's flags:
//   ringproxy -f FILE [-f FILE...] [-c] [-db] [-d] [-p PIDFILE] [-v|-vv] [-sf PID...]

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public let ringproxyVersion = "0.1.0"

/// The parsed command line.
struct RingproxyArguments: Equatable {
    var check = false
    var version = 0             // 1 for -v, 2 for -vv
    /// `--list-keywords`: print the keyword registry as markdown (the README embeds it).
    var listKeywords = false
    var options = RunOptions()
}

extension CommandLine {
    static let usage = """
        Usage: ringproxy [-f FILE]... [-c] [-db] [-d] [-p PIDFILE] [-v|-vv] [-sf PID...]
          -f FILE  configuration file (repeatable; read in order)
          -c       check the configuration and exit (0 valid, 1 errors)
          -db      stay in the foreground (no daemon)
          -d       debug output (implies -db)
          -p FILE  write the pid to FILE
          -v, -vv  print the version (and build details) and exit
          -sf PID  ask these processes to finish once ringproxy listens
          --list-keywords  print every configuration keyword as a markdown table
        With no -f, ringproxy runs its built-in demo.
        """

    /// Parses arguments, or describes the first bad flag.
    static func parseRingproxyArguments(_ args: [String]) -> Result<RingproxyArguments, UsageError> {
        var parsed = RingproxyArguments()
        var i = 0
        while i < args.count {
            let arg = args[i]
            switch arg {
            case "-f":
                guard i + 1 < args.count, !args[i + 1].isEmpty else { return .failure(UsageError("-f needs a file name")) }
                parsed.options.configPaths.append(args[i + 1]); i += 2
            case "-c": parsed.check = true; i += 1
            case "-db": parsed.options.foreground = true; i += 1
            case "-d": parsed.options.debug = true; parsed.options.foreground = true; i += 1
            case "-p":
                guard i + 1 < args.count, !args[i + 1].isEmpty else { return .failure(UsageError("-p needs a file name")) }
                parsed.options.pidfile = args[i + 1]; i += 2
            case "-v", "-V": parsed.version = max(parsed.version, 1); i += 1
            case "-vv": parsed.version = 2; i += 1
            case "--list-keywords": parsed.listKeywords = true; i += 1
            case "-sf", "-st":
                i += 1
                while i < args.count, let pid = Int32(args[i]), pid > 0 { parsed.options.softStopPIDs.append(pid); i += 1 }
                if parsed.options.softStopPIDs.isEmpty { return .failure(UsageError("\(arg) needs at least one process id")) }
            default:
                return .failure(UsageError("unknown option '\(arg)'"))
            }
        }
        return .success(parsed)
    }

    /// Runs ringproxy with HAProxy's flags and returns the process exit status.
    public static func runRingproxy(_ args: [String], demo: (() -> Int32)? = nil) -> Int32 {
        let parsed: RingproxyArguments
        switch parseRingproxyArguments(args) {
        case .success(let p): parsed = p
        case .failure(let e):
            printError("ringproxy: \(e.message)\n\(usage)")
            return 1
        }
        if parsed.listKeywords {
            print(KeywordRegistry.markdownTable(), terminator: "")
            return 0
        }
        if parsed.version > 0 {
            print("ringproxy version \(ringproxyVersion) (HAProxy 1.4/2.6 configuration dialect)")
            if parsed.version > 1 {
                print("Running on: io_uring engine (liburing 2.3), Swift 6")
                print("Configuration keywords: \(KeywordRegistry.keywords.count)")
            }
            return 0
        }
        guard !parsed.options.configPaths.isEmpty else {
            if parsed.check {
                printError("ringproxy: -c needs at least one -f FILE\n\(usage)")
                return 1
            }
            guard let demo else {
                printError("ringproxy: no configuration file given (-f FILE)\n\(usage)")
                return 1
            }
            return demo()
        }
        let configuration: Configuration
        do {
            configuration = try ConfigParser.load(paths: parsed.options.configPaths)
        } catch {
            for warning in error.warnings { printError("[WARNING] \(warning)") }
            for e in error.errors { printError("[ALERT] \(e)") }
            printError("[ALERT] Fatal errors found in configuration.")
            return 1
        }
        if parsed.check {
            for note in configuration.notes { print("[NOTICE] \(note)") }
            for warning in configuration.warnings { print("[WARNING] \(warning)") }
            print("Configuration file is valid")
            return 0
        }
        return Runtime.run(config: configuration, options: parsed.options)
    }

    private static func printError(_ text: String) {
        writeStderr(text + "\n")
    }
}

struct UsageError: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}
