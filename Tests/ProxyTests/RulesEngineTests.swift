// The rule engine without sockets: configurations parsed and compiled, requests and
// responses run through the compiled rules in a worker's RuleContext, results read from the
// message views. Fast checks of semantics HAProxy documents (and of what the differential
// end-to-end suites cannot see: errors with file:line, allocation-free evaluation).
import Foundation
import Testing
@testable import Proxy

/// Runs one frontend's request rules on raw request bytes.
struct RulesProbe {
    let compiled: CompiledRules
    let context: RuleContext
    let head = RequestHead()
    let response = ResponseHead()
    let slot: SlotRuleState
    var bytes: [UInt8] = []

    init(_ config: String) throws {
        let c = try ConfigParser.parse(text: config, file: "t.cfg")
        compiled = try RuleCompiler.compile(c, topology: Topology(c), states: nil, workers: 1)
        context = compiled.makeContext(worker: 0)
        slot = SlotRuleState(variables: compiled.tables.variables.count)
    }

    /// Parses `raw`, runs proxy 0's http-request rules; returns the outcome.
    @discardableResult
    mutating func request(_ raw: String, client: ClientAddress = .v4(0x7F00_0001)) -> RuleOutcome {
        bytes = Array(raw.utf8)
        let h = head
        let result: RuleOutcome = bytes.withUnsafeBytes { b in
            guard case .complete = RequestParser.parse(b, into: h) else { return .reply(.internalError) }
            context.beginRequest(h, client: client)
            slot.beginTransaction(newConnection: true, refs: compiled.tables.variables, layout: compiled.captures[0], frontend: 0)
            context.slot = slot
            guard let p = compiled.proxies[0] else { return .next }
            return context.run(p.httpRequest, of: p)
        }
        return result
    }

    /// The request as it would be forwarded.
    func forwarded() -> String {
        let rw = HeadRewrite()
        return bytes.withUnsafeBytes { b -> String in
            _ = context.request.emitEdits(request: head, into: rw)
            return String(decoding: rw.render(head: UnsafeRawBufferPointer(rebasing: b[0..<head.headLength]), headLength: head.headLength), as: UTF8.self)
        }
    }

    func header(_ name: String) -> String? {
        let lower = Array(name.lowercased().utf8)
        return lower.withUnsafeBytes { n in context.request.find(n).map { String(decoding: context.request.value($0), as: UTF8.self) } }
    }
}

func frontendConfig(_ rules: String, extra: String = "") -> String {
    """
    \(extra)
    frontend fe
        mode http
        bind 127.0.0.1:8080
    \(rules.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
    """
}

@Suite struct RulesEngineTests {
    /// The constants a compiled configuration points at are freed with it (every `-c` check
    /// and every compile used to leak them; the config fuzzer's leak check found it).
    @Test func compiledConstantsAreFreedWithTheConfiguration() throws {
        weak var pool: ConstantPool?
        do {
            let probe = try RulesProbe("""
                frontend f
                    bind :80
                    http-request set-header X-Name %[str(abc)] if { path_beg /a }
                    http-request redirect location /b set-cookie C=1 if { path /c }
                    errorfile 503 /dev/null
                    default_backend b
                backend b
                    server s 127.0.0.1:1
                """)
            pool = probe.compiled.tables.pool
            #expect(pool != nil)
        }
        #expect(pool == nil, "the compiled rules (or their pool) are kept alive by a cycle")
    }

    @Test func setAddDelAndReplaceHeaders() throws {
        var p = try RulesProbe(frontendConfig("""
        http-request set-header X-A one
        http-request add-header X-A two
        http-request del-header X-Gone
        http-request replace-value X-L ^(b)$ [\\1]
        http-request set-header X-Cnt %[req.hdr_cnt(x-a)]
        """))
        p.request("GET / HTTP/1.1\r\nHost: h\r\nX-A: zero\r\nX-Gone: 1\r\nX-L: a, b ,c\r\n\r\n")
        #expect(p.forwarded() == "GET / HTTP/1.1\r\nHost: h\r\nX-L: a,[b],c\r\nX-A: one\r\nX-A: two\r\nX-Cnt: 2\r\n\r\n")
    }

    @Test func requestLineRewrites() throws {
        var p = try RulesProbe(frontendConfig("""
        http-request set-path /new%[path]
        http-request set-query q=1
        http-request set-method PUT
        """))
        p.request("GET /a?x HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(p.forwarded() == "PUT /new/a?q=1 HTTP/1.1\r\nHost: h\r\n\r\n")
    }

    @Test func conditionsUseAclsDeclaredOnSeveralLines() throws {
        var p = try RulesProbe(frontendConfig("""
        acl api path_beg /api
        acl api path_beg /v2
        http-request set-header X-Api yes if api
        http-request set-header X-Not yes unless api
        """))
        p.request("GET /v2/x HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(p.header("x-api") == "yes" && p.header("x-not") == nil)
        p.request("GET /web HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(p.header("x-api") == nil && p.header("x-not") == "yes")
    }

    @Test func denyEndsTheRules() throws {
        var p = try RulesProbe(frontendConfig("""
        http-request deny if { hdr(x-bad) -m found }
        http-request set-header X-After yes
        """))
        guard case .reply(.deny(let r)) = p.request("GET / HTTP/1.1\r\nX-Bad: 1\r\n\r\n") else { Issue.record("no deny"); return }
        #expect(r.status == 403)
        #expect(p.header("x-after") == nil)
        guard case .next = p.request("GET / HTTP/1.1\r\n\r\n") else { Issue.record("denied"); return }
        #expect(p.header("x-after") == "yes")
    }

    @Test func intOperatorsAndRanges() throws {
        var p = try RulesProbe(frontendConfig("""
        acl gt hdr_val(x-n) gt 5
        acl le hdr_val(x-n) le 2
        acl r hdr_val(x-n) 3:4
        http-request set-header X-R "%[bool(1)]" if gt
        http-request set-header X-L yes if le
        http-request set-header X-M yes if r
        """))
        for (n, gt, le, r) in [(6, true, false, false), (2, false, true, false), (3, false, false, true), (5, false, false, false)] {
            p.request("GET / HTTP/1.1\r\nX-N: \(n)\r\n\r\n")
            #expect((p.header("x-r") != nil) == gt && (p.header("x-l") != nil) == le && (p.header("x-m") != nil) == r, "\(n)")
        }
    }

    @Test func variablesAndConverters() throws {
        var p = try RulesProbe(frontendConfig("""
        http-request set-var(txn.host) req.hdr(host),lower,regsub(:[0-9]+$,)
        http-request set-header X-Host %[var(txn.host)]
        http-request set-header X-Field %[str(a.b.c),field(-1,.)]
        http-request set-header X-Sum %[int(20),add(22)]
        """))
        p.request("GET / HTTP/1.1\r\nHost: Example.COM:8080\r\n\r\n")
        #expect(p.header("x-host") == "example.com")
        #expect(p.header("x-field") == "c")
        #expect(p.header("x-sum") == "42")
    }

    @Test func errorsNameFileAndLine() {
        func errors(_ text: String) -> [String] {
            do { _ = try ConfigParser.parse(text: text, file: "t.cfg"); return [] } catch { return error.errors.map(\.description) }
        }
        #expect(errors(frontendConfig("http-request set-header X %[nosuchfetch]")).first?.hasPrefix("t.cfg:5: 'http-request set-header': unknown fetch method 'nosuchfetch'") == true)
        #expect(errors(frontendConfig("http-request frobnicate")).first?.contains("unknown 'http-request' argument 'frobnicate'") == true)
        #expect(errors(frontendConfig("http-request set-header X %[path,nosuchconv]")).first?.contains("unknown converter 'nosuchconv'") == true)
        #expect(errors(frontendConfig("http-request set-header X %[path,map(/nonexistent/file.map)]")).first?.contains("failed to open map file '/nonexistent/file.map'") == true)
        #expect(errors(frontendConfig("http-response set-header X %[path]")).first?.contains("needs 'HTTP request headers'") == true)
        #expect(errors(frontendConfig("http-request deny if { nosuch }")).first?.contains("unknown fetch method 'nosuch'") == true)
        #expect(errors("defaults\n    http-request deny\n").first == "t.cfg:2: 'http-request deny': 'http-request' not allowed in anonymous 'defaults' section.")
        #expect(errors(frontendConfig("errorfile 503 /nonexistent/503.http")).first?.contains("error opening file '/nonexistent/503.http'") == true)
        #expect(errors(frontendConfig("http-request deny if { http_auth(nolist) }")).first?.contains("unable to find userlist 'nolist'") == true)
    }
}
