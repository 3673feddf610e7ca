// `set server B/S agent up|down`, `agent-addr`, `agent-port`, `agent-send` side by side with
// HAProxy 2.6: the same commands on the same configuration give the same answers (errors for a
// server without an agent, bad ports; `show servers state`'s srv_agent_addr/srv_agent_port) and
// the same log lines (DOWN "changed from CLI", back UP with the agent's next reply, the agent
// failing once pointed at a closed port and passing once pointed back).
import Foundation
import Testing
import Proxy
import Origins
import CBench
import CUring

@Suite(.serialized) struct RuntimeAgentCommandsTests {
    /// p[0] front, p[3] a port nothing listens on (p[2] unused); `syslog` (HAProxy's, ringproxy's) chosen by
    /// the admin socket's name, so that the collectors listen before the proxies start and
    /// miss none of their first lines. `ag` has an agent only.
    static func template(origin: UInt16, agent: UInt16, syslog: (hap: UInt16, rp: UInt16)) -> @Sendable (String, String, [UInt16]) -> String { { admin, user, p in
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
            log 127.0.0.1:\(admin.hasSuffix("/hap.sock") ? syslog.hap : syslog.rp) daemon
            server srv 127.0.0.1:\(origin) check inter 100ms
            server nochk 127.0.0.1:\(origin)
            server ag 127.0.0.1:\(origin) agent-check agent-port \(agent) agent-inter 200ms
        """
    } }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs haproxy to compare with"))
    func agentCommandsAsHAProxy() throws {
        // Answers `up` at once, then reads what agent-send sent.
        let agent = try ScriptedServer([ScriptedServer.text("up\n"), .receive(5)])
        defer { agent.stop() }
        let origin = try AppServer(name: "o", port: 0, behaviour: .echo)
        defer { origin.stop() }
        let hapLog = try SyslogCollector(), rpLog = try SyslogCollector()
        defer { hapLog.stop(); rpLog.stop() }
        let pair = try CLIPair(ports: 4, Self.template(origin: origin.port, agent: agent.port, syslog: (hapLog.port, rpLog.port)))
        typealias Side = RuntimeDynamicCheckTests.Side
        let hap = Side(socket: pair.hapSocket, ports: pair.hapPorts, syslog: hapLog)
        let rp = Side(socket: pair.rpSocket, ports: pair.rpPorts, syslog: rpLog)
        let agentPassed = "Agent check for server be/ag succeeded"
        #expect(ProcessProbe.waitUntil {
            [hap, rp].allSatisfy { $0.checkStatus("be,srv") == "L4OK" && $0.logContains(agentPassed) }
        }, "\(hap.log)\n\(rp.log)")
        let hapLogStart = hap.log.count, rpLogStart = rp.log.count

        var differences: [String] = []
        func run(_ commands: [String]) {
            for c in commands {
                func on(_ side: Side) -> String {
                    var command = c.replacingOccurrences(of: "AGENT", with: String(agent.port))
                    for (i, p) in side.ports.enumerated() { command = command.replacingOccurrences(of: "PORT\(i)", with: String(p)) }
                    var answer = side.cli(command)
                    // A listing taken while HAProxy runs a check or an agent shows it in progress: take another.
                    for _ in 0..<100 where command.hasPrefix("show") && Self.showsCheckInProgress(answer) {
                        usleep(2_000)
                        answer = side.cli(command)
                    }
                    return RuntimeDynamicCheckTests.normalize(pair, answer, ports: side.ports)
                }
                let a = on(hap), b = on(rp)
                if a != b { differences.append("'\(c)':\n--- haproxy\n\(a)\n--- ringproxy\n\(b)") }
            }
        }

        // No agent: every command refused (two texts); then bad arguments on an agent.
        run(["set server be/nochk agent up", "set server be/nochk agent-addr 127.0.0.1", "set server be/nochk agent-port 1",
             "set server be/nochk agent-send x", "set server be/ag agent", "set server be/ag agent sideways",
             "set server be/ag agent-addr", "set server be/ag agent-addr 127.0.0.1 port x",
             "set server be/ag agent-addr 127.0.0.1 port 70000", "set server be/ag agent-addr 127.0.0.1 port",
             "set server be/ag agent-port", "set server be/ag agent-port -1", "set server be/ag agent-port 12x",
             "set server be/ag agent up", "show servers state be"])

        // agent-send: the agent's next checks send it.
        run(["set server be/ag agent-send hello"])
        #expect(ProcessProbe.waitUntil { agent.connections.filter { $0 == Array("hello".utf8) }.count >= 2 })

        // agent-port to a closed port: the agent fails (the server stays UP); back to the agent.
        run(["set server be/ag agent-port PORT3", "show servers state be"])
        let agentFailed = "Agent check for server be/ag failed"
        #expect(ProcessProbe.waitUntil { hap.logContains(agentFailed) && rp.logContains(agentFailed) }, "\(hap.log)\n\(rp.log)")
        run(["set server be/ag agent-addr 127.0.0.1 port AGENT", "show servers state be"])
        let passed = (hap.count(agentPassed), rp.count(agentPassed))
        #expect(ProcessProbe.waitUntil { hap.count(agentPassed) > passed.0 && rp.count(agentPassed) > passed.1 }, "\(hap.log)\n\(rp.log)")

        // agent down: DOWN "changed from CLI"; the agent's next `up` brings it back.
        run(["set server be/ag agent down"])
        let up = "Server be/ag is UP"
        #expect(ProcessProbe.waitUntil { hap.logContains(up) && rp.logContains(up) }, "\(hap.log)\n\(rp.log)")
        // A stopped agent takes no command; a running one again.
        run(["disable agent be/ag", "set server be/ag agent down", "set server be/ag agent-port 1", "show servers state be",
             "enable agent be/ag", "set server be/ag agent up", "show servers state be"])

        let hapLines = Array(hap.log.dropFirst(hapLogStart)), rpLines = Array(rp.log.dropFirst(rpLogStart))
        if hapLines != rpLines { differences.append("log:\n--- haproxy\n\(hapLines.joined(separator: "\n"))\n--- ringproxy\n\(rpLines.joined(separator: "\n"))") }
        #expect(differences.isEmpty, "\(differences.count) differ:\n\(differences.joined(separator: "\n"))")
    }

    /// CHK_ST_INPROGRESS in `show servers state`'s srv_check_state or srv_agent_state: a moment
    /// ringproxy's listings do not show.
    static func showsCheckInProgress(_ text: String) -> Bool {
        RuntimeDynamicCheckTests.showsCheckInProgress(text) || text.split(separator: "\n").contains { line in
            let words = line.split(separator: " ")
            return words.count == 25 && Int(words[0]) != nil && (Int(words[14]) ?? 0) & 1 == 1
        }
    }
}
