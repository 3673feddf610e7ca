// Issue 13, `-x SOCKET` with `stats socket … expose-fd listeners`, side by side with HAProxy 2.6:
// the new process takes the old one's listening socket (the same kernel socket, not a new bind),
// so a client loop that opens a new connection per request sees no refused or reset connection
// across reloads (`-x SOCK -sf OLD`), and neither does wrk with `Connection: close`. Without
// `expose-fd listeners` the old process hands nothing over and the new one refuses to start.
import CBench
import CUring
import Foundation
import Glibc
import Testing
import Synchronization
import Origins

private let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite(.serialized) struct ListenerTakeoverTests {
    static func config(socket: String, port: UInt16, origin: UInt16, expose: Bool = true) -> String {
        """
        global
            nbthread 2
            stats socket \(socket) level admin\(expose ? " expose-fd listeners" : "")
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
            timeout http-keep-alive 5s
        frontend fe
            bind 127.0.0.1:\(port)
            default_backend be
        backend be
            server s1 127.0.0.1:\(origin)
        """
    }

    static func temporaryDirectory() -> String {
        var t = Array("/tmp/rp-x-XXXXXX".utf8CString)
        return String(cString: mkdtemp(&t)!)
    }

    /// The inode of the socket listening on `port` that process `pid` holds.
    static func listeningInode(pid: pid_t, port: UInt16) -> UInt64? {
        let mine = ProcessInspector.socketInodes(pid: pid)
        return ProcessInspector.listeningTCPSockets(family: AF_INET).first { $0.1 == port && mine.contains($0.0) }?.0
    }

    /// Starts `binary`, then reloads it `reloads` times with `-x SOCK -sf OLD`, calling `load`
    /// before each reload and `finish` before the last process stops; returns the listening
    /// socket's inode in each generation.
    static func reload(binary: String, origin: UInt16, reloads: Int, port: UInt16,
                       load: () -> Void, finish: () -> Void) throws -> [UInt64?] {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sock = dir + "/admin.sock"
        let text = config(socket: sock, port: port, origin: origin)
        var processes = [try ProxyProcess(config: text, binary: binary, waitForPorts: [port], timeout: .seconds(30))]
        defer { processes.forEach { $0.stop() } }
        try CLIClient.waitForSocket(sock)
        var inodes = [listeningInode(pid: processes[0].pid, port: port)]
        for _ in 1...reloads {
            load()
            let old = processes.last!
            let new = try ProxyProcess(config: text, binary: binary, waitForPorts: [port],
                                       extraArguments: ["-x", sock, "-sf", "\(old.pid)"], timeout: .seconds(30))
            processes.append(new)
            #expect(ProcessProbe.waitUntil(timeout: .seconds(10)) { !old.isRunning }, "the old process did not finish")
            // (HAProxy 2.6.12's old process has been seen to crash on its soft stop under wrk.)
            if binary == ProxyProcess.ringproxyBinary { #expect(old.exitCode == 0, "old: \(old.stderrText)") }
            inodes.append(listeningInode(pid: new.pid, port: port))
            #expect(!new.stderrText.contains("ALERT"), "\(new.stderrText)")
        }
        load()
        finish()
        return inodes
    }

    @Test func theNewProcessListensOnTheOldSocketAndAClientLoopSeesNoRefusal() throws {
        let origin = try AppServer(name: "A")
        defer { origin.stop() }
        var binaries = [("ringproxy", ProxyProcess.ringproxyBinary)]
        if let h = HAProxyProcess.executable { binaries.append(("haproxy", h)) }
        for (name, binary) in binaries {
            let port = freePort()
            // One new connection per request, as fast as it goes, from another thread.
            let stop = Atomic<Bool>(false)
            let results = Mutex((ok: 0, failures: [String]()))
            let client = Thread {
                while !stop.load(ordering: .relaxed) {
                    do {
                        let r = try RawHTTP.get(port: port, path: "/loop")
                        results.withLock { if r.status == 200 { $0.ok += 1 } else { $0.failures.append("status \(r.status)") } }
                    } catch {
                        results.withLock { $0.failures.append("\(error)") }
                    }
                }
            }
            var started = false
            let inodes = try Self.reload(binary: binary, origin: origin.port, reloads: 4, port: port) {
                if !started { client.start(); started = true }
                // Some requests before each reload.
                let seen = results.withLock { $0.ok }
                _ = ProcessProbe.waitUntil(timeout: .seconds(5)) { results.withLock { $0.ok } >= seen + 20 }
            } finish: {
                stop.store(true, ordering: .relaxed)
                _ = ProcessProbe.waitUntil(timeout: .seconds(5)) { client.isFinished }
            }
            let r = results.withLock { $0 }
            #expect(r.ok >= 100, "\(name): \(r.ok) requests")
            #expect(r.failures.isEmpty, "\(name): \(r.failures.count) failed connections: \(Array(r.failures.prefix(5)))")
            #expect(inodes.count == 5 && inodes.allSatisfy { $0 != nil && $0 == inodes[0] },
                    "\(name): every generation listens on the first one's socket: \(inodes)")
        }
    }

    @Test func withoutExposeFDTheNewProcessCannotTakeTheSocketsAndStops() throws {
        var binaries = [("ringproxy", ProxyProcess.ringproxyBinary)]
        if let h = HAProxyProcess.executable { binaries.append(("haproxy", h)) }
        var outcomes: [String: (Int32?, Bool)] = [:]
        for (name, binary) in binaries {
            let dir = Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let sock = dir + "/admin.sock"
            let port = freePort()
            let text = Self.config(socket: sock, port: port, origin: freePort(), expose: false)
            let old = try ProxyProcess(config: text, binary: binary, waitForPorts: [port], timeout: .seconds(30))
            defer { old.stop() }
            try CLIClient.waitForSocket(sock)
            let path = try ProxyProcess.writeConfig(text)
            defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
            let new = try ProxyProcess.run(["-f", path, "-db", "-x", sock, "-sf", "\(old.pid)"], binary: binary, timeout: .seconds(10))
            outcomes[name] = (new.status, new.stderr.contains("Failed to get the sockets from the old process!"))
            #expect(new.status == 1, "\(name): \(new.stderr)")
            #expect(new.stderr.contains("Failed to get the sockets from the old process!"), "\(name): \(new.stderr)")
            #expect(old.isRunning, "\(name): the old process keeps serving")
        }
        if outcomes.count == 2 { #expect(outcomes["ringproxy"]! == outcomes["haproxy"]!) }
    }

    @Test(.enabled(if: wrk != nil, "needs wrk"), arguments: [false, true])
    func wrkLosesNothingAcrossTakeoverReloads(close: Bool) throws {
        let origin = try AppServer(name: "A")
        defer { origin.stop() }
        // RELOAD_SOAK=1: the issue's full run, 10 reloads in 20 s; by default a shorter one.
        let soak = ProcessInfo.processInfo.environment["RELOAD_SOAK"] != nil
        let (seconds, reloads) = soak ? (20, 10) : (6, 5)
        func run(_ binary: String) throws -> (requests: Int, errors: Int, output: String) {
            let port = freePort()
            var wrkProcess: ProxyProcess? = nil
            _ = try Self.reload(binary: binary, origin: origin.port, reloads: reloads, port: port) {
                if wrkProcess == nil {
                    wrkProcess = try? ProxyProcess(arguments: ["-t2", "-c32", "-d\(seconds)s", "--timeout", "10s"]
                                                      + (close ? ["-H", "Connection: close"] : []) + ["http://127.0.0.1:\(port)/"], binary: wrk!)
                }
                usleep(useconds_t(seconds * 1_000_000 / (reloads + 1) - 100_000))
            } finish: {
                _ = ProcessProbe.waitUntil(timeout: .seconds(30)) { wrkProcess?.isRunning != true }
            }
            let out = try #require(wrkProcess)
            #expect(!out.isRunning, "wrk did not finish")
            let text = out.stdoutText
            func number(after label: String) -> Int {
                guard let r = text.range(of: label) else { return 0 }
                return Int(text[r.upperBound...].prefix { $0.isNumber }) ?? 0
            }
            let errors = ["connect ", "read ", "write ", "timeout "].map { number(after: $0) }.reduce(0, +)
                + number(after: "Non-2xx or 3xx responses: ")
            let requests = Int(text.split(separator: "\n").first { $0.contains("requests in") }?
                .trimmingCharacters(in: .whitespaces).prefix { $0.isNumber } ?? "") ?? 0
            return (requests, errors, text)
        }
        let rp = try run(ProxyProcess.ringproxyBinary)
        #expect(rp.requests > 0 && rp.errors == 0, "ringproxy: \(rp.output)")
        if let h = HAProxyProcess.executable {
            let hp = try run(h)
            print("-x -sf reloads under wrk (\(close ? "Connection: close" : "keep-alive"), \(reloads) reloads in \(seconds) s): ringproxy \(rp.requests) requests, \(rp.errors) errors; "
                  + "haproxy \(hp.requests) requests, \(hp.errors) errors")
        }
    }

    @Test func stickTableEntriesSurviveATakeoverReload() throws {
        // Without a `peers` section HAProxy starts with empty tables; ringproxy's new process
        // asks the old one for its entries over the same socket (`_getstktables`).
        let a = try AppServer(name: "A"), b = try AppServer(name: "B")
        defer { a.stop(); b.stop() }
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sock = dir + "/admin.sock", port = freePort()
        let text = """
            global
                nbthread 1
                stats socket \(sock) level admin expose-fd listeners
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be
            backend be
                balance roundrobin
                stick-table type ip size 1k expire 10m
                stick on src
                server A 127.0.0.1:\(a.port)
                server B 127.0.0.1:\(b.port)
            """
        let old = try ProxyProcess(config: text, waitForPorts: [port], timeout: .seconds(30))
        defer { old.stop() }
        try CLIClient.waitForSocket(sock)
        #expect(try RawHTTP.get(port: port, source: "127.0.0.2").header("X-Server") == "A")
        #expect(try RawHTTP.get(port: port, source: "127.0.0.1").header("X-Server") == "B")
        let new = try ProxyProcess(config: text, waitForPorts: [port], extraArguments: ["-x", sock, "-sf", "\(old.pid)"], timeout: .seconds(30))
        defer { new.stop() }
        #expect(ProcessProbe.waitUntil(timeout: .seconds(10)) { !old.isRunning })
        // A fresh round robin would send the first request to A.
        #expect(try RawHTTP.get(port: port, source: "127.0.0.1").header("X-Server") == "B")
        #expect(try CLIClient.send("show table be", socket: sock).contains("key=127.0.0.1"))
    }
}
