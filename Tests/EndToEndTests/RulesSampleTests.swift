// Fetches, converters, ACL match methods, maps and pattern files side by side with HAProxy
// 2.6.12: every expression is rendered into a request header, so the backend sees the values
// both proxies computed.
import Foundation
import Testing

private let haproxyInstalled = HAProxyProcess.isInstalled

@Suite(.serialized) struct RulesSampleTests {
    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func fetchesAndConverters() throws {
        let exprs = [
            "src", "src_port,sub(1),add(1),bool", "method", "path", "pathq", "query", "url", "base", "baseq", "base32",
            "url_ip", "url_port", "url_param(a)", "urlp(b)", "urlp_val(n)", "req.hdr(x-a)", "req.hdr(x-a,1)",
            "req.hdr(x-a,-1)", "hdr(x-a,2)", "req.fhdr(x-a)", "req.hdr_cnt(x-a)", "hdr_cnt", "req.fhdr_cnt(x-a)",
            "req.hdr_ip(x-ip)", "hdr_val(x-n)", "req.hdr_names(;)", "req.cook(c1)", "req.cook_cnt(c1)", "cook_val(n)",
            "req.cook", "req.ver", "http_first_req", "fe_name", "fe_id", "str(abc),upper", "str(ABC),lower",
            "str(hello),length", "str(hello),base64", "str(aGVsbG8=),b64dec", "str(hi),hex", "str(ff),hex2i",
            "str(a/b),json", "int(3),add(4),mul(2),sub(1),div(2),mod(4),neg", "int(6),and(3)", "int(6),or(1),xor(2)",
            "int(5),cpl", "int(3),odd", "int(3),even", "int(0),not", "int(2),bool", "src,ipmask(24)",
            "str(a_b_c_d),field(2,_)", "str(a_b_c_d),field(-2,_)", "str(a_b_c_d),field(2,_,0)", "str(a_b__c),word(3,_)",
            "str(a/b/c),word(-1,/,2)", "str(foo.bar),regsub(\\\\.,_)", "str(aaa),regsub(a,b,g)", "str(x),concat(<,txn.v,>)",
            "str(abc),strcmp(txn.v)", "str(abcdef),bytes(1,3)", "str(--ab--),ltrim(-),rtrim(-)", "str(a%20b),url_dec",
            "str(hello),crc32", "str(hello),djb2", "str(hello),sdbm", "str(hello),wt6", "str(hello),crc32(1)",
            "int(86400),utime(%Y-%m-%d)", "int(1),iif(yes,no)", "int(0),iif(yes,no)", "env(HOME)", "always_true",
            "str(x),add_item(;,txn.v,end)", "str(x),set-var(txn.copied)", "var(txn.copied)",
        ]
        let rules = ["http-request set-var(txn.v) str(val)"] + exprs.enumerated().map { "http-request set-header X-E\($0.offset) \"%[\($0.element)]\"" }
        let config = rulesConfig(rules.joined(separator: "\n"), backend: "http-request set-header X-Be \"%[be_name] %[be_id] %[fe_name]\"")
        try RuleDifferential.compare("fetches", config, [
            RuleExchange("GET /p/a.b?a=1&b=two&n=42 HTTP/1.1\r\nHost: test.local\r\nX-A: 1, 2\r\nX-A: 3\r\nX-IP: 10.1.2.3:80\r\nX-N: 17x\r\nCookie: c1=v1; c2=v2; c1=v3; n=9\r\n\r\n"),
            RuleExchange("GET http://abs.host:8080/q?a=x HTTP/1.1\r\nHost: abs.host:8080\r\n\r\n"),
        ])
    }

    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func aclMatchMethodsAndPatternFiles() throws {
        let dir = try ConfigFiles.directory([
            "agents.lst": "# bots\ncurl\nwget\n\nbot\n",
            "nets.lst": "10.0.0.0/8\n192.168.0.0/16\n127.0.0.1\n",
            "hosts.map": "example.com be-example\n.example.org be-org\ntest.local be-test\n",
            "paths.map": "/api api\n/static static\n/ root\n",
            "regs.map": "^/v([0-9]+)/ version\\1\n^/x(.*)$ ex\\1\n",
            "ips.map": "10.0.0.0/8 ten\n10.1.0.0/16 ten-one\n127.0.0.0/8 local\n",
            "ints.map": "1:10 small\n11:100 big\n",
        ])
        let config = rulesConfig("""
        acl bot hdr(user-agent) -i -m sub -f \(dir)/agents.lst
        acl net src -f \(dir)/nets.lst
        acl big hdr_val(x-n) gt 10
        acl small hdr_val(x-n) lt 5
        acl range hdr_val(x-n) 3:7
        acl short path_len 0:3
        acl dirm path_dir api
        acl domm hdr_dom(host) example
        acl endm path_end .php .html
        acl regm path_reg -i ^/IMG/[0-9]+
        acl binm req.hdr(x-bin),hex -m str 4142
        acl found hdr(x-f) -m found
        acl boolm hdr_val(x-n),bool
        http-request set-header X-Acls "%[bool(1),iif(y,n)]"
        http-request set-header X-Bot yes if bot
        http-request set-header X-Net yes if net
        http-request set-header X-Big yes if big
        http-request set-header X-Small yes if small
        http-request set-header X-Range yes if range
        http-request set-header X-Short yes if short
        http-request set-header X-Dir yes if dirm
        http-request set-header X-Dom yes if domm
        http-request set-header X-End yes if endm
        http-request set-header X-Reg yes if regm
        http-request set-header X-Bin yes if binm
        http-request set-header X-Found yes if found !bot or found big
        http-request set-header X-Bool yes if boolm
        http-request set-header X-Map "%[req.hdr(host),lower,map_dom(\(dir)/hosts.map,none)]"
        http-request set-header X-Map-Str "%[req.hdr(host),map(\(dir)/hosts.map)]"
        http-request set-header X-Map-Beg "%[path,map_beg(\(dir)/paths.map)]"
        http-request set-header X-Map-Reg "%[path,map_reg(\(dir)/regs.map,no)]"
        http-request set-header X-Map-Regm "%[path,map_regm(\(dir)/regs.map,no)]"
        http-request set-header X-Map-Ip "%[src,map_ip(\(dir)/ips.map)]"
        http-request set-header X-Map-Ip2 "%[req.hdr(x-ip),map_ip(\(dir)/ips.map,none)]"
        http-request set-header X-Map-Int "%[req.hdr(x-n),map_int(\(dir)/ints.map,none)]"
        """)
        try RuleDifferential.compare("acl", config, [
            RuleExchange("GET /api/v1/x.php HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla curl/8\r\nX-N: 12\r\nX-F: 1\r\nX-IP: 10.1.2.3\r\n\r\n"),
            .get("/img/42.HTML", ["X-N: 4", "X-Bin: AB", "X-IP: 10.9.9.9"]),
            RuleExchange("GET / HTTP/1.1\r\nHost: a.example.org\r\nX-N: 6\r\nUser-Agent: Wget\r\nX-IP: 8.8.8.8\r\n\r\n"),
            .get("/v2/z", ["X-N: 0"]),
            .get("/xyz", ["X-N: 50", "X-F:"]),
        ])
    }

    /// `set-var`/`set-var-fmt` in `global` (proc variables set at start, reading earlier ones)
    /// and set-var's conditions (action and converter), side by side with HAProxy 2.6.
    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func processVariablesAndSetVarConditions() throws {
        let global = """
            set-var proc.int12 int(12)
            set-var proc.int5 var(proc.str60,60),div(proc.int12)
            set-var proc.str1 str("this is")
            set-var-fmt proc.str "%[var(proc.str1)] a string"
            set-var proc.empty str()
        """
        let rules = """
        http-request set-var(txn.a) int(5)
        http-request set-var(txn.a,ifgt) int(2)
        http-request set-var(txn.a,ifgt) int(9)
        http-request set-var(txn.b,ifnotset) str(first)
        http-request set-var(txn.b,ifnotset) str(second)
        http-request set-var(txn.c,ifexists) str(x)
        http-request set-var(txn.d,ifnotempty) str()
        http-request set-var(txn.e,ifempty) str()
        http-request set-var(txn.e2,ifempty) int(0)
        http-request set-var(proc.int12,ifnotexists) int(1)
        http-request set-var(proc.fresh,ifexists) str(proc-exists)
        http-request set-var(txn.f,iflt) int(9)
        http-request set-var(txn.f,iflt,ifset) int(3)
        http-request set-var(txn.f,iflt,ifset) int(30)
        http-request set-var(txn.s) str(text)
        http-request set-var(txn.s,ifgt) int(1)
        http-request set-var(txn.g) req.hdr(x-in),set-var(txn.h,ifnotempty,ifnotset)
        http-request unset-var(txn.b)
        http-request set-var(txn.b,ifset) str(third)
        http-request set-header X-V "a=%[var(txn.a)] b=%[var(txn.b)] c=%[var(txn.c)] d=%[var(txn.d)] e=%[var(txn.e)] e2=%[var(txn.e2)] f=%[var(txn.f)] s=%[var(txn.s)] h=%[var(txn.h)]"
        http-request set-header X-P "%[var(proc.int12)] %[var(proc.int5)] %[var(proc.str)] %[var(proc.fresh)] [%[var(proc.empty)]]"
        http-request set-var(proc.int5) var(proc.int5),add(proc.int12)
        """
        try RuleDifferential.compare("vars", rulesConfig(rules, global: global), [
            .get("/a", ["X-In: abc"]),
            .get("/b"),
            .get("/c", ["X-In: "]),
        ])
    }

    /// A rule-made header value goes out with the blanks the rule put around it (HAProxy sends
    /// what the rule produced), while fetches read it trimmed (url_dec/url_enc reg-tests).
    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func ruleMadeHeaderValuesKeepTheirBlanks() throws {
        let config = rulesConfig("""
        http-request set-var(txn.u) url
        http-request return status 200 hdr x-r "  both  " if { path /r }
        http-request set-header x-q "  both  "
        http-request set-header x-seen "%[req.hdr(x-q)]|"
        http-response set-header url_dec0 "%[var(txn.u),url_dec] "
        http-response add-header x-l "  lead"
        http-response set-header x-srv "%[res.hdr(x-srv)] "
        http-response replace-value x-srv ^(.*)$ "\\1  "
        """)
        let exchanges: [RuleExchange] = [.get("/bla+%20?foo%3Dbar%2B42+42%20", exact: true), .get("/r", exact: true)]
        let ours = try RuleDifferential.run(config, exchanges, haproxy: false)
        let theirs = try RuleDifferential.run(config, exchanges, haproxy: true)
        // Header lines as sent (names lower-cased: HAProxy's HTX writes them so), blanks kept.
        func lines(_ raw: String) -> [String] {
            raw.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n").dropFirst().compactMap { l in
                guard let colon = l.firstIndex(of: ":") else { return nil }
                return l[..<colon].lowercased() + l[colon...]
            }.filter { !$0.hasPrefix("content-length") && !$0.hasPrefix("connection") }.sorted()
        }
        for i in exchanges.indices {
            #expect(lines(ours.exactAnswers[i]) == lines(theirs.exactAnswers[i]), "#\(i)\n ours:    \(ours.exactAnswers[i].debugDescription)\n haproxy: \(theirs.exactAnswers[i].debugDescription)")
        }
        #expect(lines(ours.exactAnswers[0]).contains("url_dec0: /bla+ ?foo=bar+42 42  "))   // url_dec's own blank, then the rule's
        #expect(ours.forwarded == theirs.forwarded, "forwarded\n ours:    \(ours.forwarded)\n haproxy: \(theirs.forwarded)")
    }

    /// `\xHH` escapes above 0x7F in configuration strings are bytes, as in HAProxy (json.vtc).
    @Test(.enabled(if: haproxyInstalled, "haproxy is not installed"))
    func configurationStringsCarryRawBytes() throws {
        let config = rulesConfig(#"""
        http-request set-header json0 "%[str(foo 1/2),json]"
        http-request set-header json1 "%[str(\xE0),json(utf8)]"
        http-request set-header json2 "%[str(-\xE0-),json(utf8s)]"
        http-request set-header hex1 "%[str(\xE0\xff\x41),hex]"
        http-request set-header hex2 "%[str(é\xC3\xA9),hex]"
        http-request set-header len1 "%[str(\xE0\xE0),length]"
        http-request set-header lit1 "x\xC3\xA9y"
        """#)
        try RuleDifferential.compare("bytes", config, [.get("/")])
    }
}

