// http-request actions side by side with HAProxy 2.6.12: the same configuration and the same
// raw requests through both, comparing the answers (byte for byte when the proxy makes them),
// the requests the backend receives and the log lines.
import Foundation
import Testing

private let haproxyInstalled = HAProxyProcess.isInstalled

/// A frontend with logging, its rules, and a backend.
func rulesConfig(_ frontend: String, backend: String = "", global: String = "") -> String {
    """
    global
        log @LOG@ local0
    \(global)
    defaults
        mode http
        log global
        option httplog
        timeout connect 2s
        timeout client 5s
        timeout server 5s
    frontend fe
        bind 127.0.0.1:@FRONT@
    \(frontend.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
        default_backend be
    backend be
    \(backend.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
        server s1 @BACK@
    """
}

@Suite(.serialized) struct RulesRequestTests {
    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func denyAndItsReplies() throws {
        let config = rulesConfig("""
        http-request deny if { path /deny }
        http-request deny deny_status 404 if { path /d404 }
        http-request deny deny_status 400 if { path /d400 }
        http-request deny deny_status 429 if { path_beg /d429 }
        http-request deny status 418 content-type text/plain string "nope" hdr x-a b hdr x-path "%[path]" if { path /str }
        http-request deny status 500 content-type text/plain lf-string "path=%[path] q=%[query]" if { path /lf }
        http-request deny status 403 if { path /empty }
        """)
        try RuleDifferential.compare("deny", config, [
            .get("/deny", exact: true), .get("/d404", exact: true), .get("/d400", exact: true), .get("/d429?x", exact: true),
            .get("/str", exact: true), .get("/lf?a=b", exact: true), .get("/empty", exact: true), .get("/pass"),
            RuleExchange("GET /deny HTTP/1.0\r\n\r\n", exact: true),
            RuleExchange("GET /deny HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", exact: true),
            RuleExchange("GET /deny HTTP/1.1\r\nConnection: close\r\n\r\n", exact: true),
        ])
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func returnReplies() throws {
        let dir = try ConfigFiles.directory(["body.txt": "file body\n", "lf.txt": "path is %[path]\n"])
        let config = rulesConfig("""
        http-request return if { path /r0 }
        http-request return status 201 if { path /r1 }
        http-request return status 200 content-type text/plain string hello hdr X-Custom "%[url]" if { path /r2 }
        http-request return content-type "text/html" lf-string "<p>%[path]</p>" if { path /r3 }
        http-request return content-type text/plain file \(dir)/body.txt if { path /r4 }
        http-request return content-type text/plain lf-file \(dir)/lf.txt if { path /r5 }
        http-request return status 503 default-errorfiles if { path /r6 }
        http-request return content-type text/plain file /dev/null hdr x-e "%[path]" if { path /r7 }
        """)
        try RuleDifferential.compare("return", config, ["/r0", "/r1", "/r2?x", "/r3", "/r4", "/r5", "/r6", "/r7"].map { .get($0, exact: true) })
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func redirects() throws {
        let config = rulesConfig("""
        http-request redirect location /new if { path /l }
        http-request redirect location /new code 301 if { path /l301 }
        http-request redirect location /new code 303 if { path /l303 }
        http-request redirect location /new code 307 if { path /l307 }
        http-request redirect location /new code 308 if { path /l308 }
        http-request redirect location https://%[hdr(host)]%[url] if { path /dyn }
        http-request redirect prefix /p if { path_beg /pre }
        http-request redirect prefix /p drop-query append-slash if { path_beg /dq }
        http-request redirect prefix / if { path_beg /root }
        http-request redirect scheme https if { path_beg /sch }
        http-request redirect scheme https drop-query if { path_beg /sdq }
        http-request redirect location /c set-cookie SEEN=1 if { path /sc }
        http-request redirect location /c clear-cookie SEEN if { path /cc }
        http-request redirect location %[path,map_str(/nonexistent.map,)] ignore-empty if { path /ie }
        """, global: "")
        .replacingOccurrences(of: "%[path,map_str(/nonexistent.map,)]", with: "%[var(txn.nothing)]")
        try RuleDifferential.compare("redirect", config, [
            .get("/l", exact: true), .get("/l301", exact: true), .get("/l303", exact: true), .get("/l307", exact: true),
            .get("/l308", exact: true), .get("/dyn?q=1", exact: true), .get("/pre/a?b=c", exact: true),
            .get("/dq/a?b=c", exact: true), .get("/root/x?y", exact: true), .get("/sch/x?y", exact: true),
            .get("/sdq/x?y", exact: true), .get("/sc", exact: true), .get("/cc", exact: true), .get("/ie"),
            RuleExchange("POST /l HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n12345", exact: true),
        ])
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func legacyRedirectKeyword() throws {
        let config = rulesConfig("""
        redirect location /elsewhere code 301 if { path /old }
        redirect prefix / if { path_beg /keep }
        redirect prefix /x drop-query if { path_beg /drop }
        http-request set-header X-Before-Redirect yes
        """)
        try RuleDifferential.compare("redirect keyword", config, [.get("/old", exact: true), .get("/keep/a?b", exact: true), .get("/drop/a?b", exact: true), .get("/other")])
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func authWithUserlist() throws {
        let config = rulesConfig("""
        acl ok http_auth(users)
        acl admins http_auth_group(users) admin
        http-request auth realm "Private Area" if { path_beg /priv } !ok
        http-request auth if { path_beg /admin } !admins
        http-request set-header X-User %[http_auth_user] if ok
        """, global: """
        userlist users
            group admin users alice
            group staff
            user alice password $6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG.
            user bob password $5$abcdefgh$gruCpC7VkOTspMQTTSAR8mtlO9Upms.fwqE5y16JVM. groups staff
            user carol insecure-password plain groups staff
        """)
        func basic(_ u: String, _ p: String) -> String { "Authorization: Basic " + Data("\(u):\(p)".utf8).base64EncodedString() }
        try RuleDifferential.compare("auth", config, [
            .get("/priv", exact: true), .get("/priv", [basic("alice", "secret")]), .get("/priv", [basic("alice", "bad")], exact: true),
            .get("/priv", [basic("bob", "secret")]), .get("/priv", [basic("carol", "plain")]), .get("/admin", [basic("bob", "secret")], exact: true),
            .get("/admin", [basic("alice", "secret")]), .get("/admin", exact: true),
        ])
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func headerActions() throws {
        let config = rulesConfig("""
        http-request set-header X-Set "v=%[path]"
        http-request set-header X-Dup replaced
        http-request add-header X-Add one
        http-request add-header X-Add two
        http-request del-header X-Remove
        http-request del-header x-pre -m beg
        http-request del-header -suffix -m end
        http-request del-header mid -m sub
        http-request del-header ^x-re[0-9]$ -m reg
        http-request replace-header X-Rh (.*)-(.*) \\2-\\1
        http-request replace-value X-Rv ^a(.)$ <\\1>
        http-request set-header X-Copy "%[req.hdr(x-add)]|%[req.fhdr(x-list)]|%[req.hdr(x-list,1)]|%[req.hdr_cnt(x-list)]|%[req.fhdr_cnt(x-list)]"
        """)
        try RuleDifferential.compare("headers", config, [
            .get("/h?x", ["X-Dup: 1", "X-Dup: 2", "X-Remove: r", "X-Pre-1: a", "X-Pre-2: b", "Keep-suffix: k", "Mid-mid: m",
                           "X-Re1: 1", "X-Re12: 12", "X-Rh: left-right", "X-Rv: ab, ac,  xy ,ad", "X-List: a, b", "X-List: c"]),
        ])
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func requestLineActions() throws {
        let config = rulesConfig("""
        http-request set-method POST if { path /m }
        http-request set-path /newpath if { path /p }
        http-request set-path /x%[path] if { path_beg /pp }
        http-request set-query a=1&b=2 if { path /q }
        http-request set-uri /u?z=1 if { path /u }
        http-request set-uri http://other.host/abs if { path /abs }
        http-request set-pathq /pq?x=y if { path /pq }
        http-request replace-path ^/rp/(.*) /moved/\\1 if { path_beg /rp }
        http-request replace-pathq ^/rq/(.*) /movedq/\\1 if { path_beg /rq }
        http-request replace-uri ^/ru(.*) /uri\\1 if { path_beg /ru }
        http-request set-header X-After "%[method] %[url] %[path] %[query]"
        """)
        try RuleDifferential.compare("request line", config, [
            .get("/m?k=v"), .get("/p?k=v"), .get("/pp/y?k"), .get("/q?old=1"), .get("/u"),
            .get("/abs"), .get("/pq?o=1"), .get("/rp/a/b?k=1"), .get("/rq/a?k=1"), .get("/ru/x?y"),
            RuleExchange("GET http://test.local/p?k HTTP/1.1\r\nHost: test.local\r\n\r\n"),
        ])
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func variablesAndLogLevel() throws {
        let config = rulesConfig("""
        http-request set-var(txn.path) path
        http-request set-var(req.m) method
        http-request set-var(sess.first) path if { http_first_req }
        http-request set-var-fmt(txn.fmt) "%[path]-%[method]"
        http-request set-var(txn.num) int(41),add(1)
        http-request unset-var(txn.num) if { path /unset }
        http-request set-header X-Vars "%[var(txn.path)] %[var(req.m)] %[var(sess.first)] %[var(txn.fmt)] %[var(txn.num)] %[var(txn.nope,dflt)]"
        http-request set-log-level silent if { path /quiet }
        """)
        try RuleDifferential.compare("vars", config, [
            .get("/a"), RuleExchange("GET /b HTTP/1.1\r\nHost: h\r\n\r\n", reuse: true), .get("/unset"), .get("/quiet"),
        ], expectedLogs: 3)
    }
}

/// Files a test configuration refers to, in a fresh directory.
enum ConfigFiles {
    static func directory(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }
}

@Suite(.serialized) struct RulesStatsAndServiceTests {
    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func statsHTTPRequestRules() throws {
        let config = rulesConfig("""
        stats enable
        stats uri /stats
        stats http-request deny if { src 10.0.0.0/8 }
        stats http-request allow if { hdr(x-trusted) -m found }
        stats http-request auth realm "Stats Area" unless { http_auth(ops) }
        """, global: """
        userlist ops
            user op insecure-password pw
        """)
        func basic(_ u: String, _ p: String) -> String { "Authorization: Basic " + Data("\(u):\(p)".utf8).base64EncodedString() }
        // The page's counters differ between the two proxies: compare what the rules decide.
        for (request, status) in [(RuleExchange.get("/stats;csv", ["X-Trusted: 1"]), 200), (.get("/stats;csv"), 401),
                                  (.get("/stats;csv", [basic("op", "pw")]), 200), (.get("/stats;csv", [basic("op", "no")]), 401)] {
            let ours = try RuleDifferential.run(config, [request], haproxy: false)
            let theirs = try RuleDifferential.run(config, [request], haproxy: true)
            let oursStatus = ours.answers[0].split(separator: " ").dropFirst().first
            let theirStatus = theirs.answers[0].split(separator: " ").dropFirst().first
            #expect(oursStatus == theirStatus && oursStatus.map(String.init) == "\(status)", "\(request.request): ours \(ours.answers[0].prefix(60)), haproxy \(theirs.answers[0].prefix(60))")
            if status == 401 {
                #expect(ours.answers[0].contains("www-authenticate: Basic realm=\"Stats Area\"") == theirs.answers[0].contains("www-authenticate: Basic realm=\"Stats Area\""))
            }
        }
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func useServiceAfterOtherRules() throws {
        let config = rulesConfig("""
        http-request deny if { path /metrics } { hdr(x-block) -m found }
        http-request use-service prometheus-exporter if { path /metrics }
        """)
        // The exporter's figures differ between the two: compare the status and content type.
        for request in [RuleExchange.get("/metrics", ["X-Block: 1"]), .get("/metrics")] {
            let ours = try RuleDifferential.run(config, [request], haproxy: false)
            let theirs = try RuleDifferential.run(config, [request], haproxy: true)
            #expect(ours.answers[0].prefix(15) == theirs.answers[0].prefix(15), "\(ours.answers[0].prefix(80)) / \(theirs.answers[0].prefix(80))")
            #expect(ours.answers[0].contains("# TYPE") == theirs.answers[0].contains("# TYPE"))
        }
    }

    /// `block` (HAProxy 1.x) is `http-request deny` placed before the other request rules:
    /// ringproxy with `block` answers as HAProxy 2.6 does with the modern spelling.
    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func blockIsHTTPRequestDeny() throws {
        let legacy = rulesConfig("""
        http-request set-header X-Set yes
        block if { path_beg /admin }
        """)
        let modern = rulesConfig("""
        http-request deny if { path_beg /admin }
        http-request set-header X-Set yes
        """)
        let exchanges: [RuleExchange] = [.get("/admin/x", exact: true), .get("/public")]
        let ours = try RuleDifferential.run(legacy, exchanges, haproxy: false)
        let theirs = try RuleDifferential.run(modern, exchanges, haproxy: true)
        #expect(ours.exactAnswers == theirs.exactAnswers)
        #expect(ours.answers == theirs.answers)
        #expect(ours.forwarded == theirs.forwarded)
        #expect(ours.logs.sorted() == theirs.logs.sorted())
    }
}

@Suite(.serialized) struct RulesOrderTests {
    /// Frontend rules, then use_backend (which sees their edits), then the backend's rules;
    /// a listen section's rules run once.
    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func frontendThenBackend() throws {
        let config = """
        global
            log @LOG@ local0
        defaults
            mode http
            log global
            option httplog
            timeout connect 2s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:@FRONT@
            http-request set-var(txn.route) path,field(2,/)
            http-request set-header X-Route %[var(txn.route)]
            http-request set-header X-Order fe
            use_backend api if { req.hdr(x-route) api }
            default_backend web
        backend api
            http-request set-header X-Order "%[req.hdr(x-order)],be-api"
            http-request deny deny_status 404 if { path_end .bak }
            server s1 @BACK@
        backend web
            http-request set-header X-Order "%[req.hdr(x-order)],be-web %[var(txn.route)]"
            http-request redirect location /moved if { path /old }
            server s1 @BACK@
        """
        try RuleDifferential.compare("fe then be", config, [
            .get("/api/x"), .get("/web/y"), .get("/api/f.bak", exact: true), .get("/old", exact: true),
        ])
    }
}


@Suite(.serialized) struct HeaderNamePolicyTests {
    /// `exact`: compare answers byte for byte (only where the proxy makes them: HAProxy writes
    /// a server's header names in lower case, see the README).
    static func requests(exact: Bool) -> [RuleExchange] {
        [
            .get("/plain", ["X-Ok: 1"]),
            .get("/underscore", ["X-my_hdr: on", "X-Ok: 1"], exact: exact),
            .get("/several", ["X_a-1: on", "X-b-2: on", "x.dot: 1", "X-c_: 2"], exact: exact),
            RuleExchange("GET /keep HTTP/1.1\r\nHost: t\r\nX_bad: 1\r\n\r\n", exact: exact),
            RuleExchange("GET /again HTTP/1.1\r\nHost: t\r\n\r\n", reuse: true),
        ]
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed"))
    func deleteInTheFrontendJudgesHeadersItsRulesAdded() throws {
        let config = rulesConfig("""
        http-request set-header X-Added_by rule
        option http-restrict-req-hdr-names delete
        """)
        try RuleDifferential.compare("delete", config, Self.requests(exact: false))
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed"))
    func rejectInTheBackendAnswers403AfterTheFrontendsRules() throws {
        let config = rulesConfig("""
        http-request set-header X-From-Fe yes if { path /plain }
        http-request set-header X-From_Fe yes if { path /again }
        """, backend: "option http-restrict-req-hdr-names reject")
        try RuleDifferential.compare("reject", config, Self.requests(exact: true))
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed"))
    func preserveFromDefaultsForwardsEverything() throws {
        let config = rulesConfig("option http-restrict-req-hdr-names preserve")
        try RuleDifferential.compare("preserve", config, Self.requests(exact: false))
    }
}
