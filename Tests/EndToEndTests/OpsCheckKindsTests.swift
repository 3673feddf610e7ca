// Every kind of health check end to end, side by side with HAProxy 2.6.12: protocol checks
// (SMTP, Redis, PostgreSQL, MySQL, LDAP, SSL hello, SPOP), tcp-check rulesets and HTTP checks run
// against scripted servers, with `option log-health-checks`. The first result line of each
// backend must be HAProxy's, byte for byte (durations and pids blanked), and the HTTP check
// requests must reach the servers with the same bytes.
import Foundation
import Testing
import Glibc
import Proxy

struct CheckScenario {
    let backend: String
    let lines: [String]
    let script: [ScriptedServer.Step]?      // nil: the server address is given in `lines`
    /// The line HAProxy 2.6.12 logged for the first check (captured).
    let expected: String
}

enum CheckScenarios {
    typealias S = ScriptedServer
    static let mysqlGreeting = S.hex("4A0000000A382E302E3139000A0000006F3C025E6249410D00FFFFFF0200FFC715000000000000000000007C182159106E2761144322200063616368696E675F736861325F70617373776F726400")

    static let protocolChecks: [CheckScenario] = [
        .init(backend: "smtp", lines: ["option smtpchk"],
              script: [S.text("220 smtp-check.vtc SMTP Server\r\n"), .receive(16), S.text("250 smtp-check.vtc\r\n"), .receive(6), S.text("221 smtp-check.vtc closing\r\n")],
              expected: #"Health check for server smtp/srv succeeded, reason: Layer7 check passed, code: 221, info: "smtp-check.vtc closing", check duration: Nms, status: 1/1 UP."#),
        .init(backend: "ehlo", lines: ["option smtpchk EHLO domain.tld"],
              script: [S.text("220 smtp-check.vtc SMTP Server\r\n"), .receive(17), S.text("250-smtp-check.vtc\r\n"), S.text("250-KEYWORD\r\n"), S.text("250 LAST KEYWORD\r\n"), .receive(6), S.text("221 smtp-check.vtc closing\r\n")],
              expected: #"Health check for server ehlo/srv succeeded, reason: Layer7 check passed, code: 221, info: "smtp-check.vtc closing", check duration: Nms, status: 1/1 UP."#),
        .init(backend: "smtp421", lines: ["option smtpchk"], script: [S.text("421 Try again later\r\n")],
              expected: #"Health check for server smtp421/srv failed, reason: Layer7 wrong status, code: 421, info: "Try again later", check duration: Nms, status: 0/1 DOWN."#),
        .init(backend: "redis", lines: ["option redis-check"], script: [.receive(14), S.text("+PONG\r\n")],
              expected: #"Health check for server redis/srv succeeded, reason: Layer7 check passed, code: 0, info: "Redis server is ok", check duration: Nms, status: 1/1 UP."#),
        .init(backend: "rediserr", lines: ["option redis-check"], script: [.receive(14), S.text("-Error message\r\n")],
              expected: #"Health check for server rediserr/srv failed, reason: Layer7 wrong status, code: 0, info: "-Error message", check duration: Nms, status: 0/1 DOWN."#),
        .init(backend: "pgsql", lines: ["option pgsql-check user postgres"], script: [.receive(23), S.hex("52000000170000000A534352414D2D5348412D3235360000")],
              expected: #"Health check for server pgsql/srv succeeded, reason: Layer7 check passed, code: 0, info: "PostgreSQL server is ok", check duration: Nms, status: 1/1 UP."#),
        .init(backend: "pgsqlerr", lines: ["option pgsql-check user postgres"], script: [.receive(23), S.hex("450000000B53464154414C00")],
              expected: #"Health check for server pgsqlerr/srv failed, reason: Layer7 invalid response, info: "FATAL", check duration: Nms, status: 0/1 DOWN."#),
        .init(backend: "mysql", lines: ["option mysql-check"], script: [mysqlGreeting, .sleep(milliseconds: 200)],
              expected: #"Health check for server mysql/srv succeeded, reason: Layer7 check passed, code: 0, info: "8.0.19", check duration: Nms, status: 1/1 UP."#),
        .init(backend: "mysqlerr", lines: ["option mysql-check user pouet"],
              script: [mysqlGreeting, .receive(48), S.hex("67000002FFE304436C69656E7420646F6573206E6F7420737570706F72742061757468656E7469636174696F6E2070726F746F636F6C20726571756573746564206279207365727665723B20636F6E736964657220757067726164696E67204D7953514C20636C69656E74")],
              expected: #"Health check for server mysqlerr/srv failed, reason: Layer7 wrong status, code: 1251, info: "Client does not support authentication protocol requested by server; consider upgrading MySQL client", check duration: Nms, status: 0/1 DOWN."#),
        .init(backend: "ldap", lines: ["option ldap-check"], script: [.receive(14), S.hex("300C02010161070A010004000400")],
              expected: #"Health check for server ldap/srv succeeded, reason: Layer7 check passed, code: 0, info: "Success", check duration: Nms, status: 1/1 UP."#),
        .init(backend: "sslhello", lines: ["option ssl-hello-chk"], script: [.receive(126), S.hex("1603010000")],
              expected: "Health check for server sslhello/srv succeeded, reason: Layer6 check passed, check duration: Nms, status: 1/1 UP."),
        // checks/spop-check.vtc's four agents: a valid AGENT-HELLO, an empty frame, a fragmented
        // frame, and version 1.0.
        .init(backend: "spop", lines: ["option spop-check"],
              script: [.receive(82), S.hex("00000036" + "65" + "00000001" + "0000" + "0776657273696F6E" + "0803322E30" + "0E6D61782D6672616D652D73697A65" + "03FCF006" + "0C6361706162696C6974696573" + "0800")],
              expected: #"Health check for server spop/srv succeeded, reason: Layer7 check passed, code: 0, info: "SPOA server is ok", check duration: Nms, status: 1/1 UP."#),
        .init(backend: "spopempty", lines: ["option spop-check"], script: [.receive(82), S.hex("00000000"), .sleep(milliseconds: 100)],
              expected: #"Health check for server spopempty/srv failed, reason: Layer7 invalid response, info: "invalid frame received", check duration: Nms, status: 0/1 DOWN."#),
        .init(backend: "spopfrag", lines: ["option spop-check"], script: [.receive(82), S.hex("0000000765000000000000")],
              expected: #"Health check for server spopfrag/srv failed, reason: Layer7 invalid response, info: "fragmentation not supported", check duration: Nms, status: 0/1 DOWN."#),
        .init(backend: "spopv1", lines: ["option spop-check"], script: [.receive(82), S.hex("000000146500000001000007" + "76657273696F6E" + "0803312E30")],
              expected: #"Health check for server spopv1/srv failed, reason: Layer7 invalid response, info: "unsupported version", check duration: Nms, status: 0/1 DOWN."#),
    ]

    static let tcpChecks: [CheckScenario] = [
        // tcp-check_min-recv.vtc: `timeout check 1` fires at the first event after connecting.
        .init(backend: "minrecv", lines: ["timeout check 1", "option tcp-check", "tcp-check connect",
                                          #"tcp-check expect !rstring "^error" comment "negative check""#,
                                          #"tcp-check expect string "valid" comment "positive check""#],
              script: [S.text("valid"), .sleep(milliseconds: 1500)],
              expected: #"Health check for server minrecv/srv failed, reason: Layer7 timeout, info: " at step 2 of tcp-check (expect regex) comment: 'negative check'", check duration: Nms, status: 0/1 DOWN."#),
        .init(backend: "binary", lines: ["option tcp-check", #"tcp-check send-binary 50494e470d0a comment "bin""#, #"tcp-check expect binary 504f4e47 comment "pong""#],
              script: [.receive(6), S.text("PONG")],
              expected: #"Health check for server binary/srv succeeded, reason: Layer7 check passed, code: 0, info: "(tcp-check)", check duration: Nms, status: 1/1 UP."#),
        .init(backend: "mismatch", lines: ["option tcp-check", "tcp-check send hello", #"tcp-check expect string "world" comment "greeting""#],
              script: [.receive(5), S.text("planet"), .sleep(milliseconds: 100)],
              expected: #"Health check for server mismatch/srv failed, reason: Layer7 invalid response, info: "TCPCHK did not match content 'world' at step 2 comment: greeting", check duration: Nms, status: 0/1 DOWN."#),
        .init(backend: "port1", lines: ["option tcp-check", "tcp-check connect port 1"], script: [.sleep(milliseconds: 50)],
              expected: #"Health check for server port1/srv failed, reason: Layer4 connection problem, info: "Connection refused at step 1 of tcp-check (connect port 1)", check duration: Nms, status: 0/1 DOWN."#),
        .init(backend: "unreachable", lines: ["server srv 255.255.255.255:11111 check"], script: nil,
              expected: #"Health check for server unreachable/srv failed, reason: Layer4 connection problem, info: "General socket error (Network is unreachable)", check duration: Nms, status: 0/1 DOWN."#),
    ]

    static let http200 = S.text("HTTP/1.1 200 OK\r\nx-test1: true, next\r\nContent-Length: 5\r\n\r\nhello")
    static let http503 = S.text("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
    static let http404 = S.text("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    static let httpChecks: [CheckScenario] = [
        .init(backend: "h200", lines: ["option httpchk"], script: [.receiveHTTPRequest, http200],
              expected: "Health check for server h200/srv succeeded, reason: Layer7 check passed, code: 200, check duration: Nms, status: 1/1 UP."),
        .init(backend: "h503", lines: ["option httpchk GET /x"], script: [.receiveHTTPRequest, http503],
              expected: #"Health check for server h503/srv failed, reason: Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: Nms, status: 0/1 DOWN."#),
        .init(backend: "h404", lines: ["option httpchk", "http-check disable-on-404"], script: [.receiveHTTPRequest, http404],
              expected: "Health check for server h404/srv conditionally succeeded, reason: Layer7 check conditionally passed, code: 404, check duration: Nms, status: 1/1 UP."),
        .init(backend: "hbody", lines: ["option httpchk", #"http-check expect string nothere comment "body check""#], script: [.receiveHTTPRequest, http200],
              expected: #"Health check for server hbody/srv failed, reason: Layer7 invalid response, info: "HTTP content check did not match comment: body check", check duration: Nms, status: 0/1 DOWN."#),
        .init(backend: "hrstring", lines: ["option httpchk", #"http-check expect rstring "^hel+o""#], script: [.receiveHTTPRequest, http200],
              expected: "Health check for server hrstring/srv succeeded, reason: Layer7 check passed, code: 200, check duration: Nms, status: 1/1 UP."),
        .init(backend: "hhdr", lines: ["option httpchk", #"http-check expect hdr name "x-test1" value "nope""#], script: [.receiveHTTPRequest, http200],
              expected: #"Health check for server hhdr/srv failed, reason: Layer7 wrong status, code: 200, info: "OK", check duration: Nms, status: 0/1 DOWN."#),
        .init(backend: "hhdrsub", lines: ["option httpchk", #"http-check expect hdr name -m beg "x-te" value -m sub "rue""#], script: [.receiveHTTPRequest, http200],
              expected: "Health check for server hhdrsub/srv succeeded, reason: Layer7 check passed, code: 200, check duration: Nms, status: 1/1 UP."),
        .init(backend: "hnot500", lines: ["option httpchk", "http-check expect ! status 500"], script: [.receiveHTTPRequest, http503],
              expected: "Health check for server hnot500/srv succeeded, reason: Layer7 check passed, code: 503, check duration: Nms, status: 1/1 UP."),
        .init(backend: "hssh", lines: ["option httpchk"], script: [.receiveHTTPRequest, S.text("SSH-2.0-OpenSSH_9\r\n")],
              expected: "Health check for server hssh/srv failed, reason: Layer7 invalid response, check duration: Nms, status: 0/1 DOWN."),
        // Silent past `timeout connect` (1s): HAProxy's check timer fires then.
        .init(backend: "hsilent", lines: ["option httpchk"], script: [.receiveHTTPRequest, .sleep(milliseconds: 2500)],
              expected: "Health check for server hsilent/srv failed, reason: Layer7 timeout, check duration: Nms, status: 0/1 DOWN."),
        .init(backend: "honerror", lines: ["option httpchk", #"http-check expect status 200 on-error "custom failure" comment "the status""#], script: [.receiveHTTPRequest, http503],
              expected: #"Health check for server honerror/srv failed, reason: Layer7 wrong status, code: 503, info: "custom failure comment: the status", check duration: Nms, status: 0/1 DOWN."#),
        .init(backend: "hnotbody", lines: ["option httpchk", "http-check expect ! string hello"], script: [.receiveHTTPRequest, http200],
              expected: #"Health check for server hnotbody/srv failed, reason: Layer7 invalid response, info: "HTTP check matched unwanted content", check duration: Nms, status: 0/1 DOWN."#),
        // The requests of http-check-send.vtc, and the legacy header trick of the layer-4/7 reg-test.
        .init(backend: "hsend", lines: ["option httpchk", #"http-check send meth POST uri /p ver HTTP/1.1 hdr Host h.example hdr X-Y z body "hello""#, "http-check send-state"],
              script: [.receiveHTTPRequest, http200],
              expected: "Health check for server hsend/srv succeeded, reason: Layer7 check passed, code: 200, check duration: Nms, status: 1/1 UP."),
        .init(backend: "hlegacy", lines: [#"option httpchk OPTIONS * HTTP/1.1\r\nHost:\ www"#], script: [.receiveHTTPRequest, http200],
              expected: "Health check for server hlegacy/srv succeeded, reason: Layer7 check passed, code: 200, check duration: Nms, status: 1/1 UP."),
        .init(backend: "hws", lines: ["option httpchk", "http-check send meth GET uri / ver HTTP/1.1 hdr host ws-host hdr connection upgrade hdr upgrade raw-proto", "http-check expect status 101"],
              script: [.receiveHTTPRequest, S.text("HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: raw-proto\r\n\r\n")],
              expected: "Health check for server hws/srv succeeded, reason: Layer7 check passed, code: 101, check duration: Nms, status: 1/1 UP."),
    ]
}

/// Servers and configuration for a list of scenarios; each backend checks its own server.
struct CheckWorld {
    let scenarios: [CheckScenario]
    let servers: [String: ScriptedServer]
    let front = freePort()

    init(_ scenarios: [CheckScenario]) throws {
        self.scenarios = scenarios
        var s: [String: ScriptedServer] = [:]
        for sc in scenarios { if let script = sc.script { s[sc.backend] = try ScriptedServer(script) } }
        servers = s
    }

    func stop() { servers.values.forEach { $0.stop() } }

    var config: String {
        var text = """
            defaults
                mode tcp
                timeout connect 1s
                timeout client 2s
                timeout server 2s
                timeout check 1500ms
                option log-health-checks
                default-server inter 5s rise 1 fall 1
            frontend f
                bind 127.0.0.1:\(front)
                default_backend \(scenarios[0].backend)

            """
        for sc in scenarios {
            text += "backend \(sc.backend)\n"
            for l in sc.lines { text += "    \(l)\n" }
            if let server = servers[sc.backend] { text += "    server srv 127.0.0.1:\(server.port) check\n" }
        }
        return text
    }

    /// The first check line of each backend, durations and pids blanked.
    static func firstLines(_ text: String, _ backends: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let r = line.range(of: "Health check for server ") else { continue }
            let rest = line[r.upperBound...]
            let backend = String(rest.prefix { $0 != "/" })
            guard backends.contains(backend), out[backend] == nil else { continue }
            out[backend] = String(line[r.lowerBound...]).replacingOccurrences(of: #"check duration: \d+ms"#, with: "check duration: Nms", options: .regularExpression)
        }
        return out
    }

    /// Whether the check of backend `b` reaches its scripted server.
    static func connects(_ b: String, _ scenarios: [CheckScenario]) -> Bool {
        !(scenarios.first { $0.backend == b }?.lines.contains { $0.contains("connect port 1") } ?? false)
    }

    /// Runs ringproxy or HAProxy until every backend logged its first check.
    func run(haproxy: Bool) throws -> (lines: [String: String], requests: [String: [UInt8]], stderr: String) {
        let p = haproxy ? try HAProxyProcess.start(config: config, waitForPorts: [front])
                        : try ProxyProcess(config: config, waitForPorts: [front])
        defer { _ = p.stop() }
        let names = scenarios.map(\.backend)
        let deadline = ContinuousClock.now + .seconds(10)
        var lines: [String: String] = [:]
        while ContinuousClock.now < deadline {
            lines = Self.firstLines(p.stderrText, names)
            if lines.count == names.count { break }
            usleep(20_000)
        }
        // A server records a connection when its script ends (some sleep after answering).
        let until = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < until, servers.contains(where: { b, s in s.connections.isEmpty && Self.connects(b, scenarios) }) { usleep(20_000) }
        var requests: [String: [UInt8]] = [:]
        for (b, s) in servers { requests[b] = s.connections.first }
        return (lines, requests, p.stderrText)
    }
}

@Suite(.serialized) struct OpsCheckKindsTests {
    static let all = CheckScenarios.protocolChecks + CheckScenarios.tcpChecks + CheckScenarios.httpChecks

    /// ringproxy alone: HAProxy's words for every kind of check.
    @Test(arguments: [("protocol", CheckScenarios.protocolChecks), ("tcp-check", CheckScenarios.tcpChecks), ("http", CheckScenarios.httpChecks)])
    func firstResultsAreHAProxys(_ name: String, _ scenarios: [CheckScenario]) throws {
        let world = try CheckWorld(scenarios)
        defer { world.stop() }
        let got = try world.run(haproxy: false)
        for sc in scenarios {
            #expect(got.lines[sc.backend] == sc.expected, "\(sc.backend)\n\(got.stderr)")
        }
    }

    /// The HTTP check requests as they reach the servers (captured from HAProxy 2.6.12).
    @Test func httpCheckRequestsAreHAProxys() throws {
        let world = try CheckWorld(CheckScenarios.httpChecks)
        defer { world.stop() }
        let got = try world.run(haproxy: false)
        func req(_ b: String) -> String { String(decoding: got.requests[b] ?? [], as: UTF8.self) }
        #expect(req("h200") == "OPTIONS / HTTP/1.0\r\n\r\n")
        #expect(req("h503") == "GET /x HTTP/1.0\r\n\r\n")
        #expect(req("hlegacy") == "OPTIONS * HTTP/1.1\r\nhost: www\r\nconnection: close\r\n\r\n")
        #expect(req("hws") == "GET / HTTP/1.1\r\nhost: ws-host\r\nconnection: upgrade\r\nupgrade: raw-proto\r\n\r\n")
        let node = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
        let sendState = req("hsend")
        #expect(sendState.hasPrefix("POST /p HTTP/1.1\r\nhost: h.example\r\nx-y: z\r\nx-haproxy-server-state: UP; address=127.0.0.1; port=\(world.servers["hsend"]!.port); name=hsend/srv; node="), "\(sendState)")
        #expect(sendState.hasSuffix("; weight=1/1; scur=0/0; qcur=0\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello"), "\(sendState) (node \(node))")
    }

    /// The same scenarios under HAProxy 2.6.12: the same first lines, the same request bytes.
    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed"))
    func linesAndRequestsEqualHAProxys() throws {
        func capture(haproxy: Bool) throws -> (lines: [String: String], requests: [String: [UInt8]], stderr: String) {
            let world = try CheckWorld(Self.all)
            defer { world.stop() }
            var got = try world.run(haproxy: haproxy)
            // Ports differ between the runs: name the server instead.
            for (b, r) in got.requests where r.allSatisfy({ $0 < 128 }) {
                let port = String(world.servers[b]!.port)
                got.requests[b] = Array(String(decoding: r, as: UTF8.self).replacingOccurrences(of: "port=\(port);", with: "port=PORT;").utf8)
            }
            return got
        }
        let ours = try capture(haproxy: false)
        let theirs = try capture(haproxy: true)
        for sc in Self.all {
            #expect(ours.lines[sc.backend] == theirs.lines[sc.backend], "\(sc.backend)")
            #expect(theirs.lines[sc.backend] == sc.expected, "captured line no longer HAProxy's: \(sc.backend)")
            if sc.backend == "sslhello" {
                // The client hello carries the current time: same length, same bytes around it.
                let a = ours.requests[sc.backend] ?? [], b = theirs.requests[sc.backend] ?? []
                #expect(a.count == 126 && b.count == 126 && a.prefix(11) == b.prefix(11) && a.suffix(111) == b.suffix(111), "\(a) vs \(b)")
            } else if sc.script != nil {
                #expect(ours.requests[sc.backend] == theirs.requests[sc.backend],
                        "\(sc.backend): \(String(decoding: ours.requests[sc.backend] ?? [], as: UTF8.self).debugDescription) vs \(String(decoding: theirs.requests[sc.backend] ?? [], as: UTF8.self).debugDescription)")
            }
        }
    }
}

/// checks/http-check-send.vtc reproduced: two defaults sections, `option httpchk` with a
/// hidden header, `http-check send` merged or starting a backend's own ruleset; the requests
/// the servers get, and the health lines on syslog (`option log-health-checks`, local0 notice).
@Suite(.serialized) struct OpsHTTPCheckSendTests {
    struct World {
        let servers: [ScriptedServer]
        let syslog: SyslogCollector
        let front = freePort()

        init() throws {
            let ok = ScriptedServer.text("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            let upgrade = ScriptedServer.text("HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: raw-proto\r\n\r\n")
            servers = try (0..<6).map { try ScriptedServer([.receiveHTTPRequest, $0 == 5 ? upgrade : ok]) }
            syslog = try SyslogCollector()
        }

        func stop() { servers.forEach { $0.stop() }; syslog.stop() }

        var config: String {
            let s = servers.map(\.port)
            return """
                defaults
                    mode http
                    timeout client 5s
                    timeout server 5s
                    timeout connect 5s
                    option httpchk
                    option log-health-checks
                frontend f
                    bind 127.0.0.1:\(front)
                    default_backend be1
                backend be1
                    log 127.0.0.1:\(syslog.port) len 2048 local0
                    server srv 127.0.0.1:\(s[0]) check inter 200ms rise 1 fall 1
                backend be2
                    log 127.0.0.1:\(syslog.port) len 2048 local0
                    option httpchk GET /test HTTP/1.1
                    server srv 127.0.0.1:\(s[1]) check inter 200ms rise 1 fall 1
                defaults
                    mode http
                    timeout client 5s
                    timeout server 5s
                    timeout connect 5s
                    option httpchk GET /status HTTP/1.1\\r\\nHdr:\\ must-be-removed
                    option log-health-checks
                    http-check send hdr Host "my-www-host" hdr X-test true body "test"
                backend be3
                    option httpchk
                    log 127.0.0.1:\(syslog.port) len 2048 local0
                    server srv 127.0.0.1:\(s[2]) check inter 200ms rise 1 fall 1
                backend be4
                    log 127.0.0.1:\(syslog.port) len 2048 local0
                    server srv 127.0.0.1:\(s[3]) check inter 200ms rise 1 fall 1
                backend be5
                    log 127.0.0.1:\(syslog.port) len 2058 local0
                    http-check send hdr Host "other-www-host" hdr X-New-Test true body "other test"
                    server srv 127.0.0.1:\(s[4]) check inter 200ms rise 1 fall 1
                backend be6_ws
                    log 127.0.0.1:\(syslog.port) len 2048 local0
                    http-check send meth GET uri / ver HTTP/1.1 hdr host ws-host hdr connection upgrade hdr upgrade raw-proto
                    http-check expect status 101
                    server srv 127.0.0.1:\(s[5]) check inter 200ms rise 1 fall 1
                """
        }

        /// The first request of each server, and the health lines received by syslog.
        func run(haproxy: Bool) throws -> (requests: [String], syslog: [String]) {
            let p = haproxy ? try HAProxyProcess.start(config: config, waitForPorts: [front])
                            : try ProxyProcess(config: config, waitForPorts: [front])
            defer { _ = p.stop() }
            let deadline = ContinuousClock.now + .seconds(8)
            while ContinuousClock.now < deadline, servers.contains(where: { $0.connections.isEmpty }) || syslog.messages.count < 6 { usleep(20_000) }
            let lines = syslog.messages.map {
                $0.replacingOccurrences(of: #"^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d \S+\[\d+\]: "#, with: "<$1>", options: .regularExpression)
                  .replacingOccurrences(of: #"check duration: \d+ms"#, with: "check duration: Nms", options: .regularExpression)
            }
            return (servers.map { String(decoding: $0.connections.first ?? [], as: UTF8.self) }, Array(Set(lines)).sorted())
        }
    }

    static let expectedRequests = [
        "OPTIONS / HTTP/1.0\r\n\r\n",
        "GET /test HTTP/1.1\r\nconnection: close\r\n\r\n",
        "OPTIONS / HTTP/1.0\r\n\r\n",
        "GET /status HTTP/1.1\r\nhost: my-www-host\r\nx-test: true\r\ncontent-length: 4\r\nconnection: close\r\n\r\ntest",
        "OPTIONS / HTTP/1.0\r\nhost: other-www-host\r\nx-new-test: true\r\ncontent-length: 10\r\n\r\nother test",
        "GET / HTTP/1.1\r\nhost: ws-host\r\nconnection: upgrade\r\nupgrade: raw-proto\r\n\r\n",
    ]

    @Test func requestsAndSyslogLinesAsTheRegTestExpects() throws {
        let world = try World()
        defer { world.stop() }
        let got = try world.run(haproxy: false)
        #expect(got.requests == Self.expectedRequests)
        for (i, be) in ["be1", "be2", "be3", "be4", "be5", "be6_ws"].enumerated() {
            let code = i == 5 ? 101 : 200
            #expect(got.syslog.contains("<133>Health check for server \(be)/srv succeeded, reason: Layer7 check passed, code: \(code), check duration: Nms, status: 1/1 UP.\n"), "\(be): \(got.syslog)")
        }
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed")) func sameAsHAProxy() throws {
        func capture(_ haproxy: Bool) throws -> (requests: [String], syslog: [String]) {
            let world = try World()
            defer { world.stop() }
            return try world.run(haproxy: haproxy)
        }
        let ours = try capture(false), theirs = try capture(true)
        #expect(theirs.requests == Self.expectedRequests, "the captured requests are still HAProxy's")
        #expect(ours.requests == theirs.requests)
        #expect(ours.syslog == theirs.syslog)
    }
}

/// Agent checks (`agent-check`): the agent's words (`up`, `down # why`, `75%,maxconn:30,maint,down`,
/// `DRAIN bogus 50%`) and an unreachable agent, side by side with HAProxy 2.6.12: the same
/// set of lines (check lines, state changes, maintenance and drain messages).
@Suite(.serialized) struct OpsAgentCheckTests {
    struct World {
        let agents: [ScriptedServer]
        let front = freePort()
        init() throws {
            agents = try [
                ScriptedServer([ScriptedServer.text("up\n")]),
                ScriptedServer([ScriptedServer.text("down # maintenance window\n")]),
                ScriptedServer([.receive(5), ScriptedServer.text("75%,maxconn:30,maint,down\n")]),
                ScriptedServer([.sleep(milliseconds: 50)]),
                ScriptedServer([ScriptedServer.text("DRAIN bogus 50%\n")]),
                ScriptedServer([ScriptedServer.text("ready up\n")]),
            ]
        }
        func stop() { agents.forEach { $0.stop() } }
        var config: String {
            let a = agents.map(\.port)
            return """
                defaults
                    mode tcp
                    timeout connect 1s
                    timeout client 2s
                    timeout server 2s
                frontend f
                    bind 127.0.0.1:\(front)
                    default_backend be1
                backend be1
                    option log-health-checks
                    server srv 127.0.0.1:\(a[0]) agent-check agent-port \(a[0]) agent-inter 300ms
                backend be2
                    server srv 127.0.0.1:\(a[1]) agent-check agent-port \(a[1]) agent-inter 300ms
                backend be3
                    option log-health-checks
                    server srv 127.0.0.1:\(a[2]) weight 100 agent-check agent-addr 127.0.0.1 agent-port \(a[2]) agent-send "pouet" agent-inter 300ms
                backend be4
                    option log-health-checks
                    server srv 127.0.0.1:\(a[3]) check inter 300ms agent-check agent-port 1 agent-inter 300ms
                backend be6
                    option log-health-checks
                    server srv 127.0.0.1:\(a[4]) agent-check agent-port \(a[4]) agent-inter 300ms
                backend be7
                    server srv 127.0.0.1:\(a[5]) disabled check inter 300ms agent-check agent-port \(a[5]) agent-inter 300ms
                """
        }
        func run(haproxy: Bool) throws -> Set<String> {
            let p = haproxy ? try HAProxyProcess.start(config: config, waitForPorts: [front])
                            : try ProxyProcess(config: config, waitForPorts: [front])
            defer { _ = p.stop() }
            let deadline = ContinuousClock.now + .seconds(6)
            var lines = Set<String>()
            while ContinuousClock.now < deadline {
                lines = Set(healthLines(p.stderrText))
                if lines.count >= OpsAgentCheckTests.expected.count { break }
                usleep(50_000)
            }
            return lines
        }
        func healthLines(_ text: String) -> [String] {
            text.split(separator: "\n").filter { $0.contains("server") || $0.contains("Server") }.map {
                String($0).replacingOccurrences(of: #"^\[(WARNING|ALERT)\]( +)\(\d+\)"#, with: "[$1]$2(PID)", options: .regularExpression)
                    .replacingOccurrences(of: #"check duration: \d+ms"#, with: "check duration: Nms", options: .regularExpression)
            }.filter { !$0.contains("NOTICE") }
        }
    }

    static let expected: Set<String> = [
        #"[WARNING]  (PID) : Agent check for server be1/srv succeeded, reason: Layer7 check passed, code: 0, info: "via agent : up", check duration: Nms, status: 1/1 UP."#,
        #"[WARNING]  (PID) : Server be2/srv is DOWN, reason: Layer7 wrong status, code: 0, info: "via agent : down (maintenance window)", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."#,
        "[ALERT]    (PID) : backend 'be2' has no server available!",
        #"[WARNING]  (PID) : Agent check for server be3/srv failed, reason: Layer7 wrong status, code: 0, info: "via agent : down", check duration: Nms, status: 0/1 DOWN."#,
        "[WARNING]  (PID) : Server be3/srv is going DOWN for maintenance. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
        "[ALERT]    (PID) : backend 'be3' has no server available!",
        #"[WARNING]  (PID) : Agent check for server be4/srv failed, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms, status: 1/1 UP."#,
        "[WARNING]  (PID) : Health check for server be4/srv succeeded, reason: Layer4 check passed, check duration: Nms, status: 3/3 UP.",
        "[WARNING]  (PID) : Server be6/srv enters drain state. 0 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
        "[ALERT]    (PID) : backend 'be6' has no server available!",
        "[WARNING]  (PID) : Server be6/srv remains in forced drain mode.",
        // A `disabled` server's agent runs during maintenance; its `ready` ends it.
        "[WARNING]  (PID) : Server be7/srv is UP/READY (leaving forced maintenance).",
    ]

    @Test func agentWordsAsHAProxyReportsThem() throws {
        let world = try World()
        defer { world.stop() }
        let got = try world.run(haproxy: false)
        #expect(got == Self.expected, "missing: \(Self.expected.subtracting(got)), extra: \(got.subtracting(Self.expected))")
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed")) func sameAsHAProxy() throws {
        func capture(_ h: Bool) throws -> Set<String> { let w = try World(); defer { w.stop() }; return try w.run(haproxy: h) }
        let theirs = try capture(true)
        #expect(theirs == Self.expected, "captured lines are still HAProxy's: \(theirs.symmetricDifference(Self.expected))")
        #expect(try capture(false) == theirs)
    }
}

/// `option ssl-hello-chk` against real servers, side by side with HAProxy 2.6.12: an
/// `openssl s_server` (it answers the SSLv3 hello with a handshake record or an alert, both
/// of which HAProxy counts as a TLS server) and a plain-HTTP server (nginx answers a 400:
/// not a TLS record). The first result line of each backend must be HAProxy's.
@Suite(.serialized) struct OpsSSLHelloCheckTests {
    static let openssl = ["/usr/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let nginx = ["/usr/sbin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }

    struct World {
        let tls: ProxyProcess
        let http: ProxyProcess
        let front = freePort()
        let tlsPort: UInt16
        let httpPort: UInt16

        init() throws {
            let dir = NSTemporaryDirectory() + "ringproxy-sslhello-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let gen = try ProxyProcess.run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                            "-subj", "/CN=sslhello.test", "-days", "1", "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem"],
                                           binary: OpsSSLHelloCheckTests.openssl!)
            guard gen.status == 0 else { throw ProxyProcessError(description: "openssl req: \(gen.stderr)") }
            tlsPort = freePort()
            tls = try ProxyProcess(arguments: ["s_server", "-accept", "127.0.0.1:\(tlsPort)", "-cert", dir + "/cert.pem",
                                               "-key", dir + "/key.pem", "-quiet", "-naccept", "1000"],
                                   binary: OpsSSLHelloCheckTests.openssl!, waitForPorts: [tlsPort])
            httpPort = freePort()
            let conf = """
                daemon off; master_process off; pid \(dir)/nginx.pid; error_log \(dir)/error.log;
                events { worker_connections 64; }
                http { access_log off; client_body_temp_path \(dir); proxy_temp_path \(dir); fastcgi_temp_path \(dir);
                       uwsgi_temp_path \(dir); scgi_temp_path \(dir);
                       server { listen 127.0.0.1:\(httpPort); location / { return 200 "plain\\n"; } } }

                """
            try conf.write(toFile: dir + "/nginx.conf", atomically: true, encoding: .utf8)
            http = try ProxyProcess(arguments: ["-c", dir + "/nginx.conf", "-p", dir, "-e", dir + "/error.log"],
                                    binary: OpsSSLHelloCheckTests.nginx!, waitForPorts: [httpPort])
        }

        func stop() { tls.stop(); http.stop() }

        var config: String {
            """
            defaults
                mode tcp
                timeout connect 1s
                timeout client 2s
                timeout server 2s
                timeout check 1500ms
                option log-health-checks
                default-server inter 5s rise 1 fall 1
            frontend f
                bind 127.0.0.1:\(front)
                default_backend tls
            backend tls
                option ssl-hello-chk
                server srv 127.0.0.1:\(tlsPort) check
            backend http
                option ssl-hello-chk
                server srv 127.0.0.1:\(httpPort) check

            """
        }

        func run(haproxy: Bool) throws -> [String: String] {
            let p = haproxy ? try HAProxyProcess.start(config: config, waitForPorts: [front])
                            : try ProxyProcess(config: config, waitForPorts: [front])
            defer { _ = p.stop() }
            let deadline = ContinuousClock.now + .seconds(10)
            var lines: [String: String] = [:]
            while ContinuousClock.now < deadline {
                lines = CheckWorld.firstLines(p.stderrText, ["tls", "http"])
                if lines.count == 2 { break }
                usleep(20_000)
            }
            return lines
        }
    }

    static let expected = [
        "tls": "Health check for server tls/srv succeeded, reason: Layer6 check passed, check duration: Nms, status: 1/1 UP.",
        "http": "Health check for server http/srv failed, reason: Layer6 invalid response, check duration: Nms, status: 0/1 DOWN.",
    ]

    @Test(.enabled(if: openssl != nil && nginx != nil, "openssl or nginx is not installed"))
    func tlsServerPassesPlainHTTPFails() throws {
        let w = try World()
        defer { w.stop() }
        #expect(try w.run(haproxy: false) == Self.expected)
    }

    @Test(.enabled(if: openssl != nil && nginx != nil && HAProxyProcess.isInstalled, "openssl, nginx or haproxy is not installed"))
    func sameAsHAProxy() throws {
        let w = try World()
        defer { w.stop() }
        let theirs = try w.run(haproxy: true)
        let ours = try w.run(haproxy: false)
        #expect(theirs == Self.expected, "HAProxy's lines changed: \(theirs)")
        #expect(ours == theirs)
    }
}

/// checks/tcp-checks-socks4.vtc reproduced, side by side with HAProxy 2.6.12: `option httpchk`
/// through a SOCKS4 proxy (`socks4 ADDR:PORT check-via-socks4`). The proxy gets HAProxy's
/// 16-byte CONNECT request (version 4, command 1, the server's port and address, user id
/// "HAProxy") then the HTTP check; one that grants it answers 200, one that refuses (0x5B)
/// makes the check fail. The bytes each proxy received and the first health line must be HAProxy's.
@Suite(.serialized) struct OpsSocks4CheckTests {
    typealias S = ScriptedServer
    struct World {
        let granting: ScriptedServer
        let refusing: ScriptedServer
        let serverPort = freePort()     // never contacted directly: the SOCKS proxy is
        let front = freePort()

        init() throws {
            granting = try ScriptedServer([.receive(16), S.hex("005A000000000000"), .receiveHTTPRequest, CheckScenarios.http200])
            refusing = try ScriptedServer([.receive(16), S.hex("005B000000000000"), .sleep(milliseconds: 200)])
        }
        func stop() { granting.stop(); refusing.stop() }

        var config: String {
            """
            defaults
                mode tcp
                timeout connect 1s
                timeout client 2s
                timeout server 2s
                timeout check 1500ms
                option log-health-checks
                default-server inter 5s rise 1 fall 1
            frontend f
                bind 127.0.0.1:\(front)
                default_backend granted
            backend granted
                option httpchk
                server srv 127.0.0.1:\(serverPort) socks4 127.0.0.1:\(granting.port) check-via-socks4 check
            backend refused
                option httpchk
                server srv 127.0.0.1:\(serverPort) socks4 127.0.0.1:\(refusing.port) check-via-socks4 check

            """
        }

        func run(haproxy: Bool) throws -> (lines: [String: String], granted: [UInt8], refused: [UInt8]) {
            let p = haproxy ? try HAProxyProcess.start(config: config, waitForPorts: [front])
                            : try ProxyProcess(config: config, waitForPorts: [front])
            defer { _ = p.stop() }
            let deadline = ContinuousClock.now + .seconds(10)
            var lines: [String: String] = [:]
            while ContinuousClock.now < deadline {
                lines = CheckWorld.firstLines(p.stderrText, ["granted", "refused"])
                if lines.count == 2 { break }
                usleep(20_000)
            }
            let until = ContinuousClock.now + .seconds(3)
            while ContinuousClock.now < until, granting.connections.count < 1 || refusing.connections.count < 1 { usleep(20_000) }
            return (lines, granting.connections.last ?? [], refusing.connections.last ?? [])
        }
    }

    /// The CONNECT request for 127.0.0.1:port.
    static func request(_ port: UInt16) -> [UInt8] { [4, 1, UInt8(port >> 8), UInt8(port & 0xff), 127, 0, 0, 1] + Array("HAProxy".utf8) + [0] }

    @Test func checksGoThroughTheSOCKS4Proxy() throws {
        let w = try World()
        defer { w.stop() }
        let got = try w.run(haproxy: false)
        #expect(got.lines["granted"] == "Health check for server granted/srv succeeded, reason: Layer7 check passed, code: 200, check duration: Nms, status: 1/1 UP.")
        #expect(got.granted == Self.request(w.serverPort) + Array("OPTIONS / HTTP/1.0\r\n\r\n".utf8), "\(got.granted)")
        #expect(got.refused == Self.request(w.serverPort))
        #expect(got.lines["refused"] == #"Health check for server refused/srv failed, reason: Socket error, info: "SOCKS4 Proxy deny the request", check duration: Nms, status: 0/1 DOWN."#, "\(got.lines)")
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed"))
    func sameAsHAProxy() throws {
        let w1 = try World()
        let theirs = try w1.run(haproxy: true)
        w1.stop()
        let w2 = try World()
        defer { w2.stop() }
        let ours = try w2.run(haproxy: false)
        // Different ports between the two worlds: compare the requests relative to each.
        #expect(theirs.granted == Self.request(w1.serverPort) + Array("OPTIONS / HTTP/1.0\r\n\r\n".utf8))
        #expect(ours.granted == Self.request(w2.serverPort) + Array("OPTIONS / HTTP/1.0\r\n\r\n".utf8))
        #expect(theirs.refused == Self.request(w1.serverPort) && ours.refused == Self.request(w2.serverPort))
        #expect(ours.lines == theirs.lines)
    }
}
