import Testing
@testable import Proxy

/// One test per keyword family: the line parses into the model fields it should.
@Suite struct ConfigKeywordTests {
    typealias S = ConfigTestSupport

    func backend(_ body: String) -> ProxyConfig? { S.parse(S.backend(body))?.proxy(named: "b") }
    func frontend(_ body: String) -> ProxyConfig? { S.parse(S.frontend(body))?.proxy(named: "f") }

    @Test func globalKeywords() throws {
        let c = try #require(S.parse("""
            global
                log 10.0.0.1:1514 local3 warning notice
                log /dev/log daemon
                log-tag rp
                maxconn 100
                user u
                group g
                daemon
                nbthread 4
                pidfile /tmp/p.pid
            """))
        #expect(c.global.loggers.count == 2)
        let l = c.global.loggers[0]
        #expect(l.host == "10.0.0.1" && l.port == 1514 && l.facility == 19 && l.maxLevel == 4 && l.minLevel == 5)
        #expect(c.global.loggers[1].socketPath == "/dev/log" && c.global.loggers[1].facility == 3)
        #expect(c.global.logTag == "rp" && c.global.maxconn == 100 && c.global.nbthread == 4)
        #expect(c.global.user == "u" && c.global.group == "g" && c.global.daemon && c.global.pidfile == "/tmp/p.pid")
        #expect(c.notes.isEmpty)
    }

    @Test func ignoredKeywordsWarn() throws {
        // (`stats socket` is the runtime API's: no warning.)
        let c = try #require(S.parse("global\n chroot /var/lib/haproxy\n stats socket /run/h.sock mode 660\n ulimit-n 100\n tune.ssl.default-dh-param 2048\n spread-checks 5\n"))
        #expect(c.warnings.count == 4)
        #expect(c.warnings.allSatisfy { $0.contains("ignored") })
        #expect(c.warnings[2].hasPrefix("t.cfg:5:"))
        #expect(c.global.statsSockets.map(\.address) == [.unixPath("/run/h.sock")])
    }

    @Test func modeBindMaxconn() throws {
        let f = try #require(frontend(" mode tcp\n bind 127.0.0.1:81,:82\n bind [::1]:83\n bind *:9000-9002\n maxconn 7"))
        #expect(f.mode == .tcp && f.maxconn == 7)
        #expect(f.binds.map { "\($0.host)|\($0.port)" } == ["|8080", "127.0.0.1|81", "|82", "::1|83", "*|9000", "*|9001", "*|9002"])
    }

    @Test func timeouts() throws {
        let text = """
            defaults
                timeout connect 5s
                timeout client 30s
                timeout server 1m
                timeout queue 2s
                timeout check 3s
                timeout http-request 10s
                timeout http-keep-alive 1s
                timeout tunnel 1h
            listen l
                bind :80
            """
        let t = try #require(S.parse(text)?.proxy(named: "l")?.timeouts)
        #expect(t.connect == 5000 && t.client == 30000 && t.server == 60000 && t.queue == 2000)
        #expect(t.check == 3000 && t.httpRequest == 10000 && t.httpKeepAlive == 1000 && t.tunnel == 3_600_000)
    }

    @Test func legacyTimeoutsMapAndNote() throws {
        let c = try #require(S.parse("defaults\n contimeout 5000\n clitimeout 2s\n srvtimeout 30000\nlisten l\n bind :80\n"))
        let t = try #require(c.proxy(named: "l")?.timeouts)
        #expect(t.connect == 5000 && t.client == 2000 && t.server == 30000)
        #expect(c.notes == [
            "t.cfg:2: 'contimeout 5000' is legacy (fatal since HAProxy 2.1); HAProxy 2.x spells it 'timeout connect 5000'",
            "t.cfg:3: 'clitimeout 2s' is legacy (fatal since HAProxy 2.1); HAProxy 2.x spells it 'timeout client 2s'",
            "t.cfg:4: 'srvtimeout 30000' is legacy (fatal since HAProxy 2.1); HAProxy 2.x spells it 'timeout server 30000'",
        ])
    }

    @Test func retriesAndOptions() throws {
        let b = try #require(backend(" retries 5\n option redispatch\n option abortonclose\n option httpchk GET /health HTTP/1.1\n http-reuse safe\n option forwardfor except 127.0.0.0/8 header X-Real-IP if-none"))
        #expect(b.retries == 5 && b.redispatch && b.abortOnClose && b.httpReuse == "safe")
        var chk = HTTPCheckSend(); chk.method = "GET"; chk.uri = CheckFormat(literal: "/health"); chk.version = "HTTP/1.1"; chk.fromOption = true
        #expect(b.checks.kind == .http && b.checks.httpRules.map(\.action) == [.send(.http(chk))])
        var ff = ForwardForConfig(); ff.exceptNetwork = "127.0.0.0/8"; ff.header = "X-Real-IP"; ff.ifNone = true
        #expect(b.forwardFor == ff)
        func send(_ b: ProxyConfig?) -> HTTPCheckSend? {
            guard case .send(.http(let s))? = b?.checks.httpRules.first?.action else { return nil }
            return s
        }
        #expect(send(backend(" option httpchk")).map { $0.method == nil && $0.uri == nil && $0.version == nil } == true)
        #expect(send(backend(" option httpchk /ping"))?.uri == CheckFormat(literal: "/ping"))
        #expect(send(backend(" option httpchk HEAD /ping"))?.method == "HEAD")
    }

    @Test func connectionModesAndLogging() throws {
        #expect(frontend(" option httpclose")?.connectionMode == .close)
        #expect(frontend(" option http-server-close")?.connectionMode == .serverClose)
        #expect(frontend(" option httpclose\n option http-keep-alive")?.connectionMode == .keepAlive)
        let c = try #require(S.parse(S.frontend(" option forceclose\n option dontlognull\n option httplog")))
        #expect(c.proxy(named: "f")?.connectionMode == .close)
        #expect(c.proxy(named: "f")?.dontLogNull == true && c.proxy(named: "f")?.httpLog == true)
        #expect(c.notes.count == 1 && c.notes[0].contains("'option httpclose'"))
    }

    @Test func noOptionCancelsDefaults() throws {
        let text = "defaults\n option httplog\n option redispatch\n option forwardfor\nlisten l\n bind :80\n no option httplog\n no option redispatch\n no option forwardfor\n"
        let l = try #require(S.parse(text)?.proxy(named: "l"))
        #expect(!l.httpLog && !l.redispatch && l.forwardFor == nil)
    }

    @Test func balanceAlgorithms() {
        #expect(backend(" balance roundrobin")?.balance == .roundRobin)
        #expect(backend(" balance static-rr")?.balance == .staticRoundRobin)
        #expect(backend(" balance leastconn")?.balance == .leastConn)
        #expect(backend(" balance source")?.balance == .source)
        #expect(backend(" balance uri")?.balance == .uri)
        #expect(backend(" balance url_param sid")?.balance == .urlParam("sid"))
        #expect(backend(" balance hdr(Host)")?.balance == .header("host"))
        #expect(backend("")?.balance == .roundRobin)
        #expect(backend(" hash-type consistent")?.hashType == .consistent)
        #expect(backend(" hash-type map-based")?.hashType == .mapBased)
    }

    @Test func serverOptions() throws {
        let b = try #require(backend(" cookie C\n server a 10.0.0.1:8080 check inter 2s fastinter 500 downinter 10s rise 4 fall 5 weight 20 cookie x1 maxconn 30 backup disabled port 9000 addr 10.0.0.2 slowstart 1m\n server b2 host.example:81\n server c 10.0.0.3"))
        let s = b.servers[0]
        #expect(s.host == "10.0.0.1" && s.port == 8080 && s.check && s.inter == 2000 && s.fastinter == 500 && s.downinter == 10000)
        #expect(s.rise == 4 && s.fall == 5 && s.weight == 20 && s.cookie == "x1" && s.maxconn == 30)
        #expect(s.backup && s.disabled && s.checkPort == 9000 && s.checkAddr == "10.0.0.2" && s.slowstart == 60000)
        #expect(b.servers[1].host == "host.example" && b.servers[1].port == 81)
        #expect(b.servers[2].port == 0 && !b.servers[2].check && b.servers[2].inter == 2000 && b.servers[2].weight == 1)
    }

    @Test func defaultServer() throws {
        let b = try #require(backend(" default-server inter 3s fall 2\n server a 10.0.0.1:80 check fall 9"))
        #expect(b.servers[0].inter == 3000 && b.servers[0].fall == 9 && b.servers[0].check)
    }

    @Test func cookieOptions() throws {
        let b = try #require(backend(" cookie SRV insert indirect nocache postonly preserve httponly secure domain .a.com domain .b.com maxidle 30m maxlife 8h attr SameSite=Lax"))
        var c = CookieConfig(name: "SRV")
        c.mode = .insert; c.indirect = true; c.nocache = true; c.postonly = true; c.preserve = true
        c.httponly = true; c.secure = true; c.domains = [".a.com", ".b.com"]; c.maxidle = 1_800_000; c.maxlife = 28_800_000
        c.attrs = ["SameSite=Lax"]
        #expect(b.cookie == c)
        #expect(backend(" cookie S rewrite")?.cookie?.mode == .rewrite)
        #expect(backend(" cookie S prefix")?.cookie?.mode == .prefix)
        #expect(backend(" cookie S")?.cookie?.mode == .passive)
    }

    @Test func appsessionOptions() throws {
        let c = try #require(S.parse(S.backend(" appsession JSESSIONID len 52 timeout 3h prefix mode query-string")))
        let a = try #require(c.proxy(named: "b")?.appSession)
        #expect(a.cookieName == "JSESSIONID" && a.length == 52 && a.timeout == 10_800_000 && a.prefix && !a.requestLearn)
        #expect(a.mode == .queryString)
        #expect(c.notes.count == 1)
        #expect(c.notes[0] == "t.cfg:4: 'appsession JSESSIONID len 52 timeout 3h prefix mode query-string' is legacy (removed in HAProxy 1.6); HAProxy 2.x spells it 'stick-table type string len 52 size 1m expire 3h' + 'stick match req.cook(JSESSIONID)' + 'stick match urlp(JSESSIONID)' + 'stick store-response res.cook(JSESSIONID)'")
    }

    @Test func stickTablesAndRules() throws {
        let b = try #require(backend("""
             acl api path_beg /api
             stick-table type ip size 200k expire 30m
             stick on src
             stick match req.cook(SID) table b if api
             stick store-request url_param(sid)
             stick store-response res.cook(SID)
            """))
        var t = StickTableConfig(); t.type = "ip"; t.size = 204_800; t.expire = 1_800_000
        #expect(b.stickTable == t)
        // `table NAME` must name an existing table (HAProxy: "unable to find stick-table").
        var match = StickRule(kind: .match, fetch: .requestCookie("SID")); match.table = "b"
        match.condition = Condition(alternatives: [[.init(acl: "api", negated: false)]])
        #expect(b.stickRules == [StickRule(kind: .on, fetch: .source), match,
                                 StickRule(kind: .storeRequest, fetch: .urlParam("sid", delimiter: nil)),
                                 StickRule(kind: .storeResponse, fetch: .responseCookie("SID"))])
    }

    @Test func aclFetchesAndMatches() throws {
        let f = try #require(frontend("""
             acl a hdr(host) -i example.com
             acl b hdr_beg(host) www.
             acl c hdr_end(host) .com
             acl d hdr_sub(user-agent) bot
             acl e hdr_dom(host) example.com
             acl g path /x
             acl h path_beg /static /img
             acl i path_end .jpg
             acl j path_reg ^/a+$
             acl k src 10.0.0.0/8 192.168.1.1
             acl l method GET HEAD
             acl m req.hdr(x-id) -m found
             acl n hdr(host) -m beg api.
             acl o url_beg -- -dash
             acl p hdr_reg(host) -i ^(cookie.9ai9.net)
             acl q path -m len 3
            """))
        func acl(_ n: String) -> AclDefinition? { f.acls.first { $0.name == n } }
        #expect(acl("a")?.fetch == .header("host") && acl("a")?.match == .exact && acl("a")?.ignoreCase == true)
        #expect(acl("b")?.match == .beginning && acl("c")?.match == .ending && acl("d")?.match == .substring)
        #expect(acl("d")?.fetch == .header("user-agent") && acl("e")?.match == .domain)
        #expect(acl("g")?.fetch == .path && acl("g")?.match == .exact)
        #expect(acl("h")?.match == .beginning && acl("h")?.patterns == ["/static", "/img"])
        #expect(acl("i")?.match == .ending && acl("j")?.match == .regex)
        #expect(acl("k")?.fetch == .source && acl("k")?.match == .ip && acl("k")?.patterns.count == 2)
        #expect(acl("l")?.fetch == .method && acl("l")?.patterns == ["GET", "HEAD"])
        #expect(acl("m")?.match == .found && acl("m")?.patterns == [])
        #expect(acl("n")?.match == .beginning)
        #expect(acl("o")?.fetch == .url && acl("o")?.patterns == ["-dash"])
        #expect(acl("p")?.match == .regex && acl("q")?.match == .length)
    }

    @Test func conditions() throws {
        let f = try #require(frontend("""
             acl a path /a
             acl b path /b
             acl c path /c
             use_backend b if a b or !c || ! a
             use_backend b unless a
             use_backend b if { hdr(host) -i x.com } !b
             use_backend b if TRUE
             use_backend b if !FALSE METH_GET
             use_backend b
             default_backend b
            """))
        let r = f.useBackends
        #expect(r[0].condition == Condition(alternatives: [[.init(acl: "a", negated: false), .init(acl: "b", negated: false)],
                                                          [.init(acl: "c", negated: true)], [.init(acl: "a", negated: true)]]))
        #expect(r[1].condition == Condition(unless: true, alternatives: [[.init(acl: "a", negated: false)]]))
        let anonymous = try #require(r[2].condition?.alternatives[0][0].acl)
        #expect(f.acls.first { $0.name == anonymous }?.fetch == .header("host"))
        #expect(r[2].condition?.alternatives[0][1] == .init(acl: "b", negated: true))
        #expect(r[3].condition == Condition(alternatives: [[.init(acl: "TRUE", negated: false)]]))
        #expect(r[4].condition == Condition(alternatives: [[.init(acl: "TRUE", negated: false), .init(acl: "METH_GET", negated: false)]]))
        #expect(f.acls.first { $0.name == "METH_GET" }?.patterns == ["GET", "HEAD"])
        #expect(r[5].condition == nil && f.defaultBackend == "b")
    }

    @Test func statsKeywords() throws {
        let text = """
            listen l
                bind :80
                acl local src 127.0.0.1
                stats enable
                stats uri /st
                stats realm "My Stats"
                stats auth a:b
                stats auth c:d:e
                stats refresh 10s
                stats hide-version
                stats show-legends
                stats admin if local
                monitor-uri /health
            """
        let l = try #require(S.parse(text)?.proxy(named: "l"))
        #expect(l.stats.enabled && l.stats.uri == "/st" && l.stats.realm == "My Stats" && l.stats.refresh == 10000)
        #expect(l.stats.auths.map { $0.user + "=" + $0.password } == ["a=b", "c=d:e"])
        #expect(l.stats.hideVersion && l.stats.showLegends)
        #expect(l.stats.adminCondition == Condition(alternatives: [[.init(acl: "local", negated: false)]]))
        #expect(l.monitorURI == "/health")
        #expect(frontend(" stats enable")?.stats.uri == "/haproxy?stats")
        #expect(frontend("")?.stats.enabled == false)
    }

    @Test func prometheusBothSpellings() throws {
        let a = try #require(frontend(" http-request use-service prometheus-exporter if { path /metrics }"))
        let b = try #require(frontend(" stats prometheus-uri /metrics"))
        #expect(a.prometheusURI == "/metrics" && b.prometheusURI == "/metrics")
        #expect(a.prometheus != nil && a.prometheus == b.prometheus)
        let acl = try #require(a.acls.first { $0.name == a.prometheus?.alternatives[0][0].acl })
        #expect(acl.fetch == .path && acl.match == .exact && acl.patterns == ["/metrics"])
        let always = try #require(frontend(" http-request use-service prometheus-exporter"))
        #expect(always.prometheus == Condition(alternatives: [[.init(acl: "TRUE", negated: false)]]) && always.prometheusURI == nil)
    }

    @Test func logInProxies() throws {
        let f = try #require(frontend(" log global\n log 127.0.0.1 local0 err"))
        #expect(f.loggers.count == 2 && f.loggers[0].isGlobal && f.loggers[1].maxLevel == 3 && f.loggers[1].port == 514)
    }
}

@Suite struct ConfigAclMatchMethodTests {
    @Test(arguments: [("str", AclMatch.exact, "x"), ("beg", .beginning, "x"), ("end", .ending, "x"), ("sub", .substring, "x"),
                      ("reg", .regex, "^x$"), ("dom", .domain, "x.com"), ("found", .found, ""), ("len", .length, "3"), ("ip", .ip, "10.0.0.0/8")])
    func explicitMatchMethod(_ method: String, _ expected: AclMatch, _ pattern: String) throws {
        let config = ConfigTestSupport.parse(ConfigTestSupport.frontend(" acl a hdr(x-test) -m \(method) \(pattern)"))
        let acl = try #require(config?.proxy(named: "f")?.acls.first)
        #expect(acl.match == expected && acl.fetch == .header("x-test"))
        #expect(acl.patterns == (pattern.isEmpty ? [] : [pattern]))
    }

    @Test func invalidPatternsForTheMethod() {
        #expect(ConfigTestSupport.errors(ConfigTestSupport.frontend(" acl a src 10.0.0.300")).first?.message.contains("invalid address '10.0.0.300'") == true)
        #expect(ConfigTestSupport.errors(ConfigTestSupport.frontend(" acl a path -m len x")).first?.message.contains("invalid length 'x'") == true)
        #expect(ConfigTestSupport.errors(ConfigTestSupport.frontend(" acl a path -m nope x")).first?.message.contains("unknown match method 'nope'") == true)
    }
}

@Suite struct ConfigHttpCheckIdiomTests {
    /// The HAProxy 1.4 idiom that smuggles a Host header into the version argument with escapes.
    @Test func versionMayCarryExtraHeaderLines() throws {
        let b = ConfigTestSupport.parse(ConfigTestSupport.backend(#" option httpchk HEAD /check.txt HTTP/1.1\r\nHost:\ www.example.com"#))
        guard case .send(.http(let check))? = b?.proxy(named: "b")?.checks.httpRules.first?.action else {
            Issue.record("no HTTP check request"); return
        }
        #expect(check.method == "HEAD" && check.uri == CheckFormat(literal: "/check.txt"))
        #expect(check.version == "HTTP/1.1" && check.headers == [.init(name: "Host", value: CheckFormat(literal: "www.example.com"))])
        #expect(b?.warnings.contains { $0.contains("hiding headers or body at the end of the version string is deprecated") } == true)
    }
}
