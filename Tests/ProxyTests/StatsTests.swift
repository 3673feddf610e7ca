import Testing
@testable import Proxy

private let loc = Proxy.SourceLocation(file: "t", line: 1)

/// The configuration of the HAProxy instance the CSV captures come from.
func capturedConfig() -> Configuration {
    var c = Configuration()
    var f = ProxyConfig(kind: .frontend, name: "F", location: loc)
    f.mode = .http; f.defaultBackend = "B"
    f.useBackends = [BackendSwitchRule(backend: "B", condition: nil, location: loc)]
    var b = ProxyConfig(kind: .backend, name: "B", location: loc)
    b.mode = .http
    for (n, port) in [("A", 24081), ("Z", 24089)] {
        var s = ServerConfig(name: n, host: "127.0.0.1", port: port, location: loc)
        s.check = true; s.inter = 500; s.rise = 3; s.fall = 3
        b.servers.append(s)
    }
    var none = ProxyConfig(kind: .backend, name: "NONE", location: loc)
    none.mode = .http
    var admin = ProxyConfig(kind: .listen, name: "admin", location: loc)
    admin.mode = .http
    admin.stats.enabled = true; admin.stats.uri = "/st"; admin.stats.realm = "Foo Bar"
    admin.stats.auths = [(user: "u", password: "p")]; admin.stats.refresh = 5000
    var t = ProxyConfig(kind: .frontend, name: "T", location: loc)
    t.mode = .tcp; t.defaultBackend = "TB"
    var td = ProxyConfig(kind: .frontend, name: "TD", location: loc)
    td.mode = .tcp; td.defaultBackend = "TB"
    var tb = ProxyConfig(kind: .backend, name: "TB", location: loc)
    tb.mode = .tcp
    tb.servers = [ServerConfig(name: "A", host: "127.0.0.1", port: 24081, location: loc)]
    c.proxies = [f, b, none, admin, t, td, tb]
    return c
}

/// States as on the captured instance 3 s after start: B/A passed its check, B/Z refused.
func capturedModel(workers: [WorkerCounters] = [], nowSecond: UInt64 = 1000) -> StatsModel {
    let c = capturedConfig()
    let states = ServerStateTable(configuration: c, nowMs: 0)
    var a = HealthStateMachine(rise: 3, fall: 3), z = HealthStateMachine(rise: 3, fall: 3)
    var tr = a.recordSuccess()
    states.publish(server: 0, machine: a, result: CheckResult(status: .l4ok, durationMs: 0), transition: tr, nowMs: 0)
    tr = z.recordFailure()
    states.publish(server: 1, machine: z, result: CheckResult(status: .l4con, info: "Connection refused", durationMs: 0), transition: tr, nowMs: 0)
    let layout = CounterLayout(configuration: c)
    var m = StatsModel(configuration: c, states: states,
                       counters: CountersSnapshot.sum(workers, layout: layout, nowSecond: nowSecond),
                       nowMs: 3000, nowSecond: nowSecond)
    m.defaultMaxconn = 9989
    return m
}

@Suite struct StatsCSVTests {
    @Test func headerIsHAProxy26Columns() {
        #expect(StatsCSV.header == StatsCaptures.csvHeader + "\n")
        #expect(StatsCSV.columns.count == 128)
    }

    @Test func idleRowsMatchHAProxyColumnByColumn() {
        let csv = StatsCSV.render(capturedModel())
        let lines = csv.split(separator: "\n").map(String.init)
        let header = StatsCSV.columns
        // Not modelled: HAProxy's estimate of connections needed by a server.
        let skipped: Set<String> = ["need_conn_est"]
        for want in StatsCaptures.rows {
            let key = want.split(separator: ",", maxSplits: 2).prefix(2).joined(separator: ",") + ","
            guard let got = lines.first(where: { $0.hasPrefix(key) }) else {
                Issue.record("missing row \(key)"); continue
            }
            let g = got.split(separator: ",", omittingEmptySubsequences: false)
            let w = want.split(separator: ",", omittingEmptySubsequences: false)
            #expect(g.count == w.count, "\(key) cell count")
            for (i, name) in header.enumerated() where !skipped.contains(name) && i < min(g.count, w.count) {
                #expect(g[i] == w[i], "\(key) column \(name)")
            }
        }
    }

    @Test func countsMatchTheTrafficSummedOverWorkers() {
        let layout = CounterLayout(configuration: capturedConfig())
        let w1 = WorkerCounters(layout: layout), w2 = WorkerCounters(layout: layout)
        let fe = layout.frontendRows["F"]!, be = layout.backendRows["B"]!, a = layout.serverRow(0)
        // 3 requests on worker 1 and 2 on worker 2, one of them a 503.
        for (w, n) in [(w1, 3), (w2, 2)] {
            for i in 0..<n {
                for row in [fe, be, a] { w.sessionStarted(row, nowSecond: 999) }
                w.requestReceived(fe, nowSecond: 999)
                for row in [fe, be, a] {
                    w.add(row, .bin, 40); w.add(row, .bout, 100)
                    w.response(row, status: (w === w2 && i == 1) ? 503 : 200)
                    if row != fe { w.add(row, .reqTot) }   // the frontend counted it on reception
                    w.sessionEnded(row)
                }
                w.add(be, .lbtot); w.add(a, .lbtot)
            }
        }
        let m = capturedModel(workers: [w1, w2], nowSecond: 1000)
        let csv = StatsCSV.render(m)
        func cell(_ px: String, _ sv: String, _ col: String) -> String? {
            guard let line = csv.split(separator: "\n").first(where: { $0.hasPrefix("\(px),\(sv),") }) else { return nil }
            return String(line.split(separator: ",", omittingEmptySubsequences: false)[StatsCSV.columns.firstIndex(of: col)!])
        }
        #expect(cell("F", "FRONTEND", "stot") == "5")
        #expect(cell("F", "FRONTEND", "req_tot") == "5")
        #expect(cell("F", "FRONTEND", "bin") == "200" && cell("F", "FRONTEND", "bout") == "500")
        #expect(cell("F", "FRONTEND", "hrsp_2xx") == "4" && cell("F", "FRONTEND", "hrsp_5xx") == "1")
        #expect(cell("F", "FRONTEND", "scur") == "0")
        #expect(cell("F", "FRONTEND", "smax") == "1")      // max over workers, not a sum
        #expect(cell("F", "FRONTEND", "rate") == "5")      // all in the last complete second
        #expect(cell("B", "A", "lbtot") == "5" && cell("B", "BACKEND", "lbtot") == "5")
        #expect(cell("B", "A", "lastsess") == "1")
        #expect(cell("B", "A", "status") == "UP" && cell("B", "Z", "status") == "DOWN")
        // ;up hides the DOWN server.
        #expect(!StatsCSV.render(m, hideDown: true).contains("\nB,Z,"))
    }

    @Test func statusWordsFollowTheHealthCounter() {
        let m = capturedModel()
        // Fresh table: checked servers start `UP 1/3` (health = rise), unchecked `no check`.
        let fresh = ServerStateTable(configuration: m.configuration, nowMs: 0)
        #expect(fresh.statusWord(0) == "UP 1/3")
        #expect(fresh.statusWord(2) == "no check")
        var z = HealthStateMachine(rise: 3, fall: 3)
        _ = z.recordFailure(); _ = z.recordSuccess(); _ = z.recordSuccess()
        fresh.publish(server: 1, machine: z, result: CheckResult(status: .l4ok, durationMs: 0), transition: nil, nowMs: 1)
        #expect(fresh.statusWord(1) == "DOWN 2/3")
    }

    @Test func beforeTheFirstCheckTheStatusIsINI() {
        // Observed on 2.6.12 for a server whose first check is staggered:
        // `B,Z,…,UP 1/3,…,INI,,,0` (check_status INI, no check_code, no check_duration).
        var m = capturedModel()
        m.states = ServerStateTable(configuration: m.configuration, nowMs: 0)
        let row = StatsCSV.render(m).split(separator: "\n").first { $0.hasPrefix("B,Z,") }!
        let cells = row.split(separator: ",", omittingEmptySubsequences: false)
        let col = { (n: String) in String(cells[StatsCSV.columns.firstIndex(of: n)!]) }
        #expect(col("status") == "UP 1/3" && col("check_status") == "INI" && col("check_duration") == "" && col("check_code") == "")
        #expect(col("check_desc") == "Initializing")
    }
}

@Suite struct StatsHTTPTests {
    @Test func matchingIsAPrefixWithOptions() {
        #expect(StatsRequest.match(method: "GET", target: "/st", uri: "/st") == StatsRequest())
        #expect(StatsRequest.match(method: "GET", target: "/stXYZ", uri: "/st") != nil)
        #expect(StatsRequest.match(method: "GET", target: "/st?foo", uri: "/st") != nil)
        #expect(StatsRequest.match(method: "GET", target: "/other", uri: "/st") == nil)
        #expect(StatsRequest.match(method: "PUT", target: "/st", uri: "/st") == nil)
        #expect(StatsRequest.match(method: "GET", target: "/ST", uri: "/st") == nil)
        let r = StatsRequest.match(method: "HEAD", target: "/st;csv;norefresh;up", uri: "/st")
        #expect(r?.format == .csv && r?.noRefresh == true && r?.upOnly == true && r?.isHead == true)
        #expect(StatsRequest.match(method: "POST", target: "/st;up", uri: "/st")?.format == .html)
    }

    @Test func basicAuth() {
        var cfg = StatsConfig()
        #expect(StatsAuth.isAuthorized(nil, config: cfg))
        cfg.auths = [(user: "qhappy", password: "qhappy"), (user: "u", password: "p:x")]
        #expect(!StatsAuth.isAuthorized(nil, config: cfg))
        #expect(StatsAuth.isAuthorized("Basic " + Base64.encode(Array("qhappy:qhappy".utf8)), config: cfg))
        #expect(StatsAuth.isAuthorized("basic " + Base64.encode(Array("u:p:x".utf8)), config: cfg))
        #expect(!StatsAuth.isAuthorized("Basic " + Base64.encode(Array("qhappy:wrong".utf8)), config: cfg))
        #expect(!StatsAuth.isAuthorized("Basic !!!", config: cfg))
        #expect(!StatsAuth.isAuthorized("Bearer cWhhcHB5OnFoYXBweQ==", config: cfg))
        #expect(Base64.decode("cWhhcHB5OnFoYXBweQ==") == Array("qhappy:qhappy".utf8))
        #expect(Base64.encode(Array("ab".utf8)) == "YWI=")
    }

    @Test func answersAreHAProxysBytes() {
        let m = capturedModel()
        let cfg = m.configuration.proxy(named: "admin")!.stats
        let html = StatsRequest.match(method: "GET", target: "/st", uri: "/st")!
        #expect(StatsResponse.answer(html, authorization: nil, config: cfg, model: m) == Array(StatsCaptures.unauthorized401.utf8))
        #expect(StatsResponse.answer(html, authorization: "Basic dTp4", config: cfg, model: m) == Array(StatsCaptures.unauthorized401.utf8))
        let ka = StatsResponse.Connection(http11: true, keepAlive: true)
        let ok = String(decoding: StatsResponse.answer(html, authorization: "Basic dTpw", config: cfg, model: m, connection: ka), as: UTF8.self)
        #expect(ok.hasPrefix(StatsCaptures.ok200Head))
        #expect(ok.hasSuffix("</html>\n\r\n0\r\n\r\n"))
        let csv = StatsRequest.match(method: "GET", target: "/st;csv;norefresh", uri: "/st")!
        let c = String(decoding: StatsResponse.answer(csv, authorization: "Basic dTpw", config: cfg, model: m, connection: ka), as: UTF8.self)
        #expect(c.hasPrefix(StatsCaptures.csvNoRefreshHead))
        #expect(c.contains(StatsCaptures.csvHeader + "\n"))
        // Chunk size line matches the body length.
        let afterHead = c.dropFirst(StatsCaptures.csvNoRefreshHead.count)
        let sizeLine = afterHead.prefix { $0.isHexDigit }
        #expect(Int(sizeLine, radix: 16) == StatsCSV.render(m).utf8.count)
        let head = StatsRequest.match(method: "HEAD", target: "/st", uri: "/st")!
        // HEAD: no framing at all (HAProxy's applet sets no chunking for HEAD).
        #expect(String(decoding: StatsResponse.answer(head, authorization: "Basic dTpw", config: cfg, model: m, connection: ka), as: UTF8.self)
                == StatsCaptures.ok200Head.replacingOccurrences(of: "transfer-encoding: chunked\r\n", with: ""))
    }

    @Test func htmlHasOneTablePerProxyColouredByState() {
        let m = capturedModel()
        let page = StatsHTML.render(m, request: StatsRequest(), config: StatsConfig())
        #expect(page.ranges(of: "<table>").count == m.configuration.proxies.count)
        #expect(page.contains("<tr class=\"active_up\"><td class=\"name\">A</td>"))
        #expect(page.contains("<tr class=\"active_down\"><td class=\"name\">Z</td>"))
        #expect(page.contains("<tr class=\"no_check\"><td class=\"name\">A</td>"))
        #expect(page.contains("L4CON in 0ms") && page.contains("title=\"Connection refused\""))
        #expect(page.contains("name=\"viewport\""))
        // Every row has the name cell plus the 30 columns of the header groups.
        for line in page.split(separator: "\n") where line.hasPrefix("<tr class=") {
            #expect(line.ranges(of: "<td").count == 31, "\(line.prefix(60))")
        }
        #expect(page.contains("3s UP") && page.contains("3s DOWN"))
        #expect(StatsHTML.duration(3725) == "1h2m" && StatsHTML.duration(59) == "59s" && StatsHTML.duration(90061) == "1d1h")
    }

    @Test func prometheusUsesHAProxyExporterNames() {
        let layout = CounterLayout(configuration: capturedConfig())
        let w = WorkerCounters(layout: layout)
        let fe = layout.frontendRows["F"]!
        w.requestReceived(fe, nowSecond: 5); w.requestReceived(fe, nowSecond: 5)
        w.response(fe, status: 200); w.add(layout.serverRow(0), .bin, 83)
        let text = StatsPrometheus.render(capturedModel(workers: [w]))
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains("# HELP haproxy_frontend_http_requests_total Total number of HTTP requests processed by this object since the worker process started"))
        #expect(lines.contains("# TYPE haproxy_frontend_http_requests_total counter"))
        #expect(lines.contains("haproxy_frontend_http_requests_total{proxy=\"F\"} 2"))
        #expect(lines.contains("haproxy_frontend_http_responses_total{proxy=\"F\",code=\"2xx\"} 1"))
        #expect(lines.contains("haproxy_frontend_current_sessions{proxy=\"F\"} 0"))
        #expect(lines.contains("haproxy_server_bytes_in_total{proxy=\"B\",server=\"A\"} 83"))
        #expect(lines.contains("haproxy_server_status{proxy=\"B\",server=\"A\",state=\"UP\"} 1"))
        #expect(lines.contains("haproxy_server_status{proxy=\"B\",server=\"Z\",state=\"DOWN\"} 1"))
        #expect(lines.contains("haproxy_server_check_status{proxy=\"B\",server=\"Z\",state=\"L4CON\"} 1"))
        #expect(lines.contains("haproxy_server_check_duration_seconds{proxy=\"B\",server=\"A\"} 0.000000"))
        #expect(lines.contains("haproxy_server_check_failures_total{proxy=\"TB\",server=\"A\"} NaN"))
        #expect(lines.contains("haproxy_backend_active_servers{proxy=\"B\"} 1"))
        #expect(lines.contains("haproxy_backend_limit_sessions{proxy=\"B\"} 999"))
        // Each metric's HELP appears exactly once.
        #expect(text.ranges(of: "# HELP haproxy_server_status ").count == 1)
    }
}

@Suite struct StatsMonitorURITests {
    func matches(_ target: String, _ uri: String) -> Bool {
        Array(target.utf8).withUnsafeBytes { t in Array(uri.utf8).withUnsafeBytes { u in MonitorURI.matches(target: t, uri: u) } }
    }

    @Test func exactMatchOnly() {
        #expect(matches("/site_status", "/site_status"))
        #expect(!matches("/site_status?x=1", "/site_status"))
        #expect(!matches("/site_statusX", "/site_status"))
        #expect(!matches("/SITE_STATUS", "/site_status"))
    }

    @Test func bodyLengthMatchesHeader() {
        // Captured: `content-length: 58` and the 58-byte body.
        let text = String(decoding: MonitorURI.keepAlive, as: UTF8.self)
        let body = text.split(separator: "\r\n\r\n", maxSplits: 1)[1]
        #expect(body.utf8.count == 58)
        #expect(String(decoding: MonitorURI.closing, as: UTF8.self).contains("content-type: text/html\r\nconnection: close\r\n\r\n"))
    }
}
