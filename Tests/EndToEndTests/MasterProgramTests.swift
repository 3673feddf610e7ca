// `program` sections in master-worker mode, side by side with HAProxy 2.6: the master starts
// each command beside its worker and lists it in `show proc`; a reload signals the running
// programs (SIGUSR1) and starts a new instance of those with `option start-on-reload`; a stop
// ends them; without master-worker mode, or without a `command`, the configuration is refused.
// (HAProxy's reg-test mcli/mcli_start_progs.vtc checks the `show proc` part.)
import Foundation
import Testing
import Origins

@Suite(.serialized) struct MasterProgramTests {
    static func config(port: UInt16, origin: UInt16, programs: String) -> String {
        """
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        frontend fe
            bind 127.0.0.1:\(port)
            default_backend be
        backend be
            server s1 127.0.0.1:\(origin)
        \(programs)
        """
    }

    static let programs = """
        program foo
            command sleep 300
        program bar
            command sleep 301
            no option start-on-reload
        """

    /// `show proc`'s program lines: (pid, name).
    static func programs(_ proc: String) -> [(pid: Int32, name: String)] {
        var inPrograms = false, out: [(Int32, String)] = []
        for line in proc.split(separator: "\n") {
            if line.hasPrefix("#") { inPrograms = line == "# programs"; continue }
            let w = line.split(separator: " ")
            if inPrograms, w.count >= 2, let pid = Int32(w[0]) { out.append((pid, String(w[1]))) }
        }
        return out
    }

    struct Run: Equatable {
        var namesBefore: [String] = [], namesAfter: [String] = []
        var oldGone = false, newAlive = false, goneAfterStop = false
    }

    @Test func programsStartReloadAndStopWithTheMaster() throws {
        let origin = try AppServer(name: "A")
        defer { origin.stop() }
        var runs: [String: Run] = [:]
        for (name, binary) in MasterWorkerTests.binaries {
            let port = freePort()
            let path = try ProxyProcess.writeConfig(Self.config(port: port, origin: origin.port, programs: Self.programs))
            let dir = (path as NSString).deletingLastPathComponent
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let cli = dir + "/master.sock"
            let p = try ProxyProcess(arguments: ["-W", "-f", path, "-S", cli], binary: binary)
            defer { p.stop() }
            try CLIClient.waitForSocket(cli, timeout: .seconds(30))
            func proc() -> String { (try? CLIClient.send("show proc", socket: cli)) ?? "" }
            var run = Run()
            #expect(ProcessProbe.waitUntil(timeout: .seconds(30)) { Self.programs(proc()).count == 2 }, "\(name): \(proc())")
            let before = Self.programs(proc())
            run.namesBefore = before.map(\.name)
            for b in before { #expect(ProcessProbe.isAlive(b.pid), "\(name): program \(b.name) (\(b.pid)) is not running") }
            #expect(ProcessProbe.waitUntil(timeout: .seconds(30)) { (try? RawHTTP.get(port: port))?.status == 200 }, "\(name): \(p.stderrText)")

            p.signal(SIGUSR2)
            // foo: a new instance; bar (no start-on-reload): signalled, none started.
            #expect(ProcessProbe.waitUntil(timeout: .seconds(30)) {
                let now = Self.programs(proc())
                return now.count == 1 && !before.contains { $0.pid == now[0].pid }
            }, "\(name): \(proc()) \(p.stderrText)")
            let after = Self.programs(proc())
            run.namesAfter = after.map(\.name)
            run.oldGone = ProcessProbe.waitUntil(timeout: .seconds(10)) { before.allSatisfy { !ProcessProbe.isAlive($0.pid) } }
            run.newAlive = after.allSatisfy { ProcessProbe.isAlive($0.pid) }

            p.signal(SIGTERM)
            #expect(ProcessProbe.waitUntil(timeout: .seconds(10)) { !p.isRunning }, "\(name): the master did not exit")
            run.goneAfterStop = ProcessProbe.waitUntil(timeout: .seconds(10)) { after.allSatisfy { !ProcessProbe.isAlive($0.pid) } }
            runs[name] = run
        }
        let rp = try #require(runs["ringproxy"])
        #expect(rp == Run(namesBefore: ["foo", "bar"], namesAfter: ["foo"], oldGone: true, newAlive: true, goneAfterStop: true))
        if let hp = runs["haproxy"] { #expect(rp == hp) }
    }

    @Test func aProgramNeedsMasterWorkerModeAndACommand() throws {
        let noMaster = Self.config(port: freePort(), origin: 1, programs: Self.programs)
        let noCommand = Self.config(port: freePort(), origin: 1, programs: "program baz\n    user nobody\n")
        for (name, binary) in MasterWorkerTests.binaries {
            for (what, text, flags) in [("no -W", noMaster, ["-c"]), ("no command", noCommand, ["-W", "-c"])] {
                let path = try ProxyProcess.writeConfig(text)
                defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
                let r = try runToCompletion(binary, flags + ["-f", path])
                #expect(r.status == 1, "\(name), \(what): \(r.output)")
                #expect(r.output.contains(what == "no -W" ? "master worker mode" : "lacks a command"), "\(name), \(what): \(r.output)")
            }
        }
    }

    /// Runs a short-lived command and returns its status and merged output.
    func runToCompletion(_ binary: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let t = Process()
        t.executableURL = URL(fileURLWithPath: binary)
        t.arguments = args
        let pipe = Pipe()
        t.standardOutput = pipe
        t.standardError = pipe
        try t.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        t.waitUntilExit()
        return (t.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
