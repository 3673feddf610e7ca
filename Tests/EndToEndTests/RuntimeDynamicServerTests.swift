// `add server` / `del server` (dynamic servers): the same commands on HAProxy 2.6's and
// ringproxy's stats sockets answer the same (errors, listings of the new servers, their
// removal), and on ringproxy an added server takes requests from every worker while a
// deleted one gets none.
import Foundation
import Testing
import Proxy
import Origins
import CBench
import CUring

@Suite(.serialized) struct RuntimeDynamicServerTests {
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
            default_backend rr
        backend rr
            balance roundrobin
            server a 127.0.0.1:\(p[1])
        backend st
            balance static-rr
            server x 127.0.0.1:\(p[1])
        backend tc
            mode tcp
            balance random
        backend empty
            balance random
        """
    }

    /// Commands whose answers must be the same on both (after CLIPair's normalisation).
    static func commands(_ port: String) -> [String] {
        let addr = "127.0.0.1:\(port)"
        return [
            "add server nope/s1 \(addr)", "add server rr/s1", "add server st/s1 \(addr)", "add server tc/s1 \(addr) proto h2",
            "add server rr", "add server", "add server rr/b \(addr)", "add server rr/b \(addr)", "add server rr/c \(addr) weight 3",
            "add server rr/d \(addr) cookie x", "add server rr/e \(addr) disabled", "add server rr/f \(addr) proto h2",
            "add server empty/s1 \(addr)", "show servers state", "show servers state rr", "show stat", "get weight rr/c",
            "del server rr/b", "enable server rr/b", "show servers state rr", "show stat", "del server rr/b",
            "disable server rr/b", "del server rr/b", "del server rr/b", "disable server rr/b", "del server nope/x",
            "del server rr/zz", "del server rr", "show servers state rr", "show stat", "add server rr/b \(addr)",
            "show servers state rr", "del server rr/a", "disable server rr/a", "del server rr/a", "show servers state",
            "show stat", "del server empty/s1", "show stat", "show stat typed",
        ]
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs haproxy to compare with"))
    func addAndDeleteAnswerAsHAProxy() throws {
        let pair = try CLIPair(ports: 2, Self.template)
        // The server port is normalised as PORT1 on both sides.
        var differences: [String] = []
        let hapCommands = Self.commands(String(pair.hapPorts[1])), rpCommands = Self.commands(String(pair.rpPorts[1]))
        for (c, d) in zip(hapCommands, rpCommands) {
            let a = try? CLIClient.send(c, socket: pair.hapSocket)
            let b = try? CLIClient.send(d, socket: pair.rpSocket)
            let x = pair.normalize(a ?? "<no answer>", ports: pair.hapPorts, socket: pair.dir)
            let y = pair.normalize(b ?? "<no answer>", ports: pair.rpPorts, socket: pair.dir)
            if x != y { differences.append("'\(c)':\n--- haproxy\n\(x)\n--- ringproxy\n\(y)") }
        }
        #expect(differences.isEmpty, "\(differences.count) of \(hapCommands.count) commands differ:\n\(differences.joined(separator: "\n"))")
    }

    /// ringproxy alone, with traffic: several workers, two origins.
    final class World {
        let a: AppServer, b: AppServer
        let port = freePort()
        let statsPort = freePort()
        let socket: String
        let proxy: ProxyProcess
        init() throws {
            a = try AppServer(name: "a", port: 0, behaviour: .echo)
            b = try AppServer(name: "b", port: 0, behaviour: .echo)
            var t = Array("/tmp/rp-dyn-XXXXXX".utf8CString)
            socket = String(cString: mkdtemp(&t)!) + "/s.sock"
            proxy = try ProxyProcess(config: """
                global
                    nbthread 2
                    stats socket \(socket) level admin
                defaults
                    mode http
                    timeout connect 2s
                    timeout client 10s
                    timeout server 10s
                frontend fe1
                    bind 127.0.0.1:\(port)
                    default_backend be1
                frontend st
                    bind 127.0.0.1:\(statsPort)
                    http-request use-service prometheus-exporter if { path /metrics }
                    stats enable
                    stats uri /st
                backend be1
                    balance roundrobin
                    server a 127.0.0.1:\(a.port)
                """, waitForPorts: [port, statsPort])
            try CLIClient.waitForSocket(socket)
        }
        deinit { proxy.stop(); a.stop(); b.stop() }
        func cli(_ c: String) throws -> String { try CLIClient.send(c, socket: socket) }
        func page(_ path: String) throws -> String { try RawHTTP.get(port: statsPort, path: path).bodyText }
        /// One request on a new connection (so both workers get some).
        func status() -> Int? { try? RawHTTP.get(port: port, path: "/").status }
    }

    @Test func anAddedServerTakesRequestsAndADeletedOneNone() throws {
        let w = try World()
        #expect(try w.cli("add server be1/b 127.0.0.1:\(w.b.port)") == "New server registered.\n\n")
        // Created in maintenance: no request reaches it yet.
        for _ in 0..<10 { #expect(w.status() == 200) }
        #expect(w.b.requestsServed == 0)
        #expect(try w.cli("enable server be1/b") == "\n")
        for _ in 0..<40 { #expect(w.status() == 200) }
        let servedByB = w.b.requestsServed
        #expect(servedByB >= 10, "b served \(servedByB) of 40 round-robin requests")
        let stat = try w.cli("show stat")
        let bRow = stat.split(separator: "\n").first { $0.hasPrefix("be1,b,") }
        #expect(bRow != nil, "\(stat)")
        // stot (column 8) counts what b served.
        if let bRow { #expect(bRow.split(separator: ",", omittingEmptySubsequences: false)[7] == "\(servedByB)", "\(bRow)") }
        #expect(try w.cli("del server be1/b") == "Only servers in maintenance mode can be deleted.\n")
        #expect(try w.cli("disable server be1/b") == "\n")
        #expect(try w.cli("del server be1/b") == "Server deleted.\n")
        let aBefore = w.a.requestsServed
        for _ in 0..<20 { #expect(w.status() == 200) }
        #expect(w.b.requestsServed == servedByB)
        #expect(w.a.requestsServed == aBefore + 20)
        #expect(!(try w.cli("show stat")).contains("be1,b,"))
        #expect(!(try w.cli("show servers state be1")).contains(" b 127.0.0.1 "))
        // The slot is reused by the next server, with counters from zero.
        #expect(try w.cli("add server be1/c 127.0.0.1:\(w.b.port) weight 2") == "New server registered.\n\n")
        #expect(try w.cli("enable server be1/c") == "\n")
        for _ in 0..<30 { #expect(w.status() == 200) }
        #expect(w.b.requestsServed > servedByB)
        let row = try w.cli("show stat").split(separator: "\n").first { $0.hasPrefix("be1,c,") }
        #expect(row.map { Int($0.split(separator: ",", omittingEmptySubsequences: false)[7]) == w.b.requestsServed - servedByB } == true, "\(String(describing: row))")
    }

    @Test func theStatsPageAndTheExporterListAddedServersOnly() throws {
        let w = try World()
        #expect(try w.cli("add server be1/dyn1 127.0.0.1:\(w.b.port)") == "New server registered.\n\n")
        let csv = try w.cli("show stat")
        #expect(csv.contains("\nbe1,dyn1,") && !csv.contains("vacant"), "\(csv)")
        // Only the configured server and the added one: one server row each on the page and
        // in the exporter's per-server state metric (7 states per server).
        let html = try w.page("/st")
        #expect(html.contains(">dyn1<") && !html.contains("vacant"))
        let metrics = try w.page("/metrics")
        let serverStates = metrics.split(separator: "\n").filter { $0.hasPrefix("haproxy_server_status{proxy=\"be1\"") }
        #expect(Set(serverStates.compactMap { line in line.range(of: #"server="[^"]+""#, options: .regularExpression).map { String(line[$0]) } }) == ["server=\"a\"", "server=\"dyn1\""], "\(serverStates)")
        #expect(metrics.contains("haproxy_server_status{proxy=\"be1\",server=\"dyn1\",state=\"MAINT\"} 1"))
        #expect(try w.cli("del server be1/dyn1") == "Server deleted.\n")
        #expect(!(try w.cli("show stat")).contains("dyn1"))
        #expect(!(try w.page("/st")).contains("dyn1"))
        #expect(!(try w.page("/metrics")).contains("dyn1"))
    }
}

/// Real runtime API clients from Debian against ringproxy and HAProxy on the same configuration:
/// socat (one-shot and prompt mode) and the Prometheus HAProxy exporter scraping the stats socket.
@Suite(.serialized) struct RuntimeRealClientTests {
    static let socat = "/usr/bin/socat"
    static let exporter = "/usr/bin/prometheus-haproxy-exporter"

    /// `input` written to the socket by socat, what came back.
    static func viaSocat(_ input: String, socket: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: socat)
        p.arguments = ["-t", "2", "-", "UNIX-CONNECT:\(socket)"]
        let inPipe = Pipe(), outPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        inPipe.fileHandleForWriting.write(Data(input.utf8))
        try inPipe.fileHandleForWriting.close()
        let data = outPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled && FileManager.default.isExecutableFile(atPath: socat), "needs haproxy and socat"))
    func socatOneShotAndPromptAnswerAsHAProxy() throws {
        let pair = try CLIPair(ports: 2, RuntimeDynamicServerTests.template)
        func both(_ input: (UInt16) -> String) throws -> (String, String) {
            let a = try Self.viaSocat(input(pair.hapPorts[1]), socket: pair.hapSocket)
            let b = try Self.viaSocat(input(pair.rpPorts[1]), socket: pair.rpSocket)
            return (pair.normalize(a, ports: pair.hapPorts, socket: pair.dir), pair.normalize(b, ports: pair.rpPorts, socket: pair.dir))
        }
        let inputs: [(UInt16) -> String] = [
            { _ in "show servers state\n" },
            { p in "add server rr/b 127.0.0.1:\(p)\n" },
            { _ in "show servers state rr;show stat;get weight rr/b\n" },
            { p in "prompt\nshow cli level\nadd server rr/c 127.0.0.1:\(p) weight 4\nenable server rr/c\nshow servers state rr\ndisable server rr/c\ndel server rr/c\ndel server rr/zz\nshow stat\nquit\n" },
        ]
        for (i, input) in inputs.enumerated() {
            let (a, b) = try both(input)
            #expect(!a.isEmpty && a == b, "input \(i):\n--- haproxy\n\(a)\n--- ringproxy\n\(b)")
        }
    }

    /// The exporter's samples about the proxies (process and scrape metrics left out), with
    /// their values.
    static func proxySamples(_ metrics: String) -> [String] {
        metrics.split(separator: "\n").map(String.init).filter {
            ($0.hasPrefix("haproxy_server_") || $0.hasPrefix("haproxy_backend_up") || $0.hasPrefix("haproxy_up"))
                && !$0.contains("_seconds") && !$0.contains("last_")
        }.sorted()
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled && FileManager.default.isExecutableFile(atPath: exporter), "needs haproxy and prometheus-haproxy-exporter"))
    func exporterScrapesAddedServersAsFromHAProxy() throws {
        let pair = try CLIPair(ports: 2, RuntimeDynamicServerTests.template)
        for (socket, port) in [(pair.hapSocket, pair.hapPorts[1]), (pair.rpSocket, pair.rpPorts[1])] {
            #expect(try CLIClient.send("add server rr/b 127.0.0.1:\(port)", socket: socket) == "New server registered.\n\n")
            #expect(try CLIClient.send("add server rr/c 127.0.0.1:\(port)", socket: socket) == "New server registered.\n\n")
            #expect(try CLIClient.send("enable server rr/b", socket: socket) == "\n")
        }
        func scrape(_ socket: String) throws -> [String] {
            let port = freePort()
            let e = try ProxyProcess(arguments: ["--web.listen-address=127.0.0.1:\(port)", "--haproxy.scrape-uri=unix:\(socket)"],
                                     binary: Self.exporter, waitForPorts: [port])
            defer { _ = e.stop() }
            return Self.proxySamples(try RawHTTP.get(port: port, path: "/metrics").bodyText)
        }
        let a = try scrape(pair.hapSocket), b = try scrape(pair.rpSocket)
        #expect(a.contains("haproxy_up 1") && a.contains { $0.hasPrefix("haproxy_server_up{backend=\"rr\",server=\"c\"} 0") })
        #expect(a == b, "--- haproxy\n\(a.joined(separator: "\n"))\n--- ringproxy\n\(b.joined(separator: "\n"))")
    }
}
