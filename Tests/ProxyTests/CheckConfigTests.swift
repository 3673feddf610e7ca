import Foundation
import Testing
@testable import Proxy

@Suite struct CheckConfigTests {
    static func backend(_ lines: String, defaults: String = "") -> String {
        "defaults\n mode http\n timeout connect 1s\n timeout client 1s\n timeout server 1s\n\(defaults)\n"
            + "frontend f\n bind 127.0.0.1:8080\n default_backend b\nbackend b\n\(lines)\n server s 127.0.0.1:80 check\n"
    }

    func program(_ text: String, _ name: String = "b") throws -> CheckProgram {
        let c = try #require(ConfigTestSupport.parse(text))
        return try CheckProgramBuilder.program(for: try #require(c.proxy(named: name)))
    }

    func request(_ p: CheckProgram) -> String {
        for s in p.steps { if case .send(.http(let h)) = s.kind {
            return String(decoding: HTTPCheckRequest.bytes(h, evaluator: CheckEvaluator(backendName: "b", serverName: "s"), input: [], serverState: nil), as: UTF8.self)
        } }
        return ""
    }

    @Test func optionHttpchkAndItsImplicitRules() throws {
        let p = try program(Self.backend(" option httpchk GET /health HTTP/1.1\\r\\nHost:\\ www"))
        #expect(p.kind == .http && p.family == .http && p.style == .plain)
        // implicit connect, the request, the implicit `expect status 200-399`
        #expect(p.steps.count == 3)
        if case .connect(let c) = p.steps[0].kind { #expect(c.implicit && c.useServerSettings && p.steps[0].stepID == 0) } else { Issue.record("no connect") }
        if case .expect(let e) = p.steps[2].kind { #expect(e.rule.match == .httpStatus([200...399])) } else { Issue.record("no implicit expect") }
        #expect(request(p) == "GET /health HTTP/1.1\r\nhost: www\r\nconnection: close\r\n\r\n")
        #expect(request(try program(Self.backend(" option httpchk"))) == "OPTIONS / HTTP/1.0\r\n\r\n")
        #expect(request(try program(Self.backend(" option httpchk /ping"))) == "OPTIONS /ping HTTP/1.0\r\n\r\n")
    }

    /// HAProxy 2.6.12 merges the implicit request with the first `http-check send` whichever
    /// comes first (with the fix of issue #1772: headers kept unless redefined).
    @Test func sendRulesMergeWithTheOptionsRequest() throws {
        let a = try program(Self.backend(" option httpchk\n http-check send meth GET hdr x-forwarded-proto https"))
        let b = try program(Self.backend(" http-check send meth GET hdr x-forwarded-proto https\n option httpchk"))
        #expect(request(a) == "GET / HTTP/1.0\r\nx-forwarded-proto: https\r\n\r\n")
        #expect(request(b) == request(a))
        let c = try program(Self.backend(" option httpchk GET /status HTTP/1.1\\r\\nHdr:\\ must-be-removed\n http-check send hdr Host my-www-host body test"))
        #expect(request(c) == "GET /status HTTP/1.1\r\nhost: my-www-host\r\ncontent-length: 4\r\nconnection: close\r\n\r\ntest")
    }

    /// A backend's own http-check lines start a new ruleset; without any, it uses the defaults'.
    @Test func rulesetsBelongToTheirSection() throws {
        let text = Self.backend(" option httpchk\n http-check send hdr Host other", defaults: " option httpchk GET /d HTTP/1.1\n http-check send hdr Host d")
            + "backend inherits\n server s 127.0.0.1:81 check\n"
        #expect(request(try program(text)) == "OPTIONS / HTTP/1.0\r\nhost: other\r\n\r\n")
        #expect(request(try program(text, "inherits")) == "GET /d HTTP/1.1\r\nhost: d\r\nconnection: close\r\n\r\n")
        let tcp = "defaults\n mode tcp\n option tcp-check\n tcp-check send ping\n tcp-check expect string pong\nbackend x\n server s 127.0.0.1:1 check\nbackend y\n tcp-check connect port 2\n server s 127.0.0.1:1 check\n"
        #expect(try program(tcp, "x").steps.count == 3)
        #expect(try program(tcp, "y").steps.count == 1)
    }

    @Test func commentsGoToTheRulesTheyDescribeAndStepsAreNumbered() throws {
        let p = try program("backend b\n option tcp-check\n tcp-check comment \"hello\"\n tcp-check send hi\n tcp-check expect string ho\n tcp-check expect string ha\n tcp-check comment \"bye\"\n tcp-check send again\n server s 127.0.0.1:80 check\n")
        #expect(p.style == .tcpCheck)
        #expect(p.steps.map(\.comment) == [nil, "hello", nil, nil, "bye"])
        #expect(p.steps.map(\.stepID) == [0, 2, 3, 4, 6])      // comments count, the implicit connect is 0
        let q = try program("backend b\n option tcp-check\n tcp-check comment \"c\"\n tcp-check connect port 9\n tcp-check expect string a\n tcp-check expect string b\n server s 127.0.0.1:80 check\n")
        #expect(q.steps.map(\.comment) == ["c", nil, nil] && q.steps.map(\.stepID) == [2, 3, 4], "a comment before a connect stops there")
    }

    @Test func protocolRulesetsSendHAProxysBytes() throws {
        func sent(_ p: CheckProgram) -> [UInt8] {
            for s in p.steps { if case .send(.bytes(let b)) = s.kind { return b } }
            return []
        }
        // The packets checks/mysql-check.vtc and pgsql-check.vtc match on.
        #expect(sent(try program(Self.backend(" option mysql-check user user pre-41"))) == CheckExpressionParser.hexBytes("0B00000100800000017573657200000100000001"))
        #expect(sent(try program(Self.backend(" option mysql-check user user"))) == CheckExpressionParser.hexBytes("2600000100820000008000012100000000000000000000000000000000000000000000007573657200000100000001"))
        #expect(sent(try program(Self.backend(" option pgsql-check user postgres"))) == CheckExpressionParser.hexBytes("00000017000300007573657200706f7374677265730000"))
        #expect(sent(try program(Self.backend(" option redis-check"))) == Array("*1\r\n$4\r\nPING\r\n".utf8))
        #expect(sent(try program(Self.backend(" option ldap-check"))) == CheckExpressionParser.hexBytes("300C020101600702010304008000"))
        let smtp = try program(Self.backend(" option smtpchk EHLO domain.tld"))
        #expect(smtp.presetVariables.first?.1 == .string(Array("EHLO domain.tld".utf8)))
        #expect(smtp.steps.count == 7)       // connect, 2 expects, greeting, expect, QUIT, expect
        #expect(try program(Self.backend(" option smtpchk")).presetVariables.first?.1 == .string(Array("HELO localhost".utf8)))
        #expect(try program(Self.backend(" option mysql-check")).steps.count == 2)
    }

    @Test func serverCheckOptions() throws {
        let c = try #require(ConfigTestSupport.parse("defaults\n default-server check-send-proxy agent-check agent-port 5555 agent-inter 3s agent-addr 127.0.0.2 agent-send ping\nbackend b\n server s 127.0.0.1:80 check\n server t 127.0.0.1:80 check no-check-send-proxy no-agent-check\n"))
        let s = try #require(c.proxy(named: "b")?.servers)
        #expect(s[0].checkSettings.sendProxy && s[0].checkSettings.agent == { var a = AgentCheckSettings(); a.enabled = true; a.port = 5555; a.inter = 3000; a.host = "127.0.0.2"; a.send = "ping"; return a }())
        #expect(!s[1].checkSettings.sendProxy && !s[1].checkSettings.agent.enabled)
        #expect(ConfigTestSupport.errors("backend b\n server s 127.0.0.1:80 check-ssl\n").first?.message.contains("no TLS") == true)
    }

    /// Rejected like HAProxy 2.6 (`haproxy -c` fails too, where installed).
    @Test(arguments: [
        (" option httpchk\n http-check set-var(check.x) int(1)\n http-check connect\n http-check connect", "missing expect rule"),
        (" option httpchk\n http-check expect status 200\n http-check send meth GET", "missing connect rule"),
        (" option httpchk\n http-check connect\n http-check expect status 200", "missing send rule"),
        (" option httpchk\n http-check expect", "expects at least a matching pattern"),
        (" option httpchk\n http-check expect status 300-200", "invalid range of status codes"),
        (" option httpchk\n http-check expect binary 0A0B", "only supports min-recv"),
        (" option httpchk\n http-check expect status 200 ok-status L9OK", "only supports 'L4OK', 'L6OK', 'L7OK' or 'L7OKC'"),
        (" option httpchk\n http-check expect hdr nome x", "expects at the name keyword"),
        (" option httpchk\n http-check expect hdr name -m xyz x", "only supports 'str', 'beg', 'end', 'sub' or 'reg'"),
        (" option httpchk\n http-check send meth GET hdr Host a hdr host b", "header already defined"),
        (" option httpchk\n http-check send foo bar", "expects 'comment', 'meth', 'uri'"),
        (" http-check bogus", "only supports"),
        (" option tcp-check\n tcp-check send hello\n tcp-check connect", "first step MUST also be a 'connect'"),
        (" option httpchk\n http-check send meth GET\n http-check expect status 200\n http-check connect", "first step MUST also be a 'connect'"),
        (" option tcp-check\n tcp-check send-binary 0A0", "invalid binary string"),
        (" option tcp-check\n tcp-check expect status 200", "only supports min-recv"),
        (" option tcp-check\n tcp-check connect port 70000", "valid TCP port"),
        (" option tcp-check\n tcp-check connect bogus", "expects 'comment', 'port', 'addr'"),
        (" option tcp-check\n tcp-check expect ! min-recv 4 string x", "[!] not supported with 'min-recv'"),
        (" option pgsql-check", "expects 'user <username>'"),
        (" server t 127.0.0.1:80 agent-check", "does not have agent port"),
        (" option mysql-check login x", "only supports optional values: 'user'"),
        (" option mysql-check user x post-42", "only supports 'post-41' and 'pre-41'"),
    ]) func rejectedLikeHAProxy(lines: String, message: String) throws {
        let text = Self.backend(lines)
        let errors = ConfigTestSupport.errors(text)
        #expect(errors.contains { $0.description.contains(message) }, "\(errors)")
        #expect(haproxyAccepts(text) != true, "haproxy -c accepts: \(lines)")
    }

    /// Accepted forms are HAProxy's (no invented syntax).
    @Test(.enabled(if: haproxyAccepts("global\n") != nil, "haproxy is not installed")) func haproxyAcceptsTheSameForms() {
        let text = Self.backend("""
             option httpchk OPTIONS * HTTP/1.1\\r\\nHost:\\ www
             http-check disable-on-404
             http-check send-state
             http-check comment "first"
             http-check send meth GET uri /a ver HTTP/1.1 hdr X-A b body "x" comment "c"
             http-check expect status 200-399,401 comment "st"
             http-check expect ! string "error" min-recv 10
             http-check expect rstatus ^2 ok-status L7OK error-status L7STS tout-status L7TOUT
             http-check expect hdr name -m beg "x-" value -m sub "y"
             http-check expect fhdr name "x-a" value -m reg "^b" on-error "bad" on-success "good"
             http-check set-var(check.p) str(/b)
             http-check unset-var(check.p)
            """) + "backend u\n option httpchk\n http-check connect\n http-check send meth HEAD\n http-check expect status 200\n"
            + " http-check connect port 8081 addr 127.0.0.2 send-proxy linger comment \"second\"\n"
            + " http-check send uri-lf \"%[var(check.p)]\" body-lf \"%[be_name]-%[srv_name]\"\n http-check expect string-lf \"%[srv_name]\"\n"
            + " server s 127.0.0.1:80 check\n" + "backend t\n option tcp-check\n tcp-check connect port 25 linger\n tcp-check expect rstring ^220 min-recv 4\n tcp-check send-binary 0d0a\n tcp-check send-lf \"%[var(check.x)]\\r\\n\"\n tcp-check expect binary 3030 error-status L7STS\n tcp-check expect rbinary ^30 on-error \"%[res.payload(0,0),cut_crlf]\" status-code res.payload(0,3)\n server s 127.0.0.1:1 check check-send-proxy agent-check agent-port 2 agent-inter 1s agent-send hi\n"
            + "backend p\n option pgsql-check user postgres\nbackend m\n option mysql-check user u pre-41\nbackend s\n option smtpchk EHLO d.tld\nbackend r\n option redis-check\nbackend l\n option ldap-check\nbackend h\n option ssl-hello-chk\n"
        #expect(ConfigTestSupport.parse(text) != nil)
        #expect(haproxyAccepts(text) == true)
    }
}

@Suite struct CheckExpressionTests {
    @Test func formatsAndExpressions() throws {
        let f = try CheckExpressionParser.format("a%%b %[var(check.x),upper]-%[res.payload(4,0),ltrim(' '),cut_crlf]").get()
        #expect(f.parts.count == 4)
        var ev = CheckEvaluator(backendName: "be", serverName: "srv")
        ev.variables["check.x"] = .string(Array("abc".utf8))
        #expect(String(decoding: ev.render(f, input: Array("250  hello there\r\nmore".utf8), response: nil), as: UTF8.self) == "a%b ABC-hello there")
        #expect(ev.evaluate(try CheckExpressionParser.expression("int(23),htonl,hex").get(), input: [], response: nil) == .string(Array("00000017".utf8)))
        #expect(ev.evaluate(try CheckExpressionParser.expression("be_name").get(), input: [], response: nil) == .string(Array("be".utf8)))
        for bad in ["%ci", "%[src]", "%[var(txn.x)]", "%[str(a),base64]", "%[str(a)"] {
            #expect((try? CheckExpressionParser.format(bad).get()) == nil, "\(bad)")
        }
    }

    /// checks/http-check.vtc's be4: variables in the request, set and unset between sends.
    @Test func variablesInRequests() throws {
        var ev = CheckEvaluator(backendName: "be4", serverName: "srv")
        ev.variables["check.path"] = .string(Array("/req1".utf8))
        ev.variables["check.server"] = .string(Array("srv".utf8))
        var send = HTTPCheckSend()
        send.method = "GET"; send.version = "HTTP/1.1"
        send.uri = try CheckExpressionParser.format("%[var(check.path)]").get()
        send.headers = [.init(name: "x-test", value: try CheckExpressionParser.format("server=%[var(check.server)]").get())]
        #expect(String(decoding: HTTPCheckRequest.bytes(send, evaluator: ev, input: [], serverState: nil), as: UTF8.self)
                == "GET /req1 HTTP/1.1\r\nx-test: server=srv\r\nconnection: close\r\n\r\n")
        ev.variables["check.path"] = nil
        send.version = nil
        send.body = try CheckExpressionParser.format("health-check on %[be_name]-%[srv_name]").get()
        send.headers = []
        #expect(String(decoding: HTTPCheckRequest.bytes(send, evaluator: ev, input: [], serverState: nil), as: UTF8.self)
                == "GET / HTTP/1.0\r\ncontent-length: 23\r\n\r\nhealth-check on be4-srv")
    }
}

@Suite struct AgentReplyTests {
    @Test func wordsAsHAProxyReadsThem() throws {
        let r = try #require(AgentReply(Array("75%,maxconn:30,maint,down\n".utf8)))
        #expect(r.weightPercent == 75 && r.maxconn == 30 && r.admin == .maint && r.health == .down)
        #expect(r.result.status == .l7sts && r.result.info == "via agent : down")
        let d = try #require(AgentReply(Array("down # maintenance window\r\n".utf8)))
        #expect(d.result.info == "via agent : down (maintenance window)")
        let u = try #require(AgentReply(Array("UP bogus\n".utf8)))
        #expect(u.result.status == .l7ok && u.result.info == "via agent : UP (bogus)", "an error word replaces the description on up")
        let n = try #require(AgentReply(Array("DRAIN bogus 50%\n".utf8)))
        #expect(n.admin == .drain && n.weightPercent == 50 && n.health == nil && n.result.status == .checked)
        #expect(AgentReply(Array("up".utf8)) == nil, "no line end yet")
    }
}
