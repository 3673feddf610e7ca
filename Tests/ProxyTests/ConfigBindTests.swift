import Testing
@testable import Proxy

/// `bind` address forms and options, and `stats socket`.
@Suite struct ConfigBindTests {
    func binds(_ lines: String, environment: ConfigEnvironment = ConfigEnvironment()) throws -> [BindConfig] {
        let c = try ConfigParser.parse(text: "frontend f\n" + lines + "\n", file: "t.cfg", environment: environment)
        return c.proxy(named: "f")?.binds ?? []
    }

    @Test func addressForms() throws {
        let b = try binds("""
             bind "fd@${fe1}"
             bind unix@/run/a.sock,/run/b.sock
             bind abns@peer1
             bind ipv4@:81
             bind ipv6@:82
             bind :::83 v4v6
             bind [::1]:84 v6only
             bind 10.10.188:85
             bind 127.1:86-87
             bind localhost:88
            """, environment: ConfigEnvironment(["fe1": "12"]))
        #expect(b.map(\.address) == [
            .inheritedFD(12), .unixPath("/run/a.sock"), .unixPath("/run/b.sock"), .abstractNamespace("peer1"),
            .tcp(host: "0.0.0.0", port: 81), .tcp(host: "::", port: 82), .tcp(host: "::", port: 83), .tcp(host: "::1", port: 84),
            .tcp(host: "10.10.0.188", port: 85), .tcp(host: "127.0.0.1", port: 86), .tcp(host: "127.0.0.1", port: 87),
            .tcp(host: "127.0.0.1", port: 88),
        ])
        #expect(b[6].options.v6only == false && b[7].options.v6only == true)
    }

    @Test func options() throws {
        let b = try binds(" bind :80 name web id 7 interface lo backlog 512 maxconn 100 defer-accept tfo transparent mss 1400 tcp-ut 30s\n bind /run/x.sock mode 0660 user nobody group nogroup uid 1 gid 2")
        let o = b[0].options
        #expect(o.name == "web" && o.id == 7 && o.interface == "lo" && o.backlog == 512 && o.maxconn == 100)
        #expect(o.deferAccept && o.tfo && o.transparent && o.mss == 1400 && o.tcpUserTimeout == 30_000 && o.needsSetup)
        let u = b[1].options
        #expect(u.mode == 0o660 && u.user == "nobody" && u.group == "nogroup" && u.uid == 1 && u.gid == 2)
    }

    @Test func everyUnsupportedOptionIsReportedInOneRun() {
        let errors = ConfigTestSupport.errors("frontend f\n bind :443 ssl crt /x.pem namespace x frobnicate alpn h2 maxconn\n")
        #expect(errors.count == 6, "\(errors)")
        #expect(errors.allSatisfy { $0.line == 2 && $0.keyword == "bind" })
        let text = errors.map(\.message).joined(separator: "\n")
        for word in ["'ssl' needs TLS", "'crt' needs TLS", "'namespace'", "frobnicate", "'alpn' needs TLS", "'maxconn' expects a value"] {
            #expect(text.contains(word), "\(word)")
        }
    }

    @Test func badAddresses() {
        for (line, message) in [("bind 10.0.0.1", "missing port specification"), ("bind fd@x", "invalid file descriptor"),
                                ("bind udp@:80", "not supported"), ("bind ipv4@[::1]:80", "not an IPv4 address"),
                                ("bind :90-80", "invalid port range"), ("bind unix@/x defer-accept", "only applies to TCP"),
                                ("bind fd@3 backlog 10", "already bound"), ("bind :80 mode 999", "invalid mode")] {
            let errors = ConfigTestSupport.errors("frontend f\n \(line)\n")
            #expect(errors.first?.message.contains(message) == true, "\(line): \(errors)")
        }
    }

    @Test func ignoredBindOptionsWarn() throws {
        let c = try ConfigParser.parse(text: "frontend f\n bind :80 process 1 thread 1-2 level admin\n", file: "t.cfg")
        #expect(c.warnings.count == 3 && c.warnings.allSatisfy { $0.contains("ignored") })
    }

    @Test func statsSockets() throws {
        let text = """
            global
                stats socket "/tmp/h1/stats.sock" level admin mode 600
                stats socket "fd@${cli}" level admin expose-fd listeners
                stats socket ipv4@127.0.0.1:9999 severity-output string
            """
        let c = try ConfigParser.parse(text: text, file: "t.cfg", environment: ConfigEnvironment(["cli": "5"]))
        let s = c.global.statsSockets
        #expect(s.map(\.address) == [.unixPath("/tmp/h1/stats.sock"), .inheritedFD(5), .tcp(host: "127.0.0.1", port: 9999)])
        #expect(s.map(\.level) == ["admin", "admin", "operator"] && s[0].options.mode == 0o600)
        #expect(s[1].exposeListeners && s[2].severityOutput == "string")
        #expect(c.warnings.isEmpty, "expose-fd listeners is implemented (-x): no warning")
        #expect(ConfigTestSupport.errors("global\n stats socket /x level root\n").first?.message.contains("invalid level") == true)
    }

    @Test func serverAddressForms() throws {
        let c = try ConfigParser.parse(text: "backend b\n server a 10.10.188:80\n server b my_app_1:8080\n server c $H:$P\n server d ${NOPE}:${NOPE}\n server e 127.0.0.1:0\n",
                                       file: "t.cfg", environment: ConfigEnvironment(["H": "10.1.1.1", "P": "81"]))
        let s = try #require(c.proxy(named: "b")?.servers)
        #expect(s.map { "\($0.host):\($0.port)" } == ["10.10.0.188:80", "my_app_1:8080", "10.1.1.1:81", "0.0.0.0:0", "127.0.0.1:0"])
        #expect(c.warnings.contains { $0.contains("empty address") })
    }
}
