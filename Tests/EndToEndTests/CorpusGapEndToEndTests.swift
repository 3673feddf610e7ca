// The corpus gaps fixed with observable behaviour, run side by side with HAProxy 2.6 where it
// is installed: `unix-bind` (where the socket is made and its permissions) and `balance first`
// (which server answers).
import Foundation
import Glibc
import Testing
import Origins

@Suite(.serialized) struct CorpusGapEndToEndTests {
    static var binaries: [(String, String)] {
        [("ringproxy", ProxyProcess.ringproxyBinary)] + (HAProxyProcess.executable.map { [("haproxy", $0)] } ?? [])
    }

    /// Waits for a file to appear (a UNIX socket being bound), with a timeout.
    static func waitForFile(_ path: String, timeout: Duration = .seconds(10)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            usleep(10_000)
        }
        return false
    }

    @Test func unixBindPrefixAndModeApplyToUnixBinds() throws {
        let app = try AppServer(name: "U", port: 0, behaviour: .echo)
        defer { app.stop() }
        var modes: [String: UInt32] = [:]
        for (name, binary) in Self.binaries {
            let dir = NSTemporaryDirectory() + "rp-unixbind-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let config = """
                global
                    unix-bind prefix \(dir)/ mode 640
                defaults
                    mode http
                    timeout connect 1s
                    timeout client 5s
                    timeout server 5s
                listen px
                    bind unix@a.sock
                    bind unix@b.sock mode 600
                    server u 127.0.0.1:\(app.port)
                """
            let p = try ProxyProcess(config: config, binary: binary)
            defer { _ = p.stop() }
            #expect(Self.waitForFile(dir + "/b.sock"), "\(name): no socket at \(dir)/b.sock\n\(p.stderrText)")
            let answer = try ListenerTests.unixRequest(dir + "/a.sock")
            #expect(answer.hasPrefix("HTTP/1.1 200") && answer.lowercased().contains("x-server: u"), "\(name): \(answer)")   // HAProxy sends header names in lower case
            var a = stat(), b = stat()
            #expect(stat(dir + "/a.sock", &a) == 0 && stat(dir + "/b.sock", &b) == 0, "\(name)")
            modes[name + " a"] = UInt32(a.st_mode) & 0o777
            modes[name + " b"] = UInt32(b.st_mode) & 0o777
        }
        #expect(modes["ringproxy a"] == 0o640 && modes["ringproxy b"] == 0o600, "\(modes)")
        if HAProxyProcess.isInstalled {
            #expect(modes["haproxy a"] == modes["ringproxy a"] && modes["haproxy b"] == modes["ringproxy b"], "\(modes)")
        }
    }

    @Test func balanceFirstSendsEveryRequestToTheLowestIDWithRoom() throws {
        let a = try AppServer(name: "A", port: 0, behaviour: .echo)
        let b = try AppServer(name: "B", port: 0, behaviour: .echo)
        defer { a.stop(); b.stop() }
        var answers: [String: [String]] = [:]
        for (name, binary) in Self.binaries {
            let port = freePort()
            let config = """
                defaults
                    mode http
                    timeout connect 1s
                    timeout client 5s
                    timeout server 5s
                listen px
                    bind 127.0.0.1:\(port)
                    balance first
                    server b 127.0.0.1:\(b.port) id 2 maxconn 10
                    server a 127.0.0.1:\(a.port) id 1 maxconn 10
                """
            let p = try ProxyProcess(config: config, binary: binary, waitForPorts: [port])
            defer { _ = p.stop() }
            answers[name] = try (0..<4).map { _ in try RawHTTP.get(port: port, path: "/first").header("X-Server") ?? "-" }
        }
        #expect(answers["ringproxy"] == ["A", "A", "A", "A"], "\(answers)")
        if HAProxyProcess.isInstalled { #expect(answers["haproxy"] == answers["ringproxy"], "\(answers)") }
    }
}
