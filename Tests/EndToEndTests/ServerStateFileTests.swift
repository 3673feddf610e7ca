// `server-state-file` + `load-server-state-from-file`, side by side with HAProxy 2.6: the
// same saved states give the same `show servers state` and `show stat` after start, and the
// same start-up warnings; then the reload flow: states changed at run time, dumped with
// `show servers state`, come back in the next process.
import Foundation
import Testing
import Proxy

@Suite(.serialized) struct ServerStateFileTests {
    static func config(dir: String, front: UInt16, server: UInt16, local: Bool = false) -> String {
        """
        global
            maxconn 1000
            stats socket \(dir)/admin.sock level admin
            server-state-base \(dir)
            server-state-file global.state
        defaults
            mode http
            load-server-state-from-file \(local ? "local" : "global")
            timeout connect 5s
            timeout client 5s
            timeout server 5s
        frontend fe1
            bind 127.0.0.1:\(front)
            default_backend b1
        backend b1
            balance roundrobin
            server s1 127.0.0.1:\(server)
            server s2 127.0.0.1:\(server) weight 10
            server s3 127.0.0.1:\(server)
            server s4 127.0.0.1:\(server) check inter 30s
            server s5 127.0.0.1:\(server)
        backend b2
            server s1 127.0.0.1:\(server) disabled
            server s2 127.0.0.1:\(server)
        """
    }

    static func state(_ server: UInt16) -> String {
        """
        1
        # be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
        3 b1 1 s1 127.0.0.1 2 1 1 1 100 1 0 2 0 0 0 0 - \(server) - 0 0 - - 0
        3 b1 2 s2 127.0.0.1 2 8 5 10 50 1 0 2 0 0 0 0 - \(server) - 0 0 - - 0
        3 b1 3 s3 127.0.0.1 0 0 1 1 50 1 0 0 0 0 0 0 - \(server + 1) - 0 0 - - 0
        3 b1 4 s4 127.0.0.1 2 0 1 1 50 6 3 4 2 0 0 0 - \(server) - 0 0 - - 0
        4 b2 1 s1 127.0.0.1 2 0 1 1 100 1 0 2 0 0 0 0 - \(server) - 0 0 - - 0
        4 b2 2 s2 127.0.0.1 3 0 7 1 100 1 0 2 0 0 0 0 - \(server) - 0 0 - - 0
        4 b2 9 nosuch 127.0.0.1 3 0 7 1 100 1 0 2 0 0 0 0 - \(server) - 0 0 - - 0

        """
    }

    /// Starts `binary` (nil: ringproxy) on the saved state; returns its start-up warnings
    /// and the normalised `show servers state` and `show stat` states.
    static func start(haproxy: Bool, local: Bool = false, saved: ((UInt16) -> String)? = nil) throws -> (warnings: [String], state: String, stat: [String]) {
        var t = Array("/tmp/rp-ss-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&t)!)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let front = freePort(), server = freePort()
        try (saved ?? state)(server).write(toFile: dir + (local ? "/b1" : "/global.state"), atomically: true, encoding: .utf8)
        if local { try state(server).write(toFile: dir + "/b2", atomically: true, encoding: .utf8) }
        let text = config(dir: dir, front: front, server: server, local: local)
        let p = haproxy ? try HAProxyProcess.start(config: text, waitForPorts: [front]) : try ProxyProcess(config: text, waitForPorts: [front])
        defer { _ = p.stop() }
        try CLIClient.waitForSocket(dir + "/admin.sock")
        let st = try CLIClient.send("show servers state", socket: dir + "/admin.sock")
            .split(separator: "\n").map { line -> String in
                var w = line.split(separator: " ").map(String.init)
                if w.count == 25 { w[9] = Int(w[9])! >= 75 ? "OLD" : "NEW" }      // the saved age goes on (100 or 50 saved: a
                // threshold between them, as a clock rounding may show 99 for a saved 100)
                // s4's first check may or may not have run yet on a loaded machine.
                if w.count == 25 && w[3] == "s4" && w[1] == "b1" { for i in [5, 9, 10, 11, 12] { w[i] = "*" } }
                return w.joined(separator: " ")
            }.joined(separator: "\n").replacingOccurrences(of: String(server + 1), with: "PORT+1").replacingOccurrences(of: String(server), with: "PORT")
        let stat = try CLIClient.send("show stat", socket: dir + "/admin.sock").split(separator: "\n").map {
            let c = $0.split(separator: ",", omittingEmptySubsequences: false)
            return c.count > 20 ? [0, 1, 17, 18, 19, 20].map { String(c[$0]) }.joined(separator: ",") : String($0)
        }
        let err = (try? String(contentsOfFile: p.stderrPath, encoding: .utf8)) ?? ""
        let warnings = err.split(separator: "\n").filter { $0.hasPrefix("[WARNING]") }.map {
            String($0).replacingOccurrences(of: #"^\[WARNING\] +(\(\d+\) : )?"#, with: "", options: .regularExpression)
                .replacingOccurrences(of: dir, with: "DIR")
        }
        return (warnings, st, stat)
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs /usr/sbin/haproxy"))
    func globalFileAsHAProxy() throws {
        let hap = try Self.start(haproxy: true)
        let rp = try Self.start(haproxy: false)
        #expect(hap.state.split(separator: "\n") == rp.state.split(separator: "\n"))   // a line diff when they differ
        #expect(hap.stat == rp.stat)
        #expect(hap.warnings.filter { $0.hasPrefix("config : ") } == rp.warnings)
        #expect(rp.stat.contains("b1,s1,MAINT,1,1,0") && rp.stat.contains("b1,s2,DRAIN,5,1,0") && rp.stat.contains("b1,s3,DOWN,1,1,0"))
        #expect(rp.stat.contains("b2,s1,MAINT,1,1,0"), "a server disabled in the configuration stays in maintenance")
        #expect(rp.stat.contains("b2,s2,NOLB,7,1,0"))
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs /usr/sbin/haproxy"))
    func localFilesAsHAProxy() throws {
        let hap = try Self.start(haproxy: true, local: true)
        let rp = try Self.start(haproxy: false, local: true)
        #expect(hap.state.split(separator: "\n") == rp.state.split(separator: "\n"))   // a line diff when they differ
        #expect(hap.warnings.filter { $0.hasPrefix("config : ") } == rp.warnings)
        #expect(rp.warnings.contains("config : Proxy 'b2': can't find server 'nosuch' in backend 'b2'"))
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs /usr/sbin/haproxy"))
    func invalidFieldsAndCorruptedFilesAsHAProxy() throws {
        // One server's line with invalid values: that server keeps its configured state.
        let invalid: (UInt16) -> String = { server in
            Self.state(server).replacingOccurrences(of: "3 b1 1 s1 127.0.0.1 2 1 1 1 100", with: "3 b1 1 s1 127.0.0.1 7 1 x 1 100")
        }
        let hap = try Self.start(haproxy: true, saved: invalid)
        let rp = try Self.start(haproxy: false, saved: invalid)
        #expect(hap.warnings.filter { $0.hasPrefix("config : ") } == rp.warnings)
        #expect(rp.warnings.contains { $0.contains("server-state application failed for server 'b1/s1', invalid srv_op_state value '7'") })
        #expect(hap.state.split(separator: "\n") == rp.state.split(separator: "\n"))   // a line diff when they differ
        // A line with too few fields: the whole file is ignored.
        let corrupted: (UInt16) -> String = { server in
            Self.state(server).replacingOccurrences(of: "3 b1 3 s3 127.0.0.1 0 0 1 1 50 1 0 0 0 0 0 0 - \(server + 1) - 0 0 - - 0", with: "3 b1 3 s3 127.0.0.1 0")
        }
        let hap2 = try Self.start(haproxy: true, saved: corrupted)
        let rp2 = try Self.start(haproxy: false, saved: corrupted)
        #expect(hap2.warnings.filter { $0.hasPrefix("config : ") } == rp2.warnings.filter { $0.hasPrefix("config : ") })   // the check of s4 may report first
        #expect(rp2.warnings.contains { $0.contains("corrupted global server state file") })
        let settled: ([String]) -> [String] = { $0.filter { !$0.contains(",s4,") && !$0.contains("BACKEND") } }   // s4's first check races
        #expect(settled(hap2.stat) == settled(rp2.stat))
        #expect(rp2.stat.contains("b1,s1,no check,1,1,0") || rp2.stat.contains { $0.hasPrefix("b1,s1,UP") }, "nothing of the file applied")
    }

    @Test func statesSurviveADumpAndARestart() throws {
        var t = Array("/tmp/rp-ss-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&t)!)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let front = freePort(), server = freePort()
        let text = Self.config(dir: dir, front: front, server: server)
        let first = try ProxyProcess(config: text, waitForPorts: [front])
        try CLIClient.waitForSocket(dir + "/admin.sock")
        for c in ["set server b1/s1 state maint", "set server b1/s3 state drain", "set server b1/s2 weight 3", "disable health b1/s4"] {
            #expect(try CLIClient.send(c, socket: dir + "/admin.sock") == "\n")
        }
        let dump = try CLIClient.send("show servers state", socket: dir + "/admin.sock")
        try dump.write(toFile: dir + "/global.state", atomically: true, encoding: .utf8)
        _ = first.stop()
        let second = try ProxyProcess(config: text, waitForPorts: [front])
        defer { _ = second.stop() }
        try CLIClient.waitForSocket(dir + "/admin.sock")
        let stat = try CLIClient.send("show stat", socket: dir + "/admin.sock")
        func row(_ s: String) -> [Substring] { stat.split(separator: "\n").first { $0.hasPrefix("b1,\(s),") }!.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(row("s1")[17] == "MAINT" && row("s3")[17] == "DRAIN" && row("s2")[18] == "3")
        let again = try CLIClient.send("show servers state b1", socket: dir + "/admin.sock")
        #expect(again.split(separator: "\n").first { $0.contains(" s4 ") }?.split(separator: " ")[13] == "2", "checks stay disabled")
    }
}
