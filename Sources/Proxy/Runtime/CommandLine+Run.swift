// Runs the `ringproxy` command line (RingproxyArguments.swift reads it): version, keyword
// table, `-cc`, `-c`, or loading the configuration and starting the proxy.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public let ringproxyVersion = BuildInfo.version

extension CommandLine {
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
            printVersion(details: parsed.version > 1)
            return 0
        }
        var options = parsed.options
        let environment = startupEnvironment(options)
        if let condition = parsed.checkCondition {
            return ConditionCheck.run(condition, environment: environment)
        }
        if let dir = parsed.changeDirectory, chdir(dir) != 0 {
            printError("[ALERT] Could not change to directory \(dir) : \(String(cString: strerror(errno)))")
            return 1
        }
        guard !options.configPaths.isEmpty else {
            // The demo needs nothing; any flag about a real run without -f is a mistake.
            let demoFlags: Set<String> = ["-d", "-db", "-V", "-q"]
            guard !parsed.check, args.allSatisfy({ demoFlags.contains($0) }) else {
                printError("ringproxy: no configuration file; expected -f FILE\n\(usage)")
                return 1
            }
            guard let demo else {
                printError("ringproxy: no configuration file given (-f FILE)\n\(usage)")
                return 1
            }
            return demo()
        }
        var configuration: Configuration
        do {
            configuration = try ServerAddressResolver.resolved(ConfigParser.load(paths: options.configPaths, environment: environment,
                                                                                 localPeer: options.localPeer),
                                                               dontFail: options.resolveDontFail)
        } catch {
            for warning in error.warnings { printError("[WARNING] \(warning)") }
            for e in error.errors { printError("[ALERT] \(e)") }
            printError("[ALERT] Fatal errors found in configuration.")
            return 1
        }
        configuration.warnings += NotImplementedYet.warnings(configuration)
        if !configuration.programs.isEmpty && !options.masterWorker && !configuration.global.reload.masterWorker
            && MasterChannel.workerEnd == nil {
            // Only a master runs programs (HAProxy's words).
            printError("[ALERT] config : Can't use a 'program' section without master worker mode (start with -W, or add 'master-worker' to global).")
            printError("[ALERT] Fatal errors found in configuration.")
            return 1
        }
        applyOverrides(options, to: &configuration)
        options.zeroWarning = options.zeroWarning || configuration.global.process.zeroWarning
        let talk = !options.quiet || options.verbose
        if talk { for n in configuration.preprocessor.notices { printError("[NOTICE] \(n)") } }
        if options.diagnostics, talk {
            for d in configuration.preprocessor.diagnostics { printError("[DIAG] \(d)") }
        }
        if options.verbose {
            for flag in options.meaninglessFlags {
                let key = String(flag.prefix(3))
                printError("[NOTICE] \(flag) accepted and ignored: in HAProxy it \(meaninglessDebugFlags[key] ?? "is a debugging aid")")
            }
        }
        if parsed.check {
            if talk {
                for note in configuration.notes { print("[NOTICE] \(note)") }
                for warning in configuration.warnings { print("[WARNING] \(warning)") }
            }
            if options.zeroWarning && !configuration.warnings.isEmpty {
                printError("[ALERT] Some warnings were found and 'zero-warning' is set. Aborting.")
                return 1
            }
            if talk && !configuration.warnings.isEmpty { print("Warnings were found.") }
            let listens = !configuration.global.statsSockets.isEmpty || configuration.proxies.contains { $0.isFrontend && !$0.binds.isEmpty }
            guard listens else {
                if talk { print("Configuration file has no error but will not start (no listener) => exit(2).") }
                return 2
            }
            if talk { print("Configuration file is valid") }
            return 0
        }
        if options.zeroWarning && !configuration.warnings.isEmpty {
            for warning in configuration.warnings { printError("[WARNING] \(warning)") }
            printError("[ALERT] Some warnings were found and 'zero-warning' is set. Aborting.")
            return 1
        }
        // HAProxy's check comes after the configuration's (zero-warning does not count it)
        if let w = UseSourcePrivileges.startupWarning(configuration, program: CommandLine.arguments.first ?? "ringproxy") {
            configuration.warnings.append(w)
        }
        if options.quiet { configuration.warnings.removeAll() }
        if (options.masterWorker || configuration.global.reload.masterWorker) && MasterChannel.workerEnd == nil {
            // The master: it prints the warnings once; its workers read the same files.
            for w in configuration.warnings { printError("[WARNING] \(w)") }
            var o = options
            o.masterWorker = true
            return MasterProcess(configuration: configuration, arguments: args, options: o).run()
        }
        if !options.masterCLI.isEmpty && MasterChannel.workerEnd == nil {
            printError("[WARNING] -S is only used in master-worker mode (-W)")
        }
        return Runtime.run(config: configuration, options: options)
    }

    /// The environment the configuration reads: the process's, plus HAProxy's own variables.
    static func startupEnvironment(_ options: RunOptions) -> ConfigEnvironment {
        var environment = ConfigEnvironment.process()
        environment.set("HAPROXY_LOCALPEER", options.localPeer ?? hostName())
        environment.set("HAPROXY_STARTUP_VERSION", BuildInfo.dialectVersion)
        if options.masterWorker { environment.set("HAPROXY_MWORKER", "1") }
        return environment
    }

    /// `-n`, `-N`: command-line limits win over the configuration's.
    static func applyOverrides(_ options: RunOptions, to configuration: inout Configuration) {
        if let n = options.maxconn { configuration.global.maxconn = n }
        if let n = options.defaultProxyMaxconn {
            for i in configuration.proxies.indices where configuration.proxies[i].isFrontend && configuration.proxies[i].maxconn == nil {
                configuration.proxies[i].maxconn = n
            }
        }
    }

    static func printVersion(details: Bool) {
        print("ringproxy version \(BuildInfo.version) - HAProxy \(BuildInfo.dialectVersion) configuration language")
        if details {
            print("Compatibility: version_atleast()/version_before() compare with \(BuildInfo.dialectVersion); HAProxy 1.4 keywords are read too")
            print("Running on: io_uring engine (liburing 2.3), Swift 6")
            print("Feature list : \(BuildInfo.featureList)")
            print("Configuration keywords: \(KeywordRegistry.keywords.count)")
        }
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func printError(_ text: String) {
        writeStderr(text + "\n")
    }
}

/// `ringproxy -cc EXPR`: the condition is read like a configuration line (quotes, escapes,
/// `"$VAR"`, no comments), its words joined by spaces, then evaluated as `.if` does.
enum ConditionCheck {
    static func run(_ text: String, environment: ConfigEnvironment) -> Int32 {
        let words: [String]
        do {
            words = try ConfigLexer.lex(Substring(text).utf8, context: LexContext(environment: environment, comments: false)).words
        } catch {
            writeStderr("[ALERT] Syntax Error in condition: \(error.message).\n")
            return 2
        }
        // HAProxy does not skip leading blanks here: they make an empty first word (a blank
        // condition is unparsable, not false).
        let leadingBlank = text.utf8.first.map { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) } ?? false
        let expression = (leadingBlank ? " " : "") + words.joined(separator: " ")
        switch PreprocessorCondition.evaluate(expression, PreprocessorCondition.Context(environment: environment)) {
        case .success(let value): return value ? 0 : 1
        case .failure(let f):
            writeStderr("[ALERT] Failed to evaluate condition: \(f.message)\n")
            return 2
        }
    }
}
