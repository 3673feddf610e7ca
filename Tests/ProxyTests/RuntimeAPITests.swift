// The runtime API's pure parts: command words, the session protocol (one-shot, pipelined,
// prompt, payload, severity), the help screen, HAProxy's server state transitions and their
// messages (captured from HAProxy 2.6.12's stderr), weights, and the `stats socket` keyword.
import Testing
@testable import Proxy

private let loc = Proxy.SourceLocation(file: "t.cfg", line: 1)

@Suite struct CLIRequestTests {
    @Test func wordsAreSplitOnBlanksWithBackslashEscapes() {
        #expect(CLIRequest.parse("show  stat\tup").words == ["show", "stat", "up"])
        #expect(CLIRequest.parse("set map m a\\ b c").words == ["set", "map", "m", "a b", "c"])
        #expect(CLIRequest.parse("add acl #0 a\\;b\\\\c").words == ["add", "acl", "#0", "a;b\\c"])
        #expect(CLIRequest.parse("").words == [])
        let r = CLIRequest.parse("add map #0 <<", payload: "k v")
        #expect(r.words == ["add", "map", "#0"] && r.payload == "k v")
        #expect(CLIRequest.parse("x<<").payload == nil)          // glued: no payload marker
        #expect(CLIRequest.parse("show")[3] == "")                // missing words read as ""
    }
}

@Suite struct CLISessionTests {
    /// A session whose commands echo their words (or fail for `bad`).
    func session(level: CLILevel = .admin, severity: String = "none") -> (CLISession, () -> [CLIRequest]) {
        var seen: [CLIRequest] = []
        let s = CLISession(level: level, severityOutput: severity) { r, _ in
            seen.append(r)
            return r[0] == "bad" ? .error("nope\n") : .dump(r.words.joined(separator: "+") + "\n")
        }
        return (s, { seen })
    }

    func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    @Test func oneShotRunsSemicolonSeparatedCommandsThenCloses() {
        let (s, seen) = session()
        let (out, close) = s.receive(Array("show info;show stat up\n".utf8))
        #expect(text(out) == "show+info\n\nshow+stat+up\n\n")
        #expect(close)
        #expect(seen().count == 2)
    }

    @Test func pipelinedLinesRunAndAnEscapedSemicolonStaysInTheWord() {
        let (s, _) = session()
        let (out, close) = s.receive(Array("a\\;b\nc\r\n".utf8))
        #expect(text(out) == "a;b\n\nc\n\n" && close)
    }

    @Test func aLineWithoutLFIsNotRunAndEOFCloses() {
        let (s, seen) = session()
        var r = s.receive(Array("show info".utf8))
        #expect(r.output.isEmpty && !r.close)
        r = s.receive([], eof: true)
        #expect(r.output.isEmpty && r.close && seen().isEmpty)
    }

    @Test func promptModeKeepsTheConnectionAndQuitCloses() {
        let (s, _) = session()
        var r = s.receive(Array("prompt\n".utf8))
        #expect(text(r.output) == "\n> " && !r.close)
        r = s.receive(Array("x y\n".utf8))
        #expect(text(r.output) == "x+y\n\n> " && !r.close)
        r = s.receive(Array("quit\n".utf8))
        #expect(r.output.isEmpty && r.close)
    }

    @Test func payloadLinesGoToTheCommandUntilAnEmptyLine() {
        let (s, seen) = session()
        var r = s.receive(Array("add map #0 <<\n".utf8))
        #expect(r.output.isEmpty && !r.close)
        r = s.receive(Array("k1 v1\nk2 v2\n\n".utf8))
        #expect(text(r.output) == "add+map+#0\n\n" && r.close)
        #expect(seen().last?.payload == "k1 v1\nk2 v2")
        // interactive: the payload prompt is "+ "
        let (p, _) = session()
        _ = p.receive(Array("prompt\n".utf8))
        #expect(text(p.receive(Array("add map #0 <<\n".utf8)).output) == "+ ")
        #expect(text(p.receive(Array("k v\n".utf8)).output) == "+ ")
        #expect(text(p.receive(Array("\n".utf8)).output) == "add+map+#0\n\n> ")
    }

    @Test func severityOutputPrefixesMessagesAndErrorsNotDumps() {
        let (s, _) = session(severity: "number")
        #expect(text(s.receive(Array("bad\n".utf8)).output) == "[3]: nope\n\n")
        let (t, _) = session(severity: "string")
        #expect(text(t.receive(Array("bad\n".utf8)).output) == "[err]: nope\n\n")
        let (u, _) = session(severity: "string")
        #expect(text(u.receive(Array("ok\n".utf8)).output) == "ok\n\n")
    }
}

@Suite struct CLIHelpTests {
    let commands = CLICommands.all

    @Test func helpListsEveryCommandSortedThenTheThreeBuiltins() {
        let h = CLIHelp.usage(for: CLIRequest.parse("help"), commands: commands)
        let lines = h.split(separator: "\n").map(String.init)
        #expect(lines.first == "The following commands are valid at this level:")
        #expect(lines.suffix(3) == [
            "  help [<command>]                        : list matching or all commands",
            "  prompt                                  : toggle interactive mode with prompt",
            "  quit                                    : disconnect"])
        let listed = Array(lines.dropFirst().dropLast(3))
        #expect(listed == listed.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        // HAProxy 2.6.12's exact help lines for commands ringproxy has.
        #expect(listed.contains("  get weight <bk>/<srv>                   : report a server's current weight"))
        #expect(listed.contains("  set severity-output [none|number|string]: set presence of severity level in feedback information"))
        #expect(listed.contains("  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server"))
    }

    @Test func anEmptyLineAndAnUnknownWordSayItDifferently() {
        #expect(CLIHelp.usage(for: CLIRequest.parse(""), commands: commands)
            .hasPrefix("Unknown command. Please enter one of the following commands only:\n"))
        let partial = CLIHelp.usage(for: CLIRequest.parse("show serv"), commands: commands)
        #expect(partial.hasPrefix("Unknown command, but maybe one of the following ones is a better match:\n"))
        // Fuzzy candidates only (HAProxy proposes `show stat`, `show sess`... for `show serv`).
        #expect(partial.contains("show sess") && partial.contains("show stat") && !partial.contains("show table"))
    }
}

/// be1: a (no check), b (checked), k (backup), as the HAProxy instance the messages below
/// were captured from.
func stateTestTable() -> ServerStateTable {
    var c = Configuration()
    var be = ProxyConfig(kind: .backend, name: "be1", location: loc)
    var a = ServerConfig(name: "a", host: "127.0.0.1", port: 1, location: loc)
    a.weight = 1
    var b = ServerConfig(name: "b", host: "127.0.0.1", port: 2, location: loc)
    b.check = true
    var k = ServerConfig(name: "k", host: "127.0.0.1", port: 3, location: loc)
    k.backup = true
    be.servers = [a, b, k]
    c.proxies = [be]
    return ServerStateTable(configuration: c, nowMs: 0)
}

@Suite struct ServerStateControlTests {
    func msgs(_ e: [HealthEvent]) -> [String] { e.map { $0.server == nil ? "!" + $0.message : $0.message } }

    @Test func drainMaintReadyAndHealthSpeakHAProxysWords() {
        let t = stateTestTable()
        let a = 0, b = 1, k = 2
        // Observed on HAProxy 2.6.12 with this backend, in this order (stderr, `[WARNING]` lines).
        #expect(msgs(t.apply(.drain, server: a)) == ["Server be1/a enters drain state. 1 active and 1 backup servers online. 0 sessions requeued, 0 total in queue."])
        #expect(!t.isBalanceable(a) && t.isUsable(a) && t.statusWord(a) == "DRAIN")
        #expect(msgs(t.apply(.maint, server: a)) == ["Server be1/a is going DOWN for maintenance. 1 active and 1 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."])
        #expect(!t.isUsable(a) && t.statusWord(a) == "MAINT" && t.status(a).admin == .forcedMaint)
        #expect(msgs(t.apply(.ready, server: a)) == ["Server be1/a is UP/READY (leaving forced maintenance)."])
        #expect(t.isBalanceable(a) && t.statusWord(a) == "no check")
        _ = t.apply(.maint, server: a)
        #expect(msgs(t.apply(.maint, server: b)) == ["Server be1/b is going DOWN for maintenance. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue."])
        #expect(msgs(t.apply(.drain, server: k)) == [
            "Backup Server be1/k enters drain state. 0 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
            "!backend be1 has no server available!"])
        #expect(msgs(t.apply(.ready, server: b)) == ["Server be1/b is UP/READY (leaving forced maintenance)."])
        #expect(msgs(t.apply(.ready, server: a)) == ["Server be1/a is UP/READY (leaving forced maintenance)."])
        #expect(msgs(t.apply(.down, server: b)) == ["Server be1/b is DOWN, changed from CLI. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."])
        #expect(msgs(t.apply(.stopping, server: b)) == ["Server be1/b is stopping, changed from CLI. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."])
        #expect(t.statusWord(b) == "NOLB" && t.isUsable(b) && !t.isBalanceable(b))
        #expect(msgs(t.apply(.down, server: a)) == [
            "Server be1/a is DOWN, changed from CLI. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
            "!backend be1 has no server available!"])
        #expect(msgs(t.apply(.up, server: a)) == ["Server be1/a is UP, changed from CLI. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."])
        // weight 0 on the last server taking traffic: only the backend alert.
        let w = t.setWeight(server: a, "0")
        #expect(w.error == nil && msgs(w.events) == ["!backend be1 has no server available!"])
    }

    @Test func leavingMaintenanceIntoDrainAndTheCheckedServerThatWasDown() {
        let t = stateTestTable()
        _ = t.apply(.maint, server: 0)
        #expect(msgs(t.apply(.drain, server: 0)) == ["Server be1/a is UP/DRAIN (leaving forced maintenance).", "Server be1/a remains in forced drain mode."])
        #expect(msgs(t.apply(.ready, server: 0)) == ["Server be1/a is UP (leaving forced drain)."])
        _ = t.apply(.down, server: 1)
        #expect(msgs(t.apply(.maint, server: 1)) == ["Server be1/b was DOWN and now enters maintenance."])
        // checks resume at health = rise: a checked server leaving maintenance is UP at once
        #expect(msgs(t.apply(.ready, server: 1)) == ["Server be1/b is UP/READY (leaving forced maintenance)."])
        #expect(t.status(1).checkHealth == t.status(1).rise)
        #expect(t.takeHealthOverride(1)?.health == t.status(1).rise)
        #expect(t.takeHealthOverride(1) == nil)
    }

    @Test func serverStateNumbersAreHAProxys() {
        let t = stateTestTable()
        _ = t.apply(.drain, server: 0)
        #expect(t.status(0).op == .running && t.status(0).admin.rawValue == 8)
        _ = t.apply(.maint, server: 0)
        #expect(t.status(0).op == .stopped && t.status(0).admin.rawValue == 1 && t.status(0).checkHealth == 0)
        #expect(t.status(1).checkStateFlags == 6)                   // configured | enabled
        t.setCheckEnabled(server: 1, false)
        #expect(t.status(1).checkStateFlags == 2 && t.statusWord(1) == "no check" && t.checksPaused(1))
    }

    @Test func weightsFollowHAProxysRules() {
        let t = stateTestTable()
        #expect(t.setWeight(server: 0, "").error == "Require <weight> or <weight%>.\n")
        #expect(t.setWeight(server: 0, "abc").error == "Empty weight string empty or preceded by garbage")
        #expect(t.setWeight(server: 0, "5x").error == "Trailing garbage in weight string")
        #expect(t.setWeight(server: 0, "300").error == "Absolute weight can only be between 0 and 256 inclusive.\n")
        #expect(t.setWeight(server: 0, "-1%").error == "Relative weight must be positive.\n")
        #expect(t.setWeight(server: 0, "12").error == nil && t.currentWeight(0) == 12)
        #expect(t.setWeight(server: 0, "50%").error == nil && t.currentWeight(0) == 0)   // 50% of 1
    }
}

@Suite struct RuntimeWeightAndDrainBalancingTests {
    /// A backend of three equal servers; server 1 drained: round robin never picks it, its
    /// persistent clients may still reach it.
    @Test func drainedServerGetsNoLoadBalancedRequests() {
        let t = stateTestTable()
        let states = BackendServerStates(table: t, base: 0)
        let rr = RoundRobinBalancer(servers: [BalancedServer(weight: 1), BalancedServer(weight: 1), BalancedServer(weight: 1, backup: true)])
        let head = RequestHead()
        _ = t.apply(.drain, server: 1)
        var picks: [Int] = []
        for _ in 0..<6 { picks.append(rr.pick(request: head, client: .none, states: states, avoid: nil) ?? -1) }
        #expect(picks == [0, 0, 0, 0, 0, 0])
        #expect(states.isUsable(1))
        _ = t.apply(.ready, server: 1)
        picks = (0..<4).map { _ in rr.pick(request: head, client: .none, states: states, avoid: nil) ?? -1 }
        #expect(Set(picks) == [0, 1])
        // every active server out of load balancing: the backup serves
        _ = t.apply(.drain, server: 0); _ = t.apply(.drain, server: 1)
        #expect(rr.pick(request: head, client: .none, states: states, avoid: nil) == 2)
    }

    @Test func weightChangesReachTheRoundRobin() {
        let t = stateTestTable()
        let states = BackendServerStates(table: t, base: 0)
        let rr = RoundRobinBalancer(servers: [BalancedServer(weight: 1), BalancedServer(weight: 1)])
        let head = RequestHead()
        _ = t.setWeight(server: 0, "3")
        var counts = [0, 0]
        for _ in 0..<40 { counts[rr.pick(request: head, client: .none, states: states, avoid: nil)!] += 1 }
        #expect(counts == [30, 10])
        _ = t.setWeight(server: 0, "0")
        #expect((0..<5).allSatisfy { _ in rr.pick(request: head, client: .none, states: states, avoid: nil) == 1 })
    }
}

@Suite struct StatsSocketKeywordTests {
    @Test func timeoutMaxconnAndReloadSettingsAreParsed() throws {
        let c = try ConfigParser.parse(text: """
            global
                stats socket /run/h.sock mode 600 level admin
                stats socket ipv4@127.0.0.1:9999 level user
                stats timeout 2m
                stats maxconn 5
                hard-stop-after 30s
                grace 2s
                master-worker
            """, file: "t.cfg")
        let s = c.global.statsSockets
        #expect(s.map(\.cliLevel) == [.admin, .user] && s[0].options.mode == 0o600)
        #expect(c.global.runtimeAPI.timeoutMs == 120_000 && c.global.runtimeAPI.maxconn == 5)
        #expect(c.global.reload.hardStopAfterMs == 30_000 && c.global.reload.graceMs == 2000 && c.global.reload.masterWorker)
        #expect(c.warnings.isEmpty, "master-worker is implemented: \(c.warnings)")
    }

    @Test func badValuesNameTheLine() {
        for (line, words) in [("stats timeout", "missing"), ("stats timeout 0", "greater than 0"), ("stats maxconn x", "invalid maxconn"),
                              ("hard-stop-after soon", "invalid hard-stop-after"), ("master-worker forever", "option")] {
            do {
                _ = try ConfigParser.parse(text: "global\n    \(line)\n", file: "t.cfg")
                Issue.record("'\(line)' was accepted")
            } catch {
                #expect(error.errors.contains { $0.description.contains("t.cfg:2") && $0.description.contains(words) }, "\(line): \(error.errors)")
            }
        }
    }
}
