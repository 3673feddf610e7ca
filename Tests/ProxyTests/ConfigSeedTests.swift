import Testing
@testable import Proxy

/// The three reference configurations of the spec.
@Suite struct ConfigSeedTests {
    func load(_ name: String) throws -> Configuration {
        try ConfigParser.load(paths: [ConfigTestSupport.fixture(name)])
    }

    @Test func seedIsValidWithFiveLegacyNotes() throws {
        let config = try load("seed.cfg")
        #expect(config.notes.count == 5)
        let expected = [(7, "nbproc 1", "nbthread 1"), (12, "contimeout 5000", "timeout connect 5000"),
                        (13, "clitimeout 30000", "timeout client 30000"), (14, "srvtimeout 30000", "timeout server 30000"),
                        (60, "appsession 9ai9 len 64", "stick on req.cook(9ai9)")]
        for (note, (line, legacy, modern)) in zip(config.notes, expected) {
            #expect(note.contains("seed.cfg:\(line): '\(legacy)"), "\(note)")
            #expect(note.contains(modern), "\(note)")
        }
        #expect(!config.warnings.contains { $0.contains("U+00A0") })
    }

    @Test func seedModel() throws {
        let config = try load("seed.cfg")
        #expect(config.global.maxconn == 4096)
        #expect(config.global.user == "haproxy" && config.global.group == "haproxy")
        #expect(config.global.daemon && config.global.nbproc == 1)
        #expect(config.global.pidfile == "/var/run/haproxy.pid")
        #expect(config.global.loggers.count == 1 && config.global.loggers[0].facility == 16 && config.global.loggers[0].maxLevel == 6)
        #expect(config.proxies.map(\.name) == ["admin_stats", "site_status", "WEB_SITE", "COOKIE_srv", "SOURCE_srv",
                                               "APPSESSION_srv", "NOSESSION_srv", "ai_server"])
        let admin = try #require(config.proxy(named: "admin_stats"))
        #expect(admin.kind == .listen)
        #expect(admin.binds == [BindConfig(host: "113.106.185.245", port: 443, location: admin.binds[0].location)])
        #expect(admin.stats.enabled && admin.stats.uri == "/qhappy_stats" && admin.stats.realm == "9ai9.net Qhappy")
        #expect(admin.stats.auths.map { "\($0.user)/\($0.password)" } == ["qhappy/qhappy"])
        #expect(admin.stats.refresh == 5000)
        #expect(admin.loggers.count == 1 && admin.loggers[0].maxLevel == 3)
        // listen inherits both sides of the defaults
        #expect(admin.timeouts.connect == 5000 && admin.timeouts.client == 30000 && admin.timeouts.server == 30000)
        #expect(admin.maxconn == 2000 && admin.redispatch && admin.abortOnClose && admin.httpLog && admin.retries == 3)
        #expect(config.proxy(named: "site_status")?.monitorURI == "/site_status")

        let web = try #require(config.proxy(named: "WEB_SITE"))
        #expect(web.loggers == [{ var l = LoggerConfig(); l.isGlobal = true; return l }()])
        #expect(web.connectionMode == .close && web.forwardFor == ForwardForConfig())
        #expect(web.acls.map(\.name) == ["COOKIE", "SOURCE", "APPSESSION", "NOSESSION"])
        #expect(web.acls[0].fetch == .header("host") && web.acls[0].match == .regex && web.acls[0].ignoreCase)
        #expect(web.acls[0].patterns == ["^(cookie.9ai9.net)"])
        #expect(web.useBackends.map(\.backend) == ["COOKIE_srv", "SOURCE_srv", "APPSESSION_srv", "NOSESSION_srv"])
        #expect(web.useBackends[0].condition == Condition(alternatives: [[.init(acl: "COOKIE", negated: false)]]))
        #expect(web.defaultBackend == nil)

        let cookie = try #require(config.proxy(named: "COOKIE_srv"))
        var expectedCookie = CookieConfig(name: "SESSION_COOKIE")
        expectedCookie.mode = .insert; expectedCookie.indirect = true; expectedCookie.nocache = true
        #expect(cookie.cookie == expectedCookie)
        #expect(cookie.servers.count == 2)
        let s = cookie.servers[0]
        #expect(s.name == "REALsrv_70" && s.host == "184.82.239.70" && s.port == 80 && s.cookie == "11")
        #expect(s.check && s.inter == 1500 && s.rise == 3 && s.fall == 3 && s.weight == 1)
        #expect(config.proxy(named: "SOURCE_srv")?.balance == .source)
        let app = try #require(config.proxy(named: "APPSESSION_srv")?.appSession)
        #expect(app.cookieName == "9ai9" && app.length == 64 && app.timeout == 18_000_000 && app.requestLearn)
        #expect(config.proxy(named: "ai_server")?.cookie?.mode == .passive)
    }

    @Test func haproxy26SeedIsValidWithoutNotes() throws {
        let config = try load("seed-haproxy26.cfg")
        #expect(config.notes.isEmpty)
        #expect(config.warnings.isEmpty)
        let app = try #require(config.proxy(named: "APPSESSION_srv"))
        var table = StickTableConfig(); table.length = 64; table.size = 1 << 20; table.expire = 18_000_000
        #expect(app.stickTable == table)
        #expect(app.stickRules == [StickRule(kind: .on, fetch: .requestCookie("9ai9")),
                                   StickRule(kind: .on, fetch: .urlParam("9ai9", delimiter: ";")),
                                   StickRule(kind: .storeResponse, fetch: .responseCookie("9ai9"))])
        #expect(config.global.loggers[0].port == 514)
        #expect(config.proxy(named: "admin_stats")?.stats.realm == "9ai9.net Qhappy")
        #expect(config.proxy(named: "COOKIE_srv")?.timeouts.connect == 5000)
    }

    @Test func asPublishedSeedParsesWithOneNoBreakSpaceWarning() throws {
        let config = try load("seed-as-published.cfg")
        let nbsp = config.warnings.filter { $0.contains("U+00A0") }
        #expect(nbsp.count == 1)
        #expect(nbsp.first?.contains("seed-as-published.cfg:1:") == true)
        #expect(config.notes.count == 5)
        // Same model as the clean file.
        let clean = try load("seed.cfg")
        #expect(config.proxies.map(\.name) == clean.proxies.map(\.name))
        #expect(config.proxy(named: "admin_stats")?.stats == clean.proxy(named: "admin_stats")?.stats)
        #expect(config.proxy(named: "COOKIE_srv")?.servers.map(\.cookie) == ["11", "12"])
    }

    @Test func noBreakSpaceWarningNamesTheFirstLineWhereItOccurs() {
        let text = "global\n maxconn 10\n daemon\u{A0}\n pidfile\u{A0}/x\n"
        let config = ConfigTestSupport.parse(text)
        #expect(config?.warnings.filter { $0.contains("U+00A0") } == [
            "t.cfg:3: U+00A0 (no-break space) found, first on this line; treated as a blank space everywhere outside quotes (HAProxy rejects such lines)"])
    }
}
