// `add server … check` and `add server … track` side by side with HAProxy 2.6: the same
// commands on the same configuration give the same answers (errors, `show servers state`,
// `show stat` with its check columns) and the same log lines (the checks of a dynamic server
// start disabled and run after `enable health`; trackers follow the tracked server into and
// out of maintenance; `del server` removes the checks and refuses a tracked server).
import Foundation
import Testing
import Proxy
import Origins
import CBench
import CUring

@Suite(.serialized) struct RuntimeDynamicCheckTests {
    /// p[0] front, p[2] syslog, p[3] a port nothing listens on; one origin for both proxies,
    /// listening before they start (so that no check fails). Checks every 100 ms, each given
    /// 2 s (a loaded machine must not fail one).
    static func template(origin: UInt16) -> @Sendable (String, String, [UInt16]) -> String { { admin, user, p in
        """
        global
            maxconn 1000
            stats socket \(admin) level admin
            stats socket \(user) level user
        defaults
            mode http
            timeout connect 2s
            timeout check 2s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:\(p[0])
            default_backend be
        backend be
            balance roundrobin
            option log-health-checks
            option httpchk GET /
            log 127.0.0.1:\(p[2]) daemon
            server srv 127.0.0.1:\(origin) check inter 100ms
            server nochk 127.0.0.1:\(origin)
        backend other
            balance roundrobin
            server o 127.0.0.1:\(origin) check inter 100ms
        """
    } }

    /// One proxy of the pair: its socket, its ports, its origin and its log.
    struct Side {
        let socket: String
        let ports: [UInt16]
        let syslog: SyslogCollector
        func cli(_ c: String) -> String { (try? CLIClient.send(c, socket: socket)) ?? "<no answer>" }
        /// A server's `show stat` check_status (`backend,server`).
        func checkStatus(_ server: String) -> String {
            let line = cli("show stat").split(separator: "\n").first { $0.hasPrefix(server + ",") } ?? ""
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            return cells.count > 36 ? String(cells[36]) : ""
        }
        func count(_ text: String) -> Int { log.filter { $0.contains(text) }.count }
        /// Log lines without the syslog header's date and process (`<29>Server be/s …`).
        var log: [String] {
            syslog.messages.map { m in
                var t = m.trimmingCharacters(in: .newlines)
                t = t.replacingOccurrences(of: #"^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d \S+\[\d+\]: "#, with: "<$1>", options: .regularExpression)
                t = t.replacingOccurrences(of: #"check duration: \d+ms"#, with: "check duration: Nms", options: .regularExpression)
                for (i, p) in ports.enumerated() { t = t.replacingOccurrences(of: String(p), with: "PORT\(i)") }
                return t
            }
        }
        func logContains(_ text: String) -> Bool { log.contains { $0.contains(text) } }
    }

    /// The pair's answer normalisation, and what depends on when the checks ran: a check's
    /// duration, and two counters
    /// HAProxy feeds from its check connections (a server's need_conn_est, a backend's h1_*),
    /// which ringproxy leaves at 0 for configured servers as well.
    static func normalize(_ pair: CLIPair, _ text: String, ports: [UInt16]) -> String {
        pair.normalize(text, ports: ports, socket: pair.dir).split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cells.count > 120 else { return String(line) }
            if !cells[38].isEmpty { cells[38] = "DUR" }
            cells[98] = "-"
            for i in 120..<min(cells.count, 128) { cells[i] = "-" }
            return cells.joined(separator: ",")
        }.joined(separator: "\n")
    }

    /// HAProxy's CHK_ST_INPROGRESS in `show servers state` (srv_check_state), or the `* ` of
    /// `show stat`'s check_status: a moment ringproxy's listings do not show.
    static func showsCheckInProgress(_ text: String) -> Bool {
        text.split(separator: "\n").contains { line in
            let words = line.split(separator: " ")
            if words.count == 25, Int(words[0]) != nil, let state = Int(words[13]), state & 1 == 1 { return true }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            return cells.count > 36 && cells[36].hasPrefix("* ")
        }
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs haproxy to compare with"))
    func checksAndTrackingOfDynamicServersAsHAProxy() throws {
        let origin = try AppServer(name: "o", port: 0, behaviour: .echo)
        defer { origin.stop() }
        let pair = try CLIPair(ports: 4, Self.template(origin: origin.port))
        let hapLog = try SyslogCollector(port: pair.hapPorts[2]), rpLog = try SyslogCollector(port: pair.rpPorts[2])
        defer { hapLog.stop(); rpLog.stop() }
        let hap = Side(socket: pair.hapSocket, ports: pair.hapPorts, syslog: hapLog)
        let rp = Side(socket: pair.rpSocket, ports: pair.rpPorts, syslog: rpLog)
        // The configured servers' first checks passed on both; the log is compared from here.
        #expect(ProcessProbe.waitUntil {
            [hap, rp].allSatisfy { $0.checkStatus("be,srv") == "L7OK" && $0.checkStatus("other,o") == "L4OK" }
        })
        let hapLogStart = hap.log.count, rpLogStart = rp.log.count

        var differences: [String] = []
        /// Each command on both sides, `PORTn` replaced by the side's port n and ORIGIN by the
        /// origin's; the answers compared.
        func run(_ commands: [String]) {
            for c in commands {
                func on(_ side: Side) -> String {
                    var command = c.replacingOccurrences(of: "ORIGIN", with: String(origin.port))
                    for (i, p) in side.ports.enumerated() { command = command.replacingOccurrences(of: "PORT\(i)", with: String(p)) }
                    var answer = side.cli(command)
                    // A listing taken while HAProxy runs a check shows it in progress: take another.
                    for _ in 0..<50 where command.hasPrefix("show") && Self.showsCheckInProgress(answer) {
                        usleep(2_000)
                        answer = side.cli(command)
                    }
                    return Self.normalize(pair, answer, ports: side.ports)
                }
                let a = on(hap), b = on(rp)
                if a != b { differences.append("'\(c)':\n--- haproxy\n\(a)\n--- ringproxy\n\(b)") }
            }
        }

        // Creation: errors of `check`/`track`, then the new servers as listed.
        run(["add server be/t0 127.0.0.1:ORIGIN check track be/srv", "add server be/t0 127.0.0.1:ORIGIN track be/nochk",
             "add server be/t0 127.0.0.1:ORIGIN track nob/srv", "add server be/t0 127.0.0.1:ORIGIN track be/nosuch",
             "add server be/t0 127.0.0.1:ORIGIN track fe/srv",
             "add server be/c1 127.0.0.1:ORIGIN check inter 100ms rise 1 fall 1",
             "add server be/c2 127.0.0.1:ORIGIN check inter 100ms rise 2 fall 3 port PORT3 addr 127.0.0.1",
             "add server be/t0 127.0.0.1:ORIGIN track be/c1", "add server be/t1 127.0.0.1:ORIGIN track be/srv",
             "add server be/t2 127.0.0.1:ORIGIN track srv", "add server be/t3 127.0.0.1:ORIGIN track other/o",
             "show servers state be", "show stat", "enable health be/nochk", "enable health be/t1", "del server be/srv",
             "del server other/o"])

        // c1: its check runs once enabled, and passes.
        run(["enable server be/c1", "show servers state be", "show stat", "enable health be/c1"])
        #expect(ProcessProbe.waitUntil { hap.logContains("Health check for server be/c1 succeeded") && rp.logContains("Health check for server be/c1 succeeded") },
                "\(hap.log)\n\(rp.log)")
        run(["show servers state be", "show stat"])

        // Trackers follow srv into maintenance and out of it; a tracker may be deleted, srv not.
        run(["enable server be/t1", "enable server be/t2", "disable server be/t2", "disable server be/srv", "show stat",
             "show servers state be", "del server be/srv", "del server be/t1",
             // Added while srv is in maintenance: it stays DOWN when srv comes back (HAProxy).
             "add server be/t4 127.0.0.1:ORIGIN track be/srv", "enable server be/t4", "show servers state be",
             "enable server be/srv"])
        // Out of maintenance, srv is checked at once (its log line comes then).
        let checked = "Health check for server be/srv succeeded"
        let before = (hap.count(checked), rp.count(checked))
        #expect(ProcessProbe.waitUntil { hap.count(checked) > before.0 && rp.count(checked) > before.1 }, "\(hap.log)\n\(rp.log)")
        run(["enable server be/t2", "show stat"])

        // c2: its check fails, in maintenance and out of it; deletion once in maintenance.
        // Enabled in maintenance, a dynamic server's check is not paused: it runs (HAProxy).
        run(["enable health be/c2"])
        #expect(ProcessProbe.waitUntil { hap.logContains("Health check for server be/c2 failed") && rp.logContains("Health check for server be/c2 failed") },
                "\(hap.log)\n\(rp.log)")
        run(["show servers state be", "enable server be/c2"])
        #expect(ProcessProbe.waitUntil { hap.logContains("Server be/c2 is DOWN") && rp.logContains("Server be/c2 is DOWN") },
                "\(hap.log)\n\(rp.log)")
        run(["show servers state be", "show stat", "del server be/c1", "disable server be/c1", "del server be/c1",
             "disable server be/c2", "del server be/c2", "show servers state be", "show stat",
             "add server be/c1 127.0.0.1:ORIGIN check", "show servers state be"])

        // The log, line for line.
        let hapLines = Array(hap.log.dropFirst(hapLogStart)), rpLines = Array(rp.log.dropFirst(rpLogStart))
        if hapLines != rpLines { differences.append("log:\n--- haproxy\n\(hapLines.joined(separator: "\n"))\n--- ringproxy\n\(rpLines.joined(separator: "\n"))") }
        #expect(differences.isEmpty, "\(differences.count) differ:\n\(differences.joined(separator: "\n"))")
    }

    /// `add server … agent-check`: the agent starts disabled; `enable agent` runs it and its
    /// `ready up` takes the server out of maintenance; `disable agent` then `disable server`
    /// let it be deleted (cli_add_check_server.vtc's s3, with the listings and the log).
    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs haproxy to compare with"))
    func agentOfADynamicServerAsHAProxy() throws {
        let agent = try ScriptedServer([.receive(5), ScriptedServer.text("ready up\n")])
        defer { agent.stop() }
        let origin = try AppServer(name: "o", port: 0, behaviour: .echo)
        defer { origin.stop() }
        let pair = try CLIPair(ports: 4, Self.template(origin: origin.port))
        let hapLog = try SyslogCollector(port: pair.hapPorts[2]), rpLog = try SyslogCollector(port: pair.rpPorts[2])
        defer { hapLog.stop(); rpLog.stop() }
        let hap = Side(socket: pair.hapSocket, ports: pair.hapPorts, syslog: hapLog)
        let rp = Side(socket: pair.rpSocket, ports: pair.rpPorts, syslog: rpLog)
        #expect(ProcessProbe.waitUntil {
            [hap, rp].allSatisfy { $0.checkStatus("be,srv") == "L7OK" && $0.checkStatus("other,o") == "L4OK" }
        })
        let hapLogStart = hap.log.count, rpLogStart = rp.log.count
        var differences: [String] = []
        func run(_ commands: [String]) {
            for c in commands {
                func on(_ side: Side) -> String {
                    var command = c.replacingOccurrences(of: "AGENT", with: String(agent.port))
                        .replacingOccurrences(of: "ORIGIN", with: String(origin.port))
                    for (i, p) in side.ports.enumerated() { command = command.replacingOccurrences(of: "PORT\(i)", with: String(p)) }
                    var answer = side.cli(command)
                    // A listing taken while HAProxy runs a check shows it in progress: take another.
                    for _ in 0..<50 where command.hasPrefix("show") && Self.showsCheckInProgress(answer) {
                        usleep(2_000)
                        answer = side.cli(command)
                    }
                    return Self.normalize(pair, answer, ports: side.ports)
                }
                let a = on(hap), b = on(rp)
                if a != b { differences.append("'\(c)':\n--- haproxy\n\(a)\n--- ringproxy\n\(b)") }
            }
        }
        run(["add server be/a1 127.0.0.1:ORIGIN agent-check", "enable agent be/srv", "disable agent be/srv",
             "add server be/a1 127.0.0.1:ORIGIN agent-check agent-port AGENT agent-inter 100ms agent-send hello",
             "add server be/a2 127.0.0.1:ORIGIN agent-check agent-addr 127.0.0.1 agent-port AGENT",
             "show servers state be", "enable agent be/a1"])
        #expect(ProcessProbe.waitUntil { hap.logContains("Agent check for server be/a1 succeeded") && rp.logContains("Agent check for server be/a1 succeeded") },
                "\(hap.log)\n\(rp.log)")
        run(["show servers state be", "disable agent be/a1", "show servers state be", "disable server be/a1",
             "del server be/a1", "del server be/a2", "show servers state be"])
        let hapLines = Array(hap.log.dropFirst(hapLogStart)), rpLines = Array(rp.log.dropFirst(rpLogStart))
        if hapLines != rpLines { differences.append("log:\n--- haproxy\n\(hapLines.joined(separator: "\n"))\n--- ringproxy\n\(rpLines.joined(separator: "\n"))") }
        #expect(differences.isEmpty, "\(differences.count) differ:\n\(differences.joined(separator: "\n"))")
    }
}
