import Testing
@testable import Proxy

@Suite struct RoutingTests {
    /// The seed configuration's frontend: four unanchored, case-insensitive Host regexes.
    static func seedRouter(defaultBackend: String? = nil) throws -> Router {
        var fe = ProxyConfig(kind: .frontend, name: "WEB_SITE", location: testLoc)
        let names = ["COOKIE": "cookie", "SOURCE": "sourceip", "APPSESSION": "appsession", "NOSESSION": "nosession"]
        for acl in ["COOKIE", "SOURCE", "APPSESSION", "NOSESSION"] {
            fe.acls.append(AclDefinition(name: acl, fetch: .header("host"), match: .regex, ignoreCase: true,
                                         patterns: ["^(\(names[acl]!).9ai9.net)"], location: testLoc))
            fe.useBackends.append(BackendSwitchRule(backend: "\(acl)_srv",
                condition: Condition(alternatives: [[.init(acl: acl, negated: false)]]), location: testLoc))
        }
        fe.defaultBackend = defaultBackend
        let backends = ["COOKIE_srv", "SOURCE_srv", "APPSESSION_srv", "NOSESSION_srv", "ai_server"]
        return try Router(frontend: fe) { backends.firstIndex(of: $0) }
    }

    func route(_ r: Router, _ headers: String...) -> Int? {
        let t = testRequest("GET / HTTP/1.1\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n")
        return r.select(request: t.head, clientAddress: .v4(0x7F000001))
    }

    @Test func trickyHosts() throws {
        let r = try Self.seedRouter()
        #expect(route(r, "Host: cookie.9ai9.net") == 0)
        #expect(route(r, "Host: COOKIE.9AI9.NET") == 0)
        #expect(route(r, "Host: cookie.9ai9.net:8080") == 0)
        #expect(route(r, "Host: cookieX9ai9Ynet") == 0)            // unescaped dots
        #expect(route(r, "Host: cookie.9ai9.net.evil.com") == 0)  // no `$`
        #expect(route(r, "Host: www.cookie.9ai9.net") == nil)     // anchored at the start
        #expect(route(r, "Host:    cookie.9ai9.net") == 0)
        #expect(route(r, "Host: foo, cookie.9ai9.net") == 0)      // second comma value
        #expect(route(r, "Host: foo", "Host: sourceip.9ai9.net") == 1)  // every occurrence (1.4)
        #expect(route(r, "Host: appsession.9ai9.net") == 2)
        #expect(route(r, "Host: nosession.9ai9.net") == 3)
        #expect(route(r, "Host: www.example.com") == nil)
        #expect(route(r, "Accept: */*") == nil)                   // no Host → 503
    }

    @Test func defaultBackendAndUnless() throws {
        let r = try Self.seedRouter(defaultBackend: "ai_server")
        #expect(route(r, "Host: other") == 4)
        #expect(route(r) == 4)
        var fe = ProxyConfig(kind: .frontend, name: "F", location: testLoc)
        fe.acls = [AclDefinition(name: "API", fetch: .path, match: .beginning, ignoreCase: false, patterns: ["/api"], location: testLoc)]
        fe.useBackends = [BackendSwitchRule(backend: "web", condition: Condition(unless: true, alternatives: [[.init(acl: "API", negated: false)]]), location: testLoc)]
        fe.defaultBackend = "api"
        let r2 = try Router(frontend: fe) { ["web", "api"].firstIndex(of: $0) }
        func sel(_ target: String) -> Int? {
            let t = get(target: target)   // keeps the bytes alive during select
            return r2.select(request: t.head, clientAddress: .none)
        }
        #expect(sel("/api/x?y") == 1)
        #expect(sel("/index") == 0)
        #expect(sel("http://h/api/v1") == 1)
    }

    func acl(_ fetch: AclFetch, _ m: AclMatch, _ p: [String], ic: Bool = false) throws -> Router {
        var fe = ProxyConfig(kind: .frontend, name: "F", location: testLoc)
        fe.acls = [AclDefinition(name: "A", fetch: fetch, match: m, ignoreCase: ic, patterns: p, location: testLoc)]
        return try Router(frontend: fe) { _ in 0 }
    }

    @Test func matchMethods() throws {
        let h = get("Host: www.Example.com:80", "X-Len: abcd", "X-IP: 10.1.2.3", target: "/a/b.php?x=1")
        func eval(_ r: Router, client: ClientAddress = .v4(0x7F000001)) -> Bool { r.evaluate(acl: "A", request: h.head, clientAddress: client)! }
        #expect(eval(try acl(.header("host"), .exact, ["www.example.com:80"], ic: true)))
        #expect(!eval(try acl(.header("host"), .exact, ["www.example.com:80"])))
        #expect(eval(try acl(.header("host"), .beginning, ["www.Ex"])))
        #expect(eval(try acl(.header("host"), .ending, [":80"])))
        #expect(eval(try acl(.header("host"), .substring, ["ample"])))
        #expect(eval(try acl(.header("host"), .domain, ["example"], ic: true)))
        #expect(!eval(try acl(.header("host"), .domain, ["exam"], ic: true)))
        #expect(eval(try acl(.header("x-len"), .length, ["3:5"])))
        #expect(!eval(try acl(.header("x-len"), .length, ["5"])))
        #expect(eval(try acl(.header("x-len"), .found, [])))
        #expect(!eval(try acl(.header("x-missing"), .found, [])))
        #expect(eval(try acl(.header("x-ip"), .ip, ["10.0.0.0/8"])))
        #expect(!eval(try acl(.header("x-ip"), .ip, ["10.2.0.0/16"])))
        #expect(eval(try acl(.source, .ip, ["127.0.0.0/8"])))
        #expect(!eval(try acl(.source, .ip, ["127.0.0.0/8"]), client: .v4(0x0A000001)))
        #expect(eval(try acl(.path, .ending, [".php"])))
        #expect(eval(try acl(.url, .ending, ["?x=1"])))
        #expect(eval(try acl(.method, .exact, ["GET"])))
        #expect(eval(try acl(.path, .regex, ["^/a/.*\\.php$"])))
        #expect(throws: (any Error).self) { try acl(.path, .regex, ["("]) }
    }
}

/// `use-server` and the `[BACKEND/]SERVER` argument of srv_conn / srv_sess_rate / srv_is_up:
/// what the parser keeps and HAProxy's refusals.
@Suite struct UseServerConfigTests {
    @Test func rulesAreKeptInOrder() throws {
        let c = try #require(ConfigTestSupport.parse(ConfigTestSupport.backend("""
             use-server s2 if { path_beg /two }
             use-server s1 unless { srv_is_up(s2) }
             server s1 127.0.0.1:81
             server s2 127.0.0.1:82
            """)))
        let b = try #require(c.proxies.first { $0.name == "b" })
        #expect(b.useServers.map(\.server) == ["s2", "s1"])
        #expect(b.useServers[1].condition.unless)
    }

    @Test func anUnknownServerOrAMissingConditionIsRefused() {
        let unknown = ConfigTestSupport.errors(ConfigTestSupport.backend(" use-server s9 if TRUE\n server s1 127.0.0.1:81"))
        #expect(unknown.map(\.message) == ["backend 'b' : unable to find server 's9' referenced in a 'use-server' rule."])
        let bare = ConfigTestSupport.errors(ConfigTestSupport.backend(" use-server s1\n server s1 127.0.0.1:81"))
        #expect(bare.map(\.message) == ["'use-server' requires either 'if' or 'unless' followed by a condition."])
        let fetch = ConfigTestSupport.errors(ConfigTestSupport.frontend(" acl busy srv_conn(b/s9) gt 1"))
        #expect(fetch.map(\.message) == ["unable to find server 's9' in proxy 'b'"])
        #expect(fetch.first?.line == 5)
    }
}
