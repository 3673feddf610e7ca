// Issue 15 item 1, side by side with HAProxy 2.6: a graceful stop (SIGUSR1, or a reload with
// -sf) loses no request. The response in preparation says `Connection: close`; idle keep-alive
// connections are closed; under wrk with 32 connections, reloads every few seconds cost no socket
// error and no non-2xx answer, with keep-alive and with `Connection: close`.
import Foundation
import Glibc
import Testing
import Synchronization
import Origins

private let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite(.serialized) struct GracefulReloadTests {
    private static func config(origin: UInt16, port: UInt16, log: UInt16? = nil) -> String {
        """
        global
            nbthread 2
            \(log.map { "log 127.0.0.1:\($0) local0" } ?? "")
        defaults
            mode http
            \(log == nil ? "" : "log global\n    option httplog")
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

    @Test func theResponseInPreparationSaysConnectionCloseAndIdleConnectionsClose() throws {
        let slowSeen = Mutex(0)
        let origin = try ScriptedTCPOrigin { peer, _ in
            while let head = peer.readHead() {
                if head.hasPrefix("GET /slow") { slowSeen.withLock { $0 += 1 }; usleep(400_000) }
                peer.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            }
        }
        defer { origin.stop() }
        let twins = try TwinProxies { port, log in Self.config(origin: origin.port, port: port, log: log) }
        defer { twins.stop() }
        for (i, side) in twins.sides.enumerated() {
            let idle = try RawHTTP(port: side.port)
            #expect(try idle.request("GET", path: "/").status == 200)
            usleep(600_000)                          // quiet since: idle
            let busy = try RawHTTP(port: side.port)
            try busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(ProcessProbe.waitUntil { slowSeen.withLock { $0 } == i + 1 })
            side.process.signal(SIGUSR1)
            let r = try busy.readResponse()
            #expect(r.status == 200)
            #expect(r.header("Connection")?.lowercased() == "close", "\(side.name): \(r.headText)")
            #expect(busy.isClosed(within: .seconds(2)), "\(side.name)")
            #expect(idle.isClosed(within: .seconds(1)), "\(side.name): idle connection kept")
            #expect(ProcessProbe.waitUntil(timeout: .seconds(3)) { !side.process.isRunning }, "\(side.name) still running")
        }
    }

    static let kernelMigratesQueuedConnections =
        (try? String(contentsOfFile: "/proc/sys/net/ipv4/tcp_migrate_req", encoding: .utf8))?.hasPrefix("1") == true

    /// wrk with 32 connections while the proxy is reloaded with -sf `reloads` times.
    private func reloadUnderLoad(binary: String, origin: UInt16, close: Bool, seconds: Int, reloads: Int) throws -> (requests: Int, errors: Int, non2xx: Int, output: String) {
        let port = freePort()
        let text = Self.config(origin: origin, port: port)
        var processes = [try ProxyProcess(config: text, binary: binary, waitForPorts: [port], timeout: .seconds(30))]
        defer { processes.forEach { $0.stop() } }
        var args = ["-t2", "-c32", "-d\(seconds)s", "--timeout", "10s"]
        if close { args += ["-H", "Connection: close"] }
        let out = try ProxyProcess(arguments: args + ["http://127.0.0.1:\(port)/"], binary: wrk!)
        let period = Double(seconds) / Double(reloads + 1)
        for _ in 1...reloads {
            let until = ContinuousClock.now + .milliseconds(Int(period * 1000))
            while ContinuousClock.now < until { usleep(20_000) }
            let old = processes.last!
            processes.append(try ProxyProcess(config: text, binary: binary, waitForPorts: [port],
                                              extraArguments: ["-sf", "\(old.pid)"], timeout: .seconds(30)))
        }
        #expect(ProcessProbe.waitUntil(timeout: .seconds(Double(seconds) + 20)) { !out.isRunning }, "wrk did not finish")
        let text2 = out.stdoutText
        func number(after label: String) -> Int {
            guard let r = text2.range(of: label) else { return 0 }
            return Int(text2[r.upperBound...].prefix { $0.isNumber }) ?? 0
        }
        let errors = ["connect ", "read ", "write ", "timeout "].map { number(after: $0) }.reduce(0, +)
        let requests = Int(text2.split(separator: "\n").first { $0.contains("requests in") }?
            .trimmingCharacters(in: .whitespaces).prefix { $0.isNumber } ?? "") ?? 0
        for p in processes.dropLast() {
            #expect(ProcessProbe.waitUntil(timeout: .seconds(5)) { !p.isRunning }, "an old process did not finish")
        }
        return (requests, errors, number(after: "Non-2xx or 3xx responses: "), text2)
    }

    @Test(.enabled(if: wrk != nil, "needs wrk"), arguments: [false, true])
    func reloadsUnderLoadLoseNothing(close: Bool) throws {
        // RELOAD_SOAK=1: the issue's full run, 10 reloads in 20 s; by default a shorter one.
        let soak = ProcessInfo.processInfo.environment["RELOAD_SOAK"] != nil
        let (seconds, reloads) = soak ? (20, 10) : (6, 5)
        let origin = try AppServer(name: "A")
        defer { origin.stop() }
        let rp = try reloadUnderLoad(binary: ProxyProcess.ringproxyBinary, origin: origin.port, close: close, seconds: seconds, reloads: reloads)
        #expect(rp.requests > 0, "\(rp.output)")
        #expect(rp.non2xx == 0, "ringproxy: \(rp.output)")
        if close && !Self.kernelMigratesQueuedConnections {
            // A connection the kernel queued on the old process's listener between its last
            // accept and its close is reset (HAProxy loses them the same way: 0-17 here in 20 s).
            // Only net.ipv4.tcp_migrate_req=1 (Linux 5.14+) hands them to the new listener.
            #expect(rp.errors <= 2, "ringproxy: \(rp.output)")
        } else {
            #expect(rp.errors == 0, "ringproxy: \(rp.output)")
        }
        if let h = HAProxyProcess.executable {
            let hp = try reloadUnderLoad(binary: h, origin: origin.port, close: close, seconds: seconds, reloads: reloads)
            print("reload under load (\(close ? "Connection: close" : "keep-alive"), \(reloads) reloads in \(seconds) s): "
                  + "ringproxy \(rp.requests) requests, \(rp.errors) socket errors, \(rp.non2xx) non-2xx; "
                  + "haproxy \(hp.requests) requests, \(hp.errors) socket errors, \(hp.non2xx) non-2xx")
        }
    }
}
