import Foundation
import Testing
@testable import Proxy

/// Server lines and the proxy keywords around them: addresses, every option read into the model,
/// every problem of a line reported in one run, `track` checks (HAProxy's messages), dispatch,
/// source, the init-addr policy and the engine's server table.
@Suite struct ConfigServerOptionsTests {
    func backend(_ body: String) -> ProxyConfig? {
        ConfigTestSupport.parse(ConfigTestSupport.backend(body))?.proxy(named: "b")
    }

    @Test func addresses() throws {
        let b = try #require(backend("""
             server a unix@/tmp/app.sock
             server p /run/app.sock
             server n abns@app
             server v4 ipv4@localhost:81
             server short 10.10.188:82
             server under my_app.internal:83
            """))
        #expect(b.servers[0].options.socket == .unixPath("/tmp/app.sock"))
        #expect(b.servers[1].options.socket == .unixPath("/run/app.sock"))
        #expect(b.servers[2].options.socket == .abstractNamespace("app"))
        #expect(b.servers[3].host == "localhost" && b.servers[3].port == 81 && b.servers[3].options.addressFamily == 4)
        #expect(b.servers[4].host == "10.10.0.188" && b.servers[4].port == 82)
        #expect(b.servers[5].host == "my_app.internal")
    }

    @Test func optionsIntoTheModel() throws {
        let b = try #require(backend("""
             fullconn 100
             server s 127.0.0.1:80 check id 7 minconn 5 maxconn 50 maxqueue 10 on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions pool-max-conn 3 pool-low-conn 1 pool-purge-delay 15min max-reuse 20 source 127.0.0.2:2000-2010 redir http://cdn.example.com init-addr last,libc,none,10.0.0.1 resolve-prefer ipv4 non-stick tfo tcp-ut 20s
             server t 127.0.0.1:81 track s
            """))
        let o = b.servers[0].options
        #expect(o.id == 7 && o.minconn == 5 && b.servers[0].maxconn == 50 && o.maxqueue == 10)
        #expect(o.shutdownSessionsWhenDown && o.shutdownBackupSessionsWhenUp)
        #expect(o.poolMaxConn == 3 && o.poolLowConn == 1 && o.poolPurgeDelay == 900_000 && o.maxReuse == 20)
        #expect(o.source == SourceAddress(host: "127.0.0.2", ports: 2000...2010))
        #expect(o.redirectPrefix == "http://cdn.example.com" && o.initAddr == ["last", "libc", "none", "10.0.0.1"])
        #expect(o.resolvePrefer == "ipv4" && o.nonStick && o.tfo && o.tcpUserTimeout == 20_000)
        #expect(b.servers[1].options.track == TrackedServer(backend: nil, server: "s"))
        #expect(b.identity.fullconn == 100)
    }

    @Test func everyProblemOfALineInOneRun() {
        let errors = ConfigTestSupport.errors(ConfigTestSupport.backend(" server s 127.0.0.1:80 chek weight 999 proxy-v2-options ssl agent-port 0 maxconn x"))
        let text = errors.map(\.message)
        #expect(errors.count == 5, "\(text)")
        #expect(text.contains { $0.contains("unknown server option 'chek' (did you mean 'check'?)") })
        #expect(text.contains { $0.contains("weight") })
        #expect(text.contains { $0.contains("'proxy-v2-options ssl' describes a TLS connection") })
        #expect(text.contains { $0.contains("port") && !$0.contains("weight") && !$0.contains("maxconn") })
        #expect(text.contains { $0.contains("maxconn") })
    }

    @Test func lenientDurationsWarnAsHAProxy() throws {
        let c = try #require(ConfigTestSupport.parse("defaults\n timeout client 15min\n timeout server 1d\n timeout connect 5s\n"))
        // `15min` is 15 minutes (the unit is `m`; HAProxy warns about the rest), `1d` a day
        let d = try ConfigParser.parse(text: "defaults\n timeout client 15min\nbackend b\n server s 127.0.0.1:1\n", file: "t.cfg")
        #expect(d.proxy(named: "b")?.timeouts.client == nil)     // a backend has no client timeout
        #expect(c.warnings.count == 1 && c.warnings[0].contains("unexpected character 'i' after the timer value '15min'"))
        #expect(ConfigUnits.time("1d") == .value(86_400_000, trailing: nil))
        #expect(ConfigUnits.time("25d") == .overflow)
        #expect(ConfigUnits.time("10us") == .value(1, trailing: nil))
        #expect(ConfigUnits.time("5x") == .invalid)
    }

    @Test func trackIsCheckedAsHAProxy() {
        // the messages HAProxy 2.6.12 prints for the same file (haproxy -c)
        let text = """
            defaults
                mode http
            backend b1
                server s1 127.0.0.1:80 check
                server s2 127.0.0.1:81 track s1
                server s3 127.0.0.1:81 track b2/t1
                server s4 127.0.0.1:81 track s5
                server s5 127.0.0.1:81 track s4
            backend b2
                server t1 127.0.0.1:80
                server t2 127.0.0.1:80 track b1/s1 check
                server t3 127.0.0.1:80 track nope/s1
                server t4 127.0.0.1:80 track b1/nope
            """
        let errors = ConfigTestSupport.errors(text).map(\.description)
        #expect(errors == [
            "t.cfg:6: 'server': 'server b1/s3' : unable to use b2/t1 for tracking as it does not have any check nor agent enabled.",
            "t.cfg:8: 'server': 'server b1/s5' : unable to track b1/s4 as it belongs to a tracking chain looping back to b1/s5.",
            "t.cfg:11: 'server': 'server b2/t2' : unable to enable checks and tracking at the same time!",
            "t.cfg:12: 'server': 'server b2/t3' : unable to find required proxy 'nope' for tracking.",
            "t.cfg:13: 'server': 'server b2/t4' : unable to find required server 'nope' for tracking.",
        ])
    }

    @Test func trackedSlotsFollowChains() throws {
        let c = try #require(ConfigTestSupport.parse("""
            backend b1
                server s1 127.0.0.1:80 check
                server s2 127.0.0.1:81 track s1
            backend b2
                server t1 127.0.0.1:80 track b1/s2
                server t2 127.0.0.1:80
            """))
        // each server's direct target; the state table follows the chain to its end
        #expect(TrackChecks.trackedSlots(c) == [nil, 0, 1, nil])
        let table = ServerStateTable(configuration: c, nowMs: 0)
        #expect((0..<4).map { table.trackedEnd($0) } == [0, 0, 0, 3])
    }

    @Test func dispatch() throws {
        let c = try #require(ConfigTestSupport.parse("""
            defaults
                mode http
            listen l
                bind :8080
                dispatch 127.0.0.1:9000
            listen m
                bind :8081
                balance roundrobin
                dispatch 127.0.0.1:9000
                server s 127.0.0.1:9001
            """))
        #expect(c.proxy(named: "l")?.identity.dispatch?.port == 9000)
        #expect(c.warnings == ["t.cfg:9: dispatch address of proxy 'm' will be ignored in balance mode."])
        let t = Topology(c)
        #expect(t.dispatchAddresses.map(\.port) == [9000] && t.backends[0].dispatch == 1 && t.backends[1].dispatch == nil)
        let missingPort = ConfigTestSupport.errors("backend b\n dispatch 127.0.0.1\n")
        #expect(missingPort.first?.message == "missing port specification in '127.0.0.1'")
        #expect(ConfigTestSupport.errors("defaults\n dispatch 127.0.0.1:80\n").first?.message.contains("not allowed in a 'defaults' section") == true)
    }

    @Test func sourceKeywordAndOption() throws {
        let b = try #require(backend(" source 127.0.0.3\n server s 127.0.0.1:80\n server t 127.0.0.1:80 source 0.0.0.0:1024"))
        #expect(b.connection.source == SourceAddress(host: "127.0.0.3"))
        #expect(b.servers[1].options.source == SourceAddress(host: "0.0.0.0", ports: 1024...1024))
        // usesrc: a foreign source, as a proxy keyword and as a server option, no warning
        let u = try #require(ConfigTestSupport.parse(ConfigTestSupport.backend(" source 127.0.0.3 usesrc clientip\n server s 127.0.0.1:80\n server t 127.0.0.1:80 source 0.0.0.0 usesrc 10.1.2.3:99\n server v 127.0.0.1:80 source 0.0.0.0 usesrc client")))
        var expected = SourceAddress(host: "127.0.0.3"); expected.usesrc = .clientIP
        #expect(u.proxy(named: "b")?.connection.source == expected)
        #expect(u.proxy(named: "b")?.servers[1].options.source?.usesrc == .address(host: "10.1.2.3", port: 99))
        #expect(u.proxy(named: "b")?.servers[2].options.source?.usesrc == .client)
        #expect(u.warnings.isEmpty)
        #expect(ConfigTestSupport.errors(ConfigTestSupport.backend(" source 0.0.0.0 usesrc hdr_ip(x-forwarded-for)\n server s 127.0.0.1:80")).first?.message.contains("not implemented yet") == true)
        #expect(ConfigTestSupport.errors(ConfigTestSupport.backend(" source 0.0.0.0 usesrc nowhere\n server s 127.0.0.1:80")).first?.message.contains("invalid 'usesrc' argument 'nowhere'") == true)
        #expect(ConfigTestSupport.errors(ConfigTestSupport.backend(" server s 127.0.0.1:80 usesrc client")).first?.message.contains("requires a 'source'") == true)
        #expect(ConfigTestSupport.errors(ConfigTestSupport.backend(" source 127.0.0.3 usesrc\n server s 127.0.0.1:80")).first?.message.contains("missing address after 'usesrc'") == true)
        #expect(ConfigTestSupport.errors(ConfigTestSupport.backend(" source 127.0.0.3 usesrc client x\n server s 127.0.0.1:80")).first?.message.contains("unexpected argument 'x'") == true)
    }

    /// HAProxy's start-up warning for options needing full privileges: not root (or, in
    /// ringproxy, root without CAP_NET_ADMIN and CAP_NET_RAW) with a `usesrc` somewhere; nothing otherwise.
    @Test func usesrcPrivilegesWarning() throws {
        let u = try #require(ConfigTestSupport.parse(ConfigTestSupport.backend(" server s 127.0.0.1:80 source 0.0.0.0 usesrc clientip")))
        let plain = try #require(ConfigTestSupport.parse(ConfigTestSupport.backend(" source 127.0.0.3\n server s 127.0.0.1:80")))
        let text = "[haproxy.main()] Some options which require full privileges might not work well."
        #expect(UseSourcePrivileges.startupWarning(u, program: "haproxy", uid: 1000, effective: 0) == text)
        #expect(UseSourcePrivileges.startupWarning(u, program: "haproxy", uid: 0, effective: 0) == text)
        #expect(UseSourcePrivileges.startupWarning(u, program: "haproxy", uid: 0, effective: 1 << 12) == nil)
        #expect(UseSourcePrivileges.startupWarning(u, program: "haproxy", uid: 0, effective: 1 << 13) == nil)
        #expect(UseSourcePrivileges.startupWarning(plain, program: "haproxy", uid: 1000, effective: 0) == nil)
        #expect(UseSourceAlert.line(backend: "be").hasSuffix(" : Cannot bind to tproxy source address before connect() for backend be. Aborting.\n"))
    }

    @Test func initAddrPolicy() {
        let none: InitAddrPolicy.Lookup = { _, _ in nil }
        let found: InitAddrPolicy.Lookup = { host, family in host == "web" ? (family == 6 ? "::1" : "10.0.0.5") : nil }
        #expect(InitAddrPolicy.resolve(host: "web", methods: ["last", "libc"], family: nil, dontFail: false, lookup: found) == .address("10.0.0.5", fellBack: false))
        #expect(InitAddrPolicy.resolve(host: "web", methods: ["libc"], family: 6, dontFail: false, lookup: found) == .address("::1", fellBack: false))
        #expect(InitAddrPolicy.resolve(host: "x", methods: ["last", "libc"], family: nil, dontFail: false, lookup: none) == .failure)
        #expect(InitAddrPolicy.resolve(host: "x", methods: ["last", "libc"], family: nil, dontFail: true, lookup: none) == .maintenance)
        #expect(InitAddrPolicy.resolve(host: "x", methods: ["libc", "none"], family: nil, dontFail: false, lookup: none) == .maintenance)
        #expect(InitAddrPolicy.resolve(host: "x", methods: ["libc", "192.0.2.1"], family: nil, dontFail: false, lookup: none) == .address("192.0.2.1", fellBack: true))
        var c = ConfigTestSupport.parse("backend b\n server a web:80\n server z nowhere:80 init-addr libc,none\n server q nowhere:80\n dispatch web:90\n")!
        let (notices, failures) = InitAddrPolicy.apply(&c, dontFail: false, lookup: found)
        let s = c.proxies[0].servers
        #expect(s[0].host == "10.0.0.5" && s[0].options.hostname == "web")
        #expect(s[1].disabled && s[1].options.unresolved && notices.count == 1)
        #expect(failures.map(\.description) == ["t.cfg:4: server 'b/q': could not resolve address 'nowhere' (add 'init-addr last,libc,none' to start without it, or run with -dr)."])
        #expect(c.proxies[0].identity.dispatch?.host == "10.0.0.5")
    }

    @Test func engineServerTable() throws {
        let c = try #require(ConfigTestSupport.parse("""
            global
                maxconn 1000
            defaults
                mode http
            frontend f
                bind :80
                maxconn 300
                default_backend b
            frontend g
                bind :81
                use_backend b if { path /x }
                use_backend c if { path /y }
            backend b
                option srvtcpka
                option nolinger
                server s 127.0.0.1:80 minconn 5 maxconn 50 maxqueue 10 pool-max-conn 0 pool-purge-delay 0 max-reuse 0 source 127.0.0.2
                server t 127.0.0.1:81 minconn 20
            backend c
                fullconn 77
                server u 127.0.0.1:82 minconn 1 maxconn 2 pool-max-conn 4 max-reuse -1 tcp-ut 3s
            """))
        let t = EngineServerTable.build(c, Topology(c))
        // fullconn: a tenth of the frontends that reach b (300 + the global 1000), rounded up
        #expect(t[0].minconn == 5 && t[0].maxconn == 50 && t[0].backendFullconn == 130 && t[0].backendServers == 0..<2)
        #expect(t[0].maxqueue == 10 && t[0].idleMax == -1 && t[0].idlePurgeMs == -1)
        #expect(t[0].keepAlive && t[0].noLinger && t[0].source == SourceAddress(host: "127.0.0.2"))
        // minconn alone is a fixed limit (HAProxy turns it into maxconn)
        #expect(t[1].minconn == 0 && t[1].maxconn == 20)
        #expect(t[2].backendFullconn == 77 && t[2].idleMax == 4 && t[2].userTimeoutMs == 3000 && !t[2].keepAlive)
    }

    @Test func modeTCPIsRun() throws {
        let c = try #require(ConfigTestSupport.parse("defaults\n mode tcp\nlisten l\n bind :1\n server s 127.0.0.1:2\n"))
        #expect(NotImplementedYet.warnings(c).isEmpty)
    }
}
