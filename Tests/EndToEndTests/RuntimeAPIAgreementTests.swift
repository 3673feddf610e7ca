// The runtime API side by side with HAProxy 2.6: the same configuration and the same
// commands on both stats sockets must give the same bytes, once pids, dates, ages, ports,
// socket paths and entry addresses are set aside. Then, ringproxy alone: the commands that
// act on the workers (sessions, frontends, addresses, limits) change the traffic.
import Foundation
import Testing
import Proxy
import Origins

/// HAProxy and ringproxy on one configuration template, each with its own ports and sockets.
final class CLIPair {
    let hap: ProxyProcess
    let rp: ProxyProcess
    let hapSocket: String
    let rpSocket: String
    let hapUserSocket: String
    let rpUserSocket: String
    let hapPorts: [UInt16]
    let rpPorts: [UInt16]
    let dir: String

    /// `template(admin socket, user socket, ports)`; `ports` front ports are waited for.
    init(ports count: Int, listening: Int = 1, _ template: (String, String, [UInt16]) -> String) throws {
        var t = Array("/tmp/rp-cli-XXXXXX".utf8CString)
        dir = String(cString: mkdtemp(&t)!)
        hapSocket = dir + "/hap.sock"; rpSocket = dir + "/rp.sock"
        hapUserSocket = dir + "/hapu.sock"; rpUserSocket = dir + "/rpu.sock"
        hapPorts = (0..<count).map { _ in freePort() }
        rpPorts = (0..<count).map { _ in freePort() }
        hap = try HAProxyProcess.start(config: template(hapSocket, hapUserSocket, hapPorts), waitForPorts: Array(hapPorts.prefix(listening)))
        rp = try ProxyProcess(config: template(rpSocket, rpUserSocket, rpPorts), waitForPorts: Array(rpPorts.prefix(listening)))
        try CLIClient.waitForSocket(hapSocket)
        try CLIClient.waitForSocket(rpSocket)
    }

    deinit {
        hap.stop(); rp.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// The command's answer from both, normalized.
    func both(_ command: String, user: Bool = false) throws -> (haproxy: String, ringproxy: String) {
        let a = try CLIClient.send(command, socket: user ? hapUserSocket : hapSocket)
        let b = try CLIClient.send(command, socket: user ? rpUserSocket : rpSocket)
        return (normalize(a, ports: hapPorts, socket: dir), normalize(b, ports: rpPorts, socket: dir))
    }

    /// Values that differ between two processes by nature: ids of the process, dates, ages and
    /// durations in seconds (two processes started a moment apart round them differently),
    /// ports and the addresses HAProxy prints for entries.
    func normalize(_ text: String, ports: [UInt16], socket: String) -> String {
        var out: [String] = []
        let volatile: Set<String> = ["Pid", "Uptime", "Uptime_sec", "Start_time_sec", "node", "Version", "Release_date",
                                     "Build info", "Ulimit-n", "Maxsock", "Tasks", "Idle_pct", "PoolAlloc_bytes",
                                     "PoolUsed_bytes", "TotalBytesOut", "BytesOutRate", "Nbthread", "Jobs", "Listeners",
                                     "Run_queue", "CumConns", "CurrConns", "CumReq"]
        for var line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let colon = line.firstIndex(of: ":"), volatile.contains(String(line[..<colon])) { line = String(line[..<colon]) + ": X" }
            // typed: `6.Pid.1:SGP:u32:1234`
            let typed = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            if typed.count == 4, let dot = typed[0].split(separator: ".").dropFirst().first, volatile.contains(String(dot)) {
                line = typed[0...2].joined(separator: ":") + ":X"
            }
            // ages in the typed stats: `S.3.1.23.lastchg.1:MAP:u32:12`
            line = line.replacingOccurrences(of: #"\.(lastchg|downtime)\.1:(\w+):u32:\d+$"#, with: ".$1.1:$2:u32:AGE", options: .regularExpression)
            // json: `{"field":{"pos":6,"name":"Pid"},...,"value":{"type":"u32","value":1234}}`
            for name in volatile.union(["lastchg", "downtime"]) {
                line = line.replacingOccurrences(of: #"("name":"\#(name)"\},"processNum":1,"tags":\{[^}]*\},"value":\{"type":"\w+","value":)("[^"]*"|\d+)"#,
                                                 with: "$1X", options: .regularExpression)
            }
            line = line.replacingOccurrences(of: #"0x[0-9a-f]+"#, with: "0xPTR", options: .regularExpression)
            line = line.replacingOccurrences(of: #"exp=\d+"#, with: "exp=N", options: .regularExpression)
            line = line.replacingOccurrences(of: #"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]"#, with: "[DATE]", options: .regularExpression)
            for (i, p) in ports.enumerated() { line = line.replacingOccurrences(of: String(p), with: "PORT\(i)") }
            line = line.replacingOccurrences(of: socket, with: "DIR")
            // CSV: lastchg (age in seconds) and `show servers state`'s time since last change.
            var cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if cells.count > 100 { cells[23] = "AGE"; cells[24] = cells[24].isEmpty ? "" : "DT"; line = cells.joined(separator: ",") }
            var words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            if words.count == 25 && Int(words[0]) != nil { words[9] = "AGE"; line = words.joined(separator: " ") }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }
}

@Suite(.serialized) struct RuntimeAPIAgreementTests {
    static let template: @Sendable (String, String, [UInt16]) -> String = { admin, user, p in
        """
        global
            maxconn 1000
            stats socket \(admin) level admin
            stats socket \(user) level user
        defaults
            mode http
            timeout connect 5s
            timeout client 5s
            timeout server 5s
        frontend fe1
            bind 127.0.0.1:\(p[0])
            acl is_api path_beg /api /v2
            use_backend be2 if is_api
            default_backend be1
        backend be1
            balance roundrobin
            cookie SRV insert indirect nocache
            server a 127.0.0.1:\(p[1]) cookie a weight 10
            server b 127.0.0.1:\(p[2]) cookie b
            server c 127.0.0.1:\(p[3]) backup disabled
        backend be2
            balance static-rr
            stick-table type string len 32 size 100 expire 30m
            stick on req.cook(JSESSIONID)
            server x 127.0.0.1:\(p[4])
        """
    }

    /// Commands and sequences whose answers must be byte-identical (after normalization).
    static let commands = [
        "show cli level", "show backend", "show servers state", "show servers state be1", "show servers state nope",
        "show stat", "show stat -1 -1 -1", "show stat be1 -1 -1", "show stat 3 4 -1", "show stat nope 1 1",
        "show stat up", "show stat no-maint", "show stat typed", "show stat json", "show info", "show info typed",
        "show info json", "show info desc",
        "get weight be1/a", "get weight be1", "get weight be1/zz", "get weight zz/a", "get weight /a",
        "set server be1/a weight 50%", "get weight be1/a", "set server be1/a weight 300", "set server be1/a weight abc",
        "set server be1/a weight 5x", "set server be1/a weight -1%", "set server be2/x weight 5", "set server be2/x weight 0%",
        "get weight be2/x", "set server be1/a state drain", "show servers state be1", "show stat",
        "set server be1/a state maint", "show servers state be1", "show stat up", "set server be1/a state bogus",
        "set server be1/a state ready", "set server be1/b health down", "set server be1/b health bogus",
        "show servers state be1", "set server be1/b health stopping", "show stat", "set server be1/b health up",
        "set server be1/b bogus", "set server be1/b agent up", "disable health be1/b", "enable health be1/b",
        "enable agent be1/b", "disable server be1/c", "enable server be1/c", "show servers state be1", "show stat typed",
        "set server be1/a addr 1.2.3", "set server be1/a addr 127.0.0.1", "set server be1/a addr 127.0.0.2 port 8080",
        "set server be1/a addr 127.0.0.2 port abc", "show servers state be1",
        "show table", "show table be2", "show table nope", "set table be2 key abc data.server_id 1",
        "set table be2 key abc data.gpc0 1", "set table be2 key abc data.foo 1", "set table be2 key", "show table be2",
        "show table be2 key abc", "show table be2 data.server_id eq 1", "show table be2 data.server_id gt 1",
        "show table be2 data.foo eq 1", "show table be2 foo", "clear table be2 key abc", "show table be2",
        "clear table be2 data.server_id",
        "show acl #0", "add acl #0 /foo", "show acl #0", "del acl #0 /foo", "del acl #0 /zz", "show acl nope",
        "show map", "add map #0 a b", "clear map",
        "disable frontend", "disable frontend nope", "disable frontend fe1", "show stat", "disable frontend fe1",
        "enable frontend fe1", "enable frontend fe1", "set maxconn frontend fe1", "set maxconn frontend fe1 -1",
        "set maxconn frontend fe1 100", "set maxconn global", "set maxconn global 999999999", "set maxconn server be1/a",
        "set maxconn server be1/a x", "set maxconn server be1/a 5x", "set maxconn server be1/a 5", "show stat",
        "set rate-limit sessions global", "set rate-limit sessions global -1", "set rate-limit sessions global 100",
        "set rate-limit foo", "show info", "shutdown session", "shutdown session 0x1234", "shutdown sessions server be1/zz",
        "show errors nope", "show errors", "show env NOPE_NOT_SET", "set timeout cli 0", "set timeout foo 1",
        "set severity-output bogus", "clear counters", "show stat",
    ]

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs haproxy to compare with"))
    func everyCommandAnswersAsHAProxyDoes() throws {
        let pair = try CLIPair(ports: 5, Self.template)
        var differences: [String] = []
        for c in Self.commands {
            let (a, b) = try pair.both(c)
            if a != b { differences.append("'\(c)':\n--- haproxy\n\(a)\n--- ringproxy\n\(b)") }
        }
        #expect(differences.isEmpty, "\(differences.count) of \(Self.commands.count) commands differ:\n\(differences.joined(separator: "\n"))")
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs haproxy to compare with"))
    func levelsAndTheInteractiveModeAnswerAsHAProxyDoes() throws {
        let pair = try CLIPair(ports: 5, Self.template)
        // A user-level socket: no addresses in the stats, no changes, no table contents.
        for c in ["show cli level", "show stat", "set server be1/a state drain", "disable server be1/a", "show sess",
                  "show table be2", "show env HOME", "clear counters", "operator", "show errors"] {
            let (a, b) = try pair.both(c, user: true)
            #expect(a == b, "'\(c)' at level user:\n--- haproxy\n\(a)\n--- ringproxy\n\(b)")
        }
        // The same conversation in prompt mode, one line at a time.
        func converse(_ socket: String, _ ports: [UInt16]) throws -> String {
            let fd = try CLIClient.connect(path: socket)
            defer { close(fd) }
            var text = ""
            for line in ["prompt", "show cli level", "get weight be1/zz", "set server be1/a weight abc", "operator", "show cli level",
                         "set server be1/a state drain", "user -", "show cli level"] {
                try CLIClient.write(fd, line + "\n")
                text += try CLIClient.readUntil(fd, suffix: "> ")
            }
            try CLIClient.write(fd, "quit\n")
            text += try CLIClient.readUntilClose(fd, timeout: .seconds(5))
            return pair.normalize(text, ports: ports, socket: pair.dir)
        }
        let a = try converse(pair.hapSocket, pair.hapPorts), b = try converse(pair.rpSocket, pair.rpPorts)
        #expect(a == b, "--- haproxy\n\(a)\n--- ringproxy\n\(b)")
        // One-shot: semicolons and pipelined lines.
        for input in ["show cli level;get weight be1/a;get weight be1/b", "show cli level\nget weight be1/a"] {
            let (x, y) = try pair.both(input)
            #expect(x == y, "'\(input)':\n--- haproxy\n\(x)\n--- ringproxy\n\(y)")
        }
    }

    /// `get var` / `set var` / `experimental-mode` on proc variables the global section set
    /// (sample_fetches/vars.vtc), and rules that change them between two reads.
    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs haproxy to compare with"))
    func processVariablesAnswerAsHAProxyDoes() throws {
        let pair = try CLIPair(ports: 1) { admin, _, p in
            """
            global
                stats socket \(admin) level admin
                set-var proc.a int(5)
                set-var proc.b str("x\\ty")
                set-var-fmt proc.c "%[var(proc.a)] and %[var(proc.b)]"
                set-var proc.d bool(true)
                set-var proc.e ipv4(10.1.2.3)
            defaults
                mode http
                timeout connect 5s
                timeout client 5s
                timeout server 5s
            frontend fe1
                bind 127.0.0.1:\(p[0])
                http-request set-var(proc.a) var(proc.a),add(1)
                http-request return status 200 hdr x-a "%[var(proc.a)] %[var(proc.s)]"
            """
        }
        let commands = [
            "get var proc.a", "get var proc.b", "get var proc.c", "get var proc.d", "get var proc.e", "get var proc.zz",
            "get var txn.a", "get var", "set var proc.a int(7)", "experimental-mode", "experimental-mode on; experimental-mode",
            "experimental-mode on; set var proc.a int(7); get var proc.a",
            "experimental-mode on; set var proc.s str(updating); set var proc.s fmt %[var(proc.s),regsub(ing,ed)]; get var proc.s",
            "experimental-mode on; set var proc.a expr int(40); get var proc.a",
            "experimental-mode on; set var proc.a foo bar", "experimental-mode on; set var proc.a",
            "experimental-mode on; set var txn.a int(1)", "experimental-mode bogus",
        ]
        var differences: [String] = []
        for c in commands {
            let (a, b) = try pair.both(c)
            if a != b { differences.append("'\(c)':\n--- haproxy\n\(a)\n--- ringproxy\n\(b)") }
        }
        // The rules see what the CLI set, and the CLI what the rules set.
        let ours = try RawHTTP.get(port: pair.rpPorts[0], path: "/"), theirs = try RawHTTP.get(port: pair.hapPorts[0], path: "/")
        #expect(ours.header("x-a") == theirs.header("x-a") && ours.header("x-a") == "41 updated")
        let (a, b) = try pair.both("get var proc.a")
        if a != b { differences.append("'get var proc.a' after a request:\n--- haproxy\n\(a)\n--- ringproxy\n\(b)") }
        #expect(differences.isEmpty, "\(differences.count) commands differ:\n\(differences.joined(separator: "\n"))")
    }
}

/// ringproxy alone: commands that act on the workers' connections and limits.
@Suite(.serialized) struct RuntimeAPIWorkerActionTests {
    final class World {
        let a: AppServer, b: AppServer
        let port = freePort()
        let socket: String
        let proxy: ProxyProcess
        init() throws {
            a = try AppServer(name: "a", port: 0, behaviour: .echo)
            b = try AppServer(name: "b", port: 0, behaviour: .echo)
            var t = Array("/tmp/rp-cliw-XXXXXX".utf8CString)
            socket = String(cString: mkdtemp(&t)!) + "/s.sock"
            proxy = try ProxyProcess(config: """
                global
                    stats socket \(socket) level admin
                defaults
                    mode http
                    timeout connect 2s
                    timeout client 10s
                    timeout server 10s
                frontend fe1
                    bind 127.0.0.1:\(port)
                    default_backend be1
                backend be1
                    server a 127.0.0.1:\(a.port)
                """, waitForPorts: [port])
            try CLIClient.waitForSocket(socket)
        }
        deinit { proxy.stop(); a.stop(); b.stop() }
        func cli(_ c: String) throws -> String { try CLIClient.send(c, socket: socket) }
        func status() -> Int? { try? RawHTTP.get(port: port, path: "/").status }
    }

    @Test func showSessListsAConnectionAndShutdownSessionClosesIt() throws {
        let w = try World()
        let c = try RawHTTP(port: w.port)
        try c.send("GET / HTTP/1.1\r\nHost: x\r\n")            // an unfinished head: the session stays
        var line = ""
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            line = try w.cli("show sess").split(separator: "\n").first.map(String.init) ?? ""
            if line.contains("fe=fe1") { break }
            usleep(20_000)
        }
        #expect(line.range(of: #"^0x[0-9a-f]+: proto=tcpv4 src=127\.0\.0\.1:\d+ fe=fe1 be=<NONE> srv=<none> "#, options: .regularExpression) != nil, "\(line)")
        let id = String(line.prefix { $0 != ":" })
        #expect(try w.cli("shutdown session \(id)") == "\n")
        #expect(c.isClosed(within: .seconds(2)))
        #expect(try w.cli("shutdown session \(id)") == "No such session (use 'show sess').\n\n")
        #expect(try w.cli("show sess") == "\n")
    }

    @Test func disabledFrontendRefusesConnectionsUntilEnabled() throws {
        let w = try World()
        #expect(w.status() == 200)
        #expect(try w.cli("disable frontend fe1") == "\n")
        #expect(w.status() == nil)
        #expect(try w.cli("show stat").contains("\nfe1,FRONTEND,,,0,") && (try w.cli("show stat")).contains(",PAUSED,"))
        #expect(try w.cli("enable frontend fe1") == "\n")
        #expect(w.status() == 200)
    }

    @Test func newServerAddressTakesTheNextRequests() throws {
        let w = try World()
        #expect(w.status() == 200 && w.a.requestsServed == 1)
        let answer = try w.cli("set server be1/a addr 127.0.0.1 port \(w.b.port)")
        #expect(answer == "no need to change the addr, port changed from '\(w.a.port)' to '\(w.b.port)' by 'stats socket command'\n\n")
        for _ in 0..<3 { #expect(w.status() == 200) }
        #expect(w.a.requestsServed == 1 && w.b.requestsServed == 3)
        #expect(try w.cli("show servers state be1").contains(" 127.0.0.1 2 0 1 1 ") && (try w.cli("show servers state be1")).contains(" - \(w.b.port) - "))
    }

    @Test func maintenanceStopsTrafficAndTheLimitsApply() throws {
        let w = try World()
        #expect(try w.cli("set server be1/a state maint") == "\n")
        #expect(w.status() == 503)
        #expect(try w.cli("set server be1/a state ready") == "\n")
        #expect(w.status() == 200)
        // maxconn global 1: a second client waits in the backlog while the first one is open.
        #expect(try w.cli("set maxconn global 1") == "\n")
        #expect(try w.cli("show info").contains("\nMaxconn: 1\n"))
        #expect(try w.cli("set maxconn global 0") == "\n")
        #expect(try w.cli("show info").contains("\nMaxconn: 4096\n"))
    }
}

/// `hard-stop-after` and `grace` on a soft stop (SIGUSR1).
@Suite struct SoftStopSettingsTests {
    @Test func hardStopAfterEndsASoftStopThatWouldHang() throws {
        let app = try AppServer(name: "a", port: 0, behaviour: .echo)
        defer { app.stop() }
        app.paused = true                                   // the request never gets an answer
        let port = freePort()
        let proxy = try ProxyProcess(config: """
            global
                hard-stop-after 500ms
            defaults
                mode http
                timeout connect 2s
                timeout client 30s
                timeout server 30s
            frontend fe1
                bind 127.0.0.1:\(port)
                default_backend be1
            backend be1
                server a 127.0.0.1:\(app.port)
            """, waitForPorts: [port])
        let c = try RawHTTP(port: port)
        try c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let deadline = ContinuousClock.now + .seconds(5)
        while app.requestsReceived == 0 && ContinuousClock.now < deadline { usleep(10_000) }
        let start = ContinuousClock.now
        proxy.signal(SIGUSR1)
        while proxy.isRunning && ContinuousClock.now - start < .seconds(10) { usleep(10_000) }
        let took = ContinuousClock.now - start
        #expect(!proxy.isRunning, "still running 10 s after SIGUSR1 with hard-stop-after 500ms")
        #expect(took >= .milliseconds(450) && took < .seconds(3), "stopped after \(took)")
    }
}
