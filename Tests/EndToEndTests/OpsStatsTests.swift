// The stats page, monitor-uri and the Prometheus exporter through a real ringproxy process:
// the CSV header is HAProxy 2.6.12's, the counts match the requests sent, authentication and
// refresh behave as HAProxy's, monitor-uri reaches no backend and is not logged.
import Foundation
import Testing
import Proxy
import Origins

/// Two backends with one server each, a stats listener with auth and refresh, monitor-uri and
/// the exporter on the frontend.
struct OpsStatsWorld {
    let one: AppServer
    let two: AppServer
    let syslog: SyslogCollector
    let frontPort = freePort()
    let statsPort = freePort()

    init() throws {
        one = try AppServer(name: "o1", port: 0, behaviour: .echo)
        two = try AppServer(name: "t1", port: 0, behaviour: .echo)
        syslog = try SyslogCollector()
    }

    func stop() { one.stop(); two.stop(); syslog.stop() }

    var config: String {
        """
        global
            log 127.0.0.1:\(syslog.port) local0
        defaults
            mode http
            log global
            option httplog
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend F
            bind 127.0.0.1:\(frontPort)
            monitor-uri /alive
            http-request use-service prometheus-exporter if { path /metrics }
            acl to_one hdr(host) -i one.test
            use_backend ONE if to_one
            default_backend TWO
        backend ONE
            server o1 127.0.0.1:\(one.port)
        backend TWO
            server t1 127.0.0.1:\(two.port)
        listen stats
            bind 127.0.0.1:\(statsPort)
            stats enable
            stats uri /st
            stats realm Ops\\ Realm
            stats auth u:p
            stats refresh 7s
        """
    }

    func start() throws -> ProxyProcess {
        try ProxyProcess(config: config, waitForPorts: [frontPort, statsPort])
    }

    func stats(_ path: String = "/st;csv", credentials: Bool = true) throws -> RawHTTP.Response {
        try RawHTTP.get(port: statsPort, path: path, headers: credentials ? [OpsHTTP.basicAuth("u", "p")] : [])
    }

    /// The CSV once `done` holds for it (counters are summed from the workers as they finish
    /// each exchange), or the last one read after `timeout`.
    func csv(until done: (OpsStatsCSV) -> Bool = { _ in true }, timeout: Duration = .seconds(3)) throws -> OpsStatsCSV {
        let deadline = ContinuousClock.now + timeout
        while true {
            let table = try OpsStatsCSV(try stats().bodyText)
            if done(table) || ContinuousClock.now >= deadline { return table }
            usleep(50_000)
        }
    }
}

/// HAProxy 2.6.12's CSV header line, captured from haproxy when installed, else the list
/// ringproxy was built from (itself captured from 2.6.12).
func haproxyCSVHeader() throws -> String {
    guard HAProxyProcess.isInstalled else { return StatsCSV.header.trimmingCharacters(in: .newlines) }
    let port = freePort()
    let h = try HAProxyProcess.start(config: """
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        listen stats
            bind 127.0.0.1:\(port)
            stats enable
            stats uri /st
        """, waitForPorts: [port])
    defer { _ = h.stop() }
    let body = try RawHTTP.get(port: port, path: "/st;csv").bodyText
    return String(body.split(separator: "\n").first ?? "")
}

@Suite(.serialized) struct OpsStatsTests {
    @Test func csvHeaderIsHAProxys() throws {
        let world = try OpsStatsWorld()
        defer { world.stop() }
        let p = try world.start()
        defer { _ = p.stop() }
        let expected = try haproxyCSVHeader()
        let r = try world.stats()
        #expect(r.status == 200)
        #expect(r.header("Content-Type")?.hasPrefix("text/plain") == true)
        let first = String(r.bodyText.split(separator: "\n").first ?? "")
        #expect(first == expected)
        #expect(expected.split(separator: ",").count >= 51)
    }

    @Test func countsMatchTheRequestsSent() throws {
        let world = try OpsStatsWorld()
        defer { world.stop() }
        let p = try world.start()
        defer { _ = p.stop() }
        let toOne = 5, toTwo = 3
        var bytesOne = 0, bytesTwo = 0
        for i in 0..<toOne {
            let r = try RawHTTP.get(port: world.frontPort, path: "/one/\(i)", host: "one.test")
            #expect(r.status == 200 && r.header("X-Server") == "o1")
            bytesOne += OpsHTTP.wireSize(r)
        }
        for i in 0..<toTwo {
            let r = try RawHTTP.get(port: world.frontPort, path: "/two/\(i)", host: "two.test")
            #expect(r.status == 200 && r.header("X-Server") == "t1")
            bytesTwo += OpsHTTP.wireSize(r)
        }
        let total = toOne + toTwo
        let csv = try world.csv(until: { $0.number("F", "FRONTEND", "req_tot") >= total && $0.number("TWO", "BACKEND", "hrsp_2xx") >= toTwo })
        // frontend: sessions, requests, responses, bytes
        #expect(csv.number("F", "FRONTEND", "stot") == total)
        #expect(csv.number("F", "FRONTEND", "req_tot") == total)
        #expect(csv.number("F", "FRONTEND", "hrsp_2xx") == total)
        #expect(csv.number("F", "FRONTEND", "hrsp_5xx") == 0)
        #expect(csv.number("F", "FRONTEND", "bin") > 0)
        #expect(csv.number("F", "FRONTEND", "bout") == bytesOne + bytesTwo, "bout counts the bytes sent to clients")
        #expect(csv.row("F", "FRONTEND")?["status"] == "OPEN")
        // each backend and its server
        for (px, sv, n, bytes) in [("ONE", "o1", toOne, bytesOne), ("TWO", "t1", toTwo, bytesTwo)] {
            for name in [sv, "BACKEND"] {
                #expect(csv.number(px, name, "stot") == n, "\(px)/\(name) stot")
                #expect(csv.number(px, name, "hrsp_2xx") == n, "\(px)/\(name) hrsp_2xx")
                #expect(csv.number(px, name, "lbtot") == n, "\(px)/\(name) lbtot")
                #expect(csv.number(px, name, "bin") > 0, "\(px)/\(name) bin")
                #expect(csv.number(px, name, "bout") == bytes, "\(px)/\(name) bout")
            }
            #expect(csv.row(px, sv)?["status"] == "no check")
            #expect(csv.row(px, "BACKEND")?["status"] == "UP")
        }
        #expect(world.one.requestsReceived == toOne && world.two.requestsReceived == toTwo)
    }

    /// Sessions on a frontend are client connections; requests are counted apart. One
    /// keep-alive connection with three requests and one 400. (Not a connection closed without
    /// a byte: HAProxy 2.6 counts it as a request and a 400 that nobody received; ringproxy
    /// counts only the session.)
    static func connectionCounts(_ world: OpsStatsWorld) throws -> [String: Int] {
        let c = try RawHTTP(port: world.frontPort)
        for i in 0..<3 {
            let r = try c.request(path: "/ka/\(i)", host: "two.test")
            #expect(r.status == 200 && r.header("X-Server") == "t1")
        }
        c.close()
        let bad = try RawHTTP(port: world.frontPort)
        try bad.send("GET / HTTP/1.1\r\nHost: two.test\r\nNo colon\r\n\r\n")
        #expect(try bad.readResponse().status == 400)
        bad.close()
        usleep(300_000)
        let csv = try world.csv()
        var out: [String: Int] = [:]
        for column in ["stot", "conn_tot", "req_tot", "ereq", "hrsp_2xx", "hrsp_4xx"] {
            out["F." + column] = csv.number("F", "FRONTEND", column)
        }
        for column in ["stot", "req_tot", "hrsp_2xx"] {
            out["TWO." + column] = csv.number("TWO", "BACKEND", column)
            out["t1." + column] = csv.number("TWO", "t1", column)
        }
        return out
    }

    @Test func frontendSessionsAreConnections() throws {
        let world = try OpsStatsWorld()
        defer { world.stop() }
        let p = try world.start()
        defer { _ = p.stop() }
        let ours = try Self.connectionCounts(world)
        #expect(ours["F.stot"] == 2 && ours["F.conn_tot"] == 2 && ours["F.req_tot"] == 4, "\(ours)")
        #expect(ours["F.hrsp_2xx"] == 3 && ours["F.hrsp_4xx"] == 1 && ours["F.ereq"] == 1, "\(ours)")
        for name in ["TWO", "t1"] {
            #expect(ours[name + ".stot"] == 3 && ours[name + ".req_tot"] == 3 && ours[name + ".hrsp_2xx"] == 3, "\(ours)")
        }
        guard HAProxyProcess.isInstalled else { return }
        _ = p.stop()
        let h = try HAProxyProcess.start(config: world.config, waitForPorts: [world.frontPort, world.statsPort])
        defer { _ = h.stop() }
        let theirs = try Self.connectionCounts(world)
        #expect(ours == theirs, "ringproxy \(ours.sorted { $0.key < $1.key })\n haproxy \(theirs.sorted { $0.key < $1.key })")
    }

    @Test func authenticationAndRefresh() throws {
        let world = try OpsStatsWorld()
        defer { world.stop() }
        let p = try world.start()
        defer { _ = p.stop() }
        let anonymous = try world.stats("/st", credentials: false)
        #expect(anonymous.status == 401)
        #expect(anonymous.header("WWW-Authenticate") == "Basic realm=\"Ops Realm\"")
        let wrong = try RawHTTP.get(port: world.statsPort, path: "/st", headers: [OpsHTTP.basicAuth("u", "x")])
        #expect(wrong.status == 401)
        let html = try world.stats("/st")
        #expect(html.status == 200)
        #expect(html.header("Refresh") == "7")          // the name is matched case-insensitively
        #expect(html.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(html.bodyText.contains("F") && html.bodyText.contains("o1") && html.bodyText.contains("t1"))
        let csv = try world.stats("/st;csv")
        #expect(csv.header("Refresh") == "7")
        let quiet = try world.stats("/st;csv;norefresh")
        #expect(quiet.status == 200)
        #expect(quiet.header("Refresh") == nil)
        #expect(quiet.bodyText.hasPrefix("# pxname,svname,"))
        // a prefix match, as HAProxy's stats uri
        #expect(try world.stats("/stXYZ").status == 200)
    }

    /// The same 401/200 heads from HAProxy 2.6 on the same listen section, header names
    /// compared case-insensitively (2.6 writes them in lower case).
    @Test(.enabled(if: HAProxyProcess.isInstalled)) func authenticationHeadsMatchHAProxys() throws {
        let world = try OpsStatsWorld()
        defer { world.stop() }
        let statsOnly = """
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            listen stats
                bind 127.0.0.1:\(world.statsPort)
                stats enable
                stats uri /st
                stats realm Ops\\ Realm
                stats auth u:p
                stats refresh 7s
            """
        func heads() throws -> [(Int, String?, String?)] {
            [try world.stats("/st", credentials: false), try world.stats("/st"), try world.stats("/st;csv;norefresh")]
                .map { ($0.status, $0.header("WWW-Authenticate"), $0.header("Refresh")) }
        }
        let h = try HAProxyProcess.start(config: statsOnly, waitForPorts: [world.statsPort])
        let theirs = try heads()
        _ = h.stop()
        let p = try ProxyProcess(config: statsOnly, waitForPorts: [world.statsPort])
        defer { _ = p.stop() }
        let ours = try heads()
        #expect(ours.map(\.0) == theirs.map(\.0))
        #expect(ours.map(\.1) == theirs.map(\.1))
        #expect(ours.map(\.2) == theirs.map(\.2))
    }

    @Test func monitorURIReachesNoBackendAndIsNotLogged() throws {
        let world = try OpsStatsWorld()
        defer { world.stop() }
        let p = try world.start()
        defer { _ = p.stop() }
        let before = (world.one.requestsReceived, world.two.requestsReceived, world.one.connectionsAccepted, world.two.connectionsAccepted)
        let m = try RawHTTP.get(port: world.frontPort, path: "/alive", host: "one.test")
        #expect(m.status == 200)
        #expect(m.bodyText.contains("ervice ready"))
        let m2 = try RawHTTP.get(port: world.frontPort, path: "/alive", host: nil)
        #expect(m2.status == 200)
        #expect((world.one.requestsReceived, world.two.requestsReceived, world.one.connectionsAccepted, world.two.connectionsAccepted) == before)
        // exact URI only: /alive?x=1 is an ordinary request, forwarded and logged
        let forwarded = try RawHTTP.get(port: world.frontPort, path: "/alive?x=1", host: "one.test")
        #expect(forwarded.status == 200 && forwarded.header("X-Server") == "o1")
        let logs = world.syslog.waitForMessages(count: 1)
        usleep(300_000)                                   // a line for /alive would have come by now
        let all = world.syslog.messages
        #expect(all.count == 1, "only the forwarded request is logged: \(all)")
        #expect(all.first?.contains("\"GET /alive?x=1 HTTP/1.1\"") == true, "\(logs)")
    }

    @Test func prometheusExporterCountsFrontendRequests() throws {
        let world = try OpsStatsWorld()
        defer { world.stop() }
        let p = try world.start()
        defer { _ = p.stop() }
        func metric(_ text: String, _ name: String, _ labels: String) -> Int? {
            for line in text.split(separator: "\n") where line.hasPrefix(name + "{") && line.contains(labels) {
                return line.split(separator: " ").last.flatMap { Double($0) }.map { Int($0) }
            }
            return nil
        }
        func scrape() throws -> String {
            let r = try RawHTTP.get(port: world.frontPort, path: "/metrics", host: "one.test")
            #expect(r.status == 200)
            #expect(r.header("Content-Type")?.hasPrefix("text/plain") == true)
            return r.bodyText
        }
        let first = try scrape()
        #expect(first.contains("# TYPE haproxy_frontend_http_requests_total counter"))
        let start = try #require(metric(first, "haproxy_frontend_http_requests_total", "proxy=\"F\""), "\(first.prefix(2000))")
        let sent = 6
        for i in 0..<sent { _ = try RawHTTP.get(port: world.frontPort, path: "/p/\(i)", host: i.isMultiple(of: 2) ? "one.test" : "two.test") }
        usleep(100_000)
        let second = try scrape()
        // the exporter's own request is an HTTP request of F too, as in HAProxy
        #expect(metric(second, "haproxy_frontend_http_requests_total", "proxy=\"F\"") == start + sent + 1)
        #expect(metric(second, "haproxy_backend_http_responses_total", "proxy=\"ONE\",code=\"2xx\"") == sent / 2)
        #expect(metric(second, "haproxy_server_status", "proxy=\"ONE\",server=\"o1\"") != nil)
        #expect(world.one.requestsReceived + world.two.requestsReceived == sent, "the exporter contacts no backend")
    }
}
