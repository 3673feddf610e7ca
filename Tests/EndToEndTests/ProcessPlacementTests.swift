// Issue 10, start-up: server host names resolved at start (an unresolvable one is an error naming
// file:line, as `haproxy -c` says), and worker threads placed inside the CPU set the process may
// use (taskset), with HAProxy's `cpu-map`. Side by side with HAProxy where both can run.
import Foundation
import Testing
import Proxy
import Origins

private let haproxy = ["/usr/sbin/haproxy", "/usr/bin/haproxy"].first { FileManager.default.isExecutableFile(atPath: $0) }
private let taskset = ["/usr/bin/taskset", "/bin/taskset"].first { FileManager.default.isExecutableFile(atPath: $0) }
private let allowedCPUs = CPUPlacementProbe.allowed()

enum CPUPlacementProbe {
    /// CPUs this test process may use (from /proc/self/status).
    static func allowed() -> [Int] { parse(list(pid: "self") ?? "0") }

    /// Cpus_allowed_list of every thread of `pid` whose name starts with `prefix` (sorted by name).
    static func threads(_ pid: pid_t, named prefix: String) -> [(name: String, cpus: String)] {
        let dir = "/proc/\(pid)/task"
        let tids = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return tids.compactMap { tid -> (String, String)? in
            guard let comm = try? String(contentsOfFile: "\(dir)/\(tid)/comm", encoding: .utf8),
                  comm.hasPrefix(prefix), let l = list(pid: "\(pid)/task/\(tid)") else { return nil }
            return (comm.trimmingCharacters(in: .whitespacesAndNewlines), l)
        }.sorted { $0.0 < $1.0 }
    }

    static func list(pid: String) -> String? {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return s.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
            .map { $0.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces) }
    }

    static func parse(_ list: String) -> [Int] {
        list.split(separator: ",").flatMap { part -> [Int] in
            let b = part.split(separator: "-").compactMap { Int($0) }
            return b.count == 2 ? Array(b[0]...b[1]) : b
        }
    }

    /// Every thread of a process (HAProxy's threads all share its name).
    static func allThreads(_ pid: pid_t) -> [String] {
        let dir = "/proc/\(pid)/task"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().compactMap { list(pid: "\(pid)/task/\($0)") }
    }
}

@Suite(.serialized) struct ProcessPlacementTests {
    private func config(port: UInt16, server: String, global: String = "") -> String {
        """
        global
            \(global)
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:\(port)
            default_backend be
        backend be
            server web1 \(server)
        """
    }

    private func check(_ text: String, binary: String) throws -> (status: Int32, output: String) {
        let path = try ProxyProcess.writeConfig(text)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let r = try ProxyProcess.run(["-c", "-f", path], binary: binary, timeout: .seconds(20))
        return (r.status, r.stdout + r.stderr)
    }

    @Test func unresolvableServerNameIsAnErrorNamingFileAndLine() throws {
        let text = config(port: freePort(), server: "web_1.invalid:80")
        let r = try check(text, binary: ProxyProcess.ringproxyBinary)
        #expect(r.status == 1)
        #expect(r.output.contains("proxy.cfg:12"), "\(r.output)")
        #expect(r.output.contains("could not resolve address 'web_1.invalid'"), "\(r.output)")
        if let haproxy {
            let h = try check(text, binary: haproxy)
            #expect(h.status == 1)
            #expect(h.output.contains("proxy.cfg:12") && h.output.contains("could not resolve address 'web_1.invalid'"), "\(h.output)")
        }
    }

    @Test func serverGivenByHostNameIsResolvedAtStart() throws {
        let origin = try AppServer(name: "A")
        defer { origin.stop() }
        let port = freePort()
        let text = config(port: port, server: "localhost:\(origin.port)", global: "nbthread 1")
        #expect(try check(text, binary: ProxyProcess.ringproxyBinary).status == 0)
        if let haproxy { #expect(try check(text, binary: haproxy).status == 0) }
        let proxy = try ProxyProcess(config: text, waitForPorts: [port], timeout: .seconds(30))
        defer { proxy.stop() }
        let r = try RawHTTP.get(port: port)
        #expect(r.status == 200 && r.header("X-Server") == "A")
    }

    @Test(.enabled(if: taskset != nil && allowedCPUs.count >= 2, "needs taskset and two CPUs"))
    func workersDefaultToTheAllowedSetAndStayInside() throws {
        let cpu = allowedCPUs.last!
        let port = freePort()
        let text = config(port: port, server: "127.0.0.1:\(freePort())")
        // no nbthread: as many workers as CPUs allowed (here one), pinned inside the set
        let proxy = try ProxyProcess(arguments: ["-c", "\(cpu)", ProxyProcess.ringproxyBinary, "-f", ProxyProcess.writeConfig(text), "-db"],
                                     binary: taskset!, waitForPorts: [port], timeout: .seconds(30))
        defer { proxy.stop() }
        var workers: [(name: String, cpus: String)] = []
        for _ in 0..<500 where workers.isEmpty {             // the threads start after the bind
            workers = CPUPlacementProbe.threads(proxy.pid, named: "rp-worker-"); usleep(10_000)
        }
        #expect(workers.map(\.cpus) == ["\(cpu)"], "\(workers)")
        if let haproxy {
            let hport = freePort()
            let h = try ProxyProcess(arguments: ["-c", "\(cpu)", haproxy, "-f", ProxyProcess.writeConfig(config(port: hport, server: "127.0.0.1:1")), "-db"],
                                     binary: taskset!, waitForPorts: [hport], timeout: .seconds(30))
            defer { h.stop() }
            #expect(CPUPlacementProbe.allThreads(h.pid) == ["\(cpu)"])       // HAProxy: one thread, same CPU
        }
    }

    @Test(.enabled(if: taskset != nil && allowedCPUs.count >= 2, "needs taskset and two CPUs"))
    func cpuMapPlacesEachWorker() throws {
        let (a, b) = (allowedCPUs[0], allowedCPUs[1])
        let cases: [(map: String, expected: [String])] = [
            ("cpu-map auto:1/1-2 \(a)-\(b)", ["\(a)", "\(b)"]),
            ("cpu-map 1/all \(a)-\(b)", ["\(a)-\(b)", "\(a)-\(b)"]),
            ("cpu-map 1/1 \(b)", ["\(b)", "\(b)"]),            // thread 2 keeps its default: the 2nd CPU
            ("cpu-map 1/2 \(a)", ["\(a)", "\(a)"]),
            ("cpu-map auto:1/1-2 \(b) \(a)", ["\(a)", "\(b)"]),  // CPUs are taken lowest first
        ]
        for c in cases {
            let port = freePort()
            let text = config(port: port, server: "127.0.0.1:\(freePort())", global: "nbthread 2\n    \(c.map)")
            let proxy = try ProxyProcess(arguments: ["-c", "\(a)-\(b)", ProxyProcess.ringproxyBinary, "-f", ProxyProcess.writeConfig(text), "-db"],
                                         binary: taskset!, waitForPorts: [port], timeout: .seconds(30))
            defer { proxy.stop() }
            var workers: [(name: String, cpus: String)] = []
            for _ in 0..<500 where workers.count < 2 {       // the threads start after the bind
                workers = CPUPlacementProbe.threads(proxy.pid, named: "rp-worker-"); usleep(10_000)
            }
            #expect(workers.map(\.cpus) == c.expected, "\(c.map): \(workers)")
        }
    }

    @Test func cpuMapSyntaxAgreesWithHAProxy() throws {
        let lines = ["cpu-map 1/all 0-1", "cpu-map auto:1/1-2 0-1", "cpu-map 1/1 0", "cpu-map 1 0", "cpu-map 2/1 0",
                     "cpu-map 1/1- 0-", "cpu-map odd 0", "cpu-map 1/65 0", "cpu-map 1/x 0", "cpu-map 1/1 a",
                     "cpu-map auto:1/1-2 0-1 5", "cpu-map auto:1-2/1-2 0-1", "cpu-map 1/1"]
        for line in lines {
            let text = config(port: freePort(), server: "127.0.0.1:80", global: "nbthread 2\n    \(line)")
            let r = try check(text, binary: ProxyProcess.ringproxyBinary)
            if r.status != 0 { #expect(r.output.contains("proxy.cfg:3"), "\(line): \(r.output)") }
            if let haproxy {
                let h = try check(text, binary: haproxy)
                #expect(r.status == h.status, "\(line): ringproxy \(r.status) \(r.output) / haproxy \(h.status) \(h.output)")
            }
        }
    }
}
