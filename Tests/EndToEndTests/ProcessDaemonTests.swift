// Issue 3, process behaviour: `daemon` without -db forks to the background, writes its pid to
// the pidfile, serves, and stops on SIGTERM.
import Foundation
import Testing
import Proxy
import Origins

@Suite(.serialized) struct ProcessDaemonTests {
    @Test func daemonReturnsAtOnceWritesItsPidAndStopsOnSigterm() throws {
        let server = try AppServer(name: "A")
        defer { server.stop() }
        let port = freePort()
        let pidfile = "/tmp/ringproxy-proc-\(getpid())-\(port).pid"
        defer { unlink(pidfile) }
        let config = singleServerConfig(port: port, server: server.port, global: "nbthread 1\n    daemon\n    pidfile \(pidfile)")
        let path = try ProxyProcess.writeConfig(config)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }

        let started = ContinuousClock.now
        let launcher = try ProxyProcess.run(["-f", path], timeout: .seconds(5))
        #expect(ContinuousClock.now - started < .seconds(3), "the launching process did not return promptly")
        #expect(launcher.status == 0, "launcher: \(launcher.stderr)")

        let text = try String(contentsOfFile: pidfile, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "pidfile holds \(text.debugDescription)")
        let daemon = try #require(pid_t(lines[0]), "pidfile holds \(text.debugDescription)")
        defer { ProcessProbe.terminate(daemon) }
        #expect(ProcessProbe.isAlive(daemon))
        #expect(ProcessProbe.waitUntil { ProcessInspector.listeningPorts(pid: daemon).contains(port) },
                "pid \(daemon) from the pidfile does not listen on \(port)")

        let r = try RawHTTP.get(port: port, path: "/via-daemon")
        #expect(r.status == 200)
        #expect(r.header("X-Server") == "A")
        #expect(server.requestsReceived == 1)

        kill(daemon, SIGTERM)
        #expect(ProcessProbe.waitUntil(timeout: .seconds(2)) { !ProcessProbe.isAlive(daemon) }, "daemon survived SIGTERM")
        #expect(ProcessProbe.waitUntil(timeout: .seconds(1)) { !ProcessProbe.isListening(port) }, "port \(port) still in use")
    }
}
