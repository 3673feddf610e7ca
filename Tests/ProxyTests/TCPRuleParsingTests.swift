// tcp-request / tcp-response rules in the configuration: what each stage accepts, what is an
// error naming file:line, and what an unconditional `expect-proxy layer4` does to listeners.
import Testing
@testable import Proxy

@Suite struct TCPRuleParsingTests {
    func parse(_ text: String) throws -> Configuration { try ConfigParser.parse(text: text, file: "t.cfg") }
    func errors(_ text: String) -> [String] {
        do { _ = try ConfigParser.parse(text: text, file: "t.cfg"); return [] } catch { return error.errors.map(\.description) }
    }
    func tcpFrontend(_ rules: String) -> String {
        """
        frontend fe
            mode tcp
            bind 127.0.0.1:8080
        \(rules.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            default_backend be
        backend be
            mode tcp
            server s 127.0.0.1:9000
        """
    }

    @Test func stagesAndActions() throws {
        let c = try parse(tcpFrontend("""
        stick-table type ip size 1k store gpc0,conn_cnt
        tcp-request inspect-delay 5s
        tcp-request connection accept if { src 10.0.0.0/8 }
        tcp-request connection reject if { src 192.168.0.0/16 }
        tcp-request session track-sc1 src
        tcp-request content track-sc0 src
        tcp-request content sc-inc-gpc0(0)
        tcp-request content set-var(sess.who) src
        tcp-request content unset-var(sess.who)
        tcp-request content silent-drop if { sc0_get_gpc0 gt 10 }
        tcp-request content capture src len 20
        """))
        let t = c.proxies[0].tcpRules
        #expect(t.inspectDelay == 5000)
        #expect(t.connection.map(\.action) == [.accept, .reject])
        #expect(t.connection[0].condition != nil)
        #expect(t.session.count == 1 && t.session[0].stage == .session)
        #expect(t.content.count == 6)
        if case .common(.trackSC(0, let key, nil)) = t.content[0].action { #expect(key.text == "src") } else { Issue.record("\(t.content[0].action)") }
        #expect(t.content[4].action == .silentDrop)
        #expect(c.proxies[0].rules.captures.request.count == 1)
        #expect(t.content[4].location.line == 13)
    }

    @Test func unsupportedIsAnErrorNamingTheLine() {
        let e = errors(tcpFrontend("tcp-request content set-mark 1"))
        #expect(e.first?.contains("t.cfg:4") == true)
        #expect(e.first?.contains("action 'set-mark' in 'tcp-request content' rules is not supported by ringproxy") == true)
        // set-src/set-dst(-port) at every request stage (AddressLevels.swift)
        for stage in ["connection", "session", "content"] {
            #expect(errors(tcpFrontend("tcp-request \(stage) set-dst ipv4(1.2.3.4)")).isEmpty)
            #expect(errors(tcpFrontend("tcp-request \(stage) set-src-port int(80)")).isEmpty)
        }
        #expect(errors(tcpFrontend("tcp-request content rejct")).first?.contains("did you mean 'reject'") == true)
        #expect(errors(tcpFrontend("tcp-request content expect-proxy layer4")).first != nil)   // connection rules only
        #expect(errors(tcpFrontend("tcp-request content reject foo")).first?.contains("unexpected 'foo'") == true)
        #expect(errors("defaults\n    tcp-request content reject\n").first?.contains("not allowed in anonymous 'defaults' section") == true)
        #expect(errors(tcpFrontend("tcp-request frobnicate reject")).first != nil)
    }

    @Test func unconditionalExpectProxySetsTheListeners() throws {
        let c = try parse(tcpFrontend("tcp-request connection track-sc0 src table fe\ntcp-request connection expect-proxy layer4"
                                      + "\nstick-table type ip size 1k store conn_cnt"))
        #expect(c.proxies[0].binds.allSatisfy { $0.options.acceptProxy })
        #expect(errors(tcpFrontend("tcp-request connection reject if { src 10.0.0.1 }\ntcp-request connection expect-proxy layer4")).first?
            .contains("after a rule that may end the rule set") == true)
    }

    @Test func conditionalExpectProxyMakesTheListenersAsk() throws {
        let c = try parse(tcpFrontend("tcp-request connection expect-proxy layer4 if { src 10.0.0.1 }"))
        #expect(c.proxies[0].binds.allSatisfy { $0.options.expectProxyIf && !$0.options.acceptProxy })
        let u = try parse(tcpFrontend("tcp-request connection expect-proxy layer4 unless { src 10.0.0.1 }\ntcp-request connection expect-proxy layer4"))
        #expect(u.proxies[0].binds.allSatisfy { $0.options.acceptProxy })
        #expect(errors(tcpFrontend("tcp-request connection accept if { src 10.0.0.2 }\ntcp-request connection expect-proxy layer4 if { src 10.0.0.1 }")).first?
            .contains("after a rule that may end the rule set") == true)
        #expect(errors(tcpFrontend("tcp-request connection expect-proxy layer4 if { src 10.0.0.1 } foo")).first != nil)
    }

    @Test func useBackendInModeTCP() throws {
        let c = try parse("""
        frontend fe
            mode tcp
            bind 127.0.0.1:8080
            use_backend two if { src 127.0.0.2 }
            default_backend one
        backend one
            mode tcp
            server s 127.0.0.1:9000
        backend two
            mode tcp
            server s 127.0.0.1:9001
        """)
        #expect(c.proxies[0].useBackends.count == 1)
    }

    @Test func rulesCompileIntoPrograms() throws {
        let c = try parse(tcpFrontend("tcp-request inspect-delay 1s\ntcp-request content reject if { path_beg /x }\ntcp-request connection accept"))
        let compiled = try RuleCompiler.compile(c, topology: Topology(c), states: nil, workers: 1)
        let p = try #require(compiled.tcp[0])
        #expect(p.inspectDelayMs == 1000)
        #expect(p.contentReadsHTTP)
        #expect(p.hasAcceptRules)
        #expect(compiled.tcp[1] == nil)            // the backend has none: nothing to run
        #expect(compiled.isActive)
        let plain = try parse(tcpFrontend("tcp-request inspect-delay 1s\ntcp-request content reject if { src 10.0.0.1 }"))
        #expect(try RuleCompiler.compile(plain, topology: Topology(plain), states: nil, workers: 1).tcp[0]?.contentReadsHTTP == false)
    }
}

/// tcp-response content and the layer-6 fetches in the configuration.
@Suite struct TCPResponseRuleParsingTests {
    func parsed(_ text: String) -> (Configuration?, [String]) {
        do { return (try ConfigParser.parse(text: text, file: "t.cfg"), []) } catch { return (nil, error.errors.map(\.description)) }
    }
    func backend(_ mode: String, _ rules: String) -> String {
        """
        defaults
            mode \(mode)
        listen l
            bind 127.0.0.1:8080
        \(rules.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            server s 127.0.0.1:9000
        """
    }

    @Test func responseRulesInModeHTTP() throws {
        let (c, errors) = parsed(backend("http", """
        tcp-response inspect-delay 2s
        tcp-response content set-var(txn.x) res.len
        tcp-response content reject if { res.payload(0,4) -m str HTTP } !WAIT_END
        tcp-response content close if { res.len gt 100 }
        tcp-response content accept
        """))
        #expect(errors.isEmpty, "\(errors)")
        let t = try #require(c?.proxies.first?.tcpRules)
        #expect(t.responseInspectDelay == 2000)
        #expect(t.response.count == 4)
        #expect(t.response.map(\.location.line) == [6, 7, 8, 9])
        #expect(RuleCompiler.check(c!) == nil)
    }

    @Test func responseRulesInModeTCPAreKept() {
        // they hold the server's first bytes (TCPResponseModeTCPEndToEndTests)
        let (c, errors) = parsed(backend("tcp", "tcp-response inspect-delay 1s\ntcp-response content reject"))
        #expect(errors.isEmpty, "\(errors)")
        #expect(c?.proxies.last?.tcpRules.response.count == 1)
        #expect(c?.proxies.last?.tcpRules.responseInspectDelay == 1000)
    }

    @Test func responseRulesWithoutDelayAreKept() throws {
        // HAProxy 2.6 runs them without `tcp-response inspect-delay` too (checked side by side:
        // TCPRulesContentEndToEndTests.tcpResponseRulesRunWithoutAnInspectDelay).
        let (c, errors) = parsed(backend("http", "tcp-response content reject"))
        #expect(errors.isEmpty)
        #expect(c?.warnings.contains { $0.contains("tcp-response") } == false, "\(c?.warnings ?? [])")
        #expect(c?.proxies.last?.tcpRules.response.count == 1)
    }

    @Test func bufferFetches() {
        let (c, errors) = parsed(backend("tcp", """
        tcp-request inspect-delay 100ms
        tcp-request content accept if { req.len eq 14 } { req.payload(0,14) -m bin 2A310D0A }
        tcp-request content accept if { req_len gt 3 } { req.payload_lv(0,2,+1) -m found }
        tcp-request content reject
        """))
        #expect(errors.isEmpty, "\(errors)")
        #expect(c.map { RuleCompiler.check($0) } == .some(nil))
        // a response buffer fetch in a request rule is HAProxy's error
        let (_, bad) = parsed(backend("tcp", "tcp-request content set-var(txn.x) res.len"))
        #expect(bad.count == 1 && bad[0].contains("L6 response contents"), "\(bad)")
    }
}
