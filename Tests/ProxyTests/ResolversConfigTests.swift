import Foundation
import Testing
@testable import Proxy

/// `resolvers` sections, `server-template`, the servers' resolution options, the plan that
/// gives answers to slots, and libresolv's parsing of malformed answers (CResolv).
@Suite struct ResolversConfigTests {
    static let section = """
        resolvers dns
            nameserver ns1 10.0.0.1:5353
            nameserver ns2 10.0.0.2
            resolve_retries 5
            timeout resolve 2s
            timeout retry 300ms
            hold valid 20s
            hold nx 5s
            hold obsolete 1s
            accepted_payload_size 4096

        """

    @Test func sectionIntoTheModel() throws {
        let c = try #require(ConfigTestSupport.parse(Self.section + ConfigTestSupport.backend(" server s 127.0.0.1:80 resolvers dns")))
        let r = try #require(c.resolvers.first)
        #expect(r.name == "dns" && r.nameservers.map { "\($0.name)=\($0.host):\($0.port)" } == ["ns1=10.0.0.1:5353", "ns2=10.0.0.2:53"])
        #expect(r.resolveRetries == 5 && r.timeoutResolve == 2000 && r.timeoutRetry == 300 && r.acceptedPayloadSize == 4096)
        #expect(r.holdValid == 20_000 && r.hold["nx"] == 5000 && r.hold["obsolete"] == 1000 && r.hold["refused"] == 30_000)
        #expect(c.proxy(named: "b")?.servers[0].options.resolution?.resolvers == "dns")
    }

    @Test func anUnsetVariableReadsAsAnyAddress() throws {
        // The corpus' `nameserver kubedns ${DNS}:53` with DNS unset: HAProxy accepts it too.
        let c = try #require(ConfigTestSupport.parse("resolvers kube\n nameserver kubedns ${RP_UNSET_DNS_VARIABLE}:53\n"))
        #expect(c.resolvers[0].nameservers[0].host == "0.0.0.0" && c.resolvers[0].nameservers[0].port == 53)
    }

    @Test func unsupportedOrWrongLinesAreErrors() {
        let cases: [(String, String)] = [
            ("resolvers r\n nameserver n tcp@10.0.0.1:53\n", "over TCP"),
            ("resolvers r\n nameserver n [::1]:53\n", "IPv6 name servers"),
            ("resolvers r\n nameserver n 10.0.0.1:53\n nameserver n 10.0.0.2:53\n", "already exists"),
            ("resolvers r\n nameserver n 10.0.0.1:53\n hold forever 1s\n", "hold status"),
            ("resolvers r\n nameserver n 10.0.0.1:53\n accepted_payload_size 100\n", "accepted_payload_size"),
            ("resolvers r\n nameserver n 10.0.0.1:53\n resolution_pool_size 10\n", "unknown keyword in a 'resolvers' section"),
            ("resolvers r\n", "no nameserver configured"),
            (ConfigTestSupport.backend(" server s a.example:80 resolvers nope init-addr none"), "unable to find required resolvers 'nope'"),
            (ConfigTestSupport.backend(" server s 127.0.0.1:80 resolve-opts allow-dup-ip,bogus"), "unknown option 'bogus'"),
            (ConfigTestSupport.backend(" server s 127.0.0.1:80 resolve-net 10.0.0.0/33"), "invalid network"),
            (ConfigTestSupport.backend(" server-template www 0 a.example:80"), "Wrong range"),
            (ConfigTestSupport.backend(" server-template www 3"), "expects <prefix>"),
        ]
        for (text, want) in cases {
            let errors = ConfigTestSupport.errors(text).map(\.message)
            #expect(errors.contains { $0.contains(want) }, "\(text): \(errors)")
        }
    }

    @Test func serverTemplateMakesNumberedServers() throws {
        let c = try #require(ConfigTestSupport.parse(Self.section + ConfigTestSupport.backend("""
             server-template www 3 _http._tcp.app.example resolvers dns check inter 1s
             server-template api 5-6 10.0.0.9:8080 weight 7
            """)))
        let servers = try #require(c.proxy(named: "b")).servers
        #expect(servers.map(\.name) == ["www1", "www2", "www3", "api5", "api6"])
        #expect(servers[0].check && servers[0].inter == 1000 && servers[4].weight == 7 && servers[4].port == 8080)
        #expect(servers[2].options.template == ServerTemplateOrigin(prefix: "www", fqdn: "_http._tcp.app.example", location: servers[2].options.template!.location))
        #expect(servers[0].options.template?.isSRV == true && servers[3].options.template?.isSRV == false)
    }

    @Test func srvSlotsWaitForTheResolvers() throws {
        var c = try #require(ConfigTestSupport.parse(Self.section + ConfigTestSupport.backend(" server-template www 2 _http._tcp.app.example resolvers dns")))
        let (notices, failures) = InitAddrPolicy.apply(&c, dontFail: false) { _, _ in nil }
        #expect(failures.isEmpty && notices.isEmpty, "\(failures) \(notices)")
        let s = c.proxy(named: "b")!.servers
        #expect(s.allSatisfy { $0.options.unresolved && !$0.disabled && $0.options.hostname == "_http._tcp.app.example" })
        let table = ServerStateTable(configuration: c)
        #expect(table.status(0).admin == [.resolutionMaint] && table.status(0).op == .stopped)
        // Without a resolvers section, an SRV label is a host name libc cannot resolve (as HAProxy).
        var d = try #require(ConfigTestSupport.parse(ConfigTestSupport.backend(" server s _http._tcp.app.example")))
        #expect(InitAddrPolicy.apply(&d, dontFail: false) { _, _ in nil }.failures.count == 1)
    }

    @Test func serverResolutionOptions() throws {
        let c = try #require(ConfigTestSupport.parse(Self.section + ConfigTestSupport.backend(" server s app.example:80 resolvers dns resolve-net 10.0.0.0/8,192.168.1.0/24 resolve-opts allow-dup-ip,ignore-weight resolve-prefer ipv4 init-addr last,libc,none")))
        let o = try #require(c.proxy(named: "b")).servers[0].options
        #expect(o.resolution?.networks == ["10.0.0.0/8", "192.168.1.0/24"] && o.resolution?.allowDuplicateIP == true && o.resolution?.ignoreWeight == true)
        #expect(o.resolvePrefer == "ipv4" && o.initAddr == ["last", "libc", "none"])
    }

    // MARK: the plan

    func t(_ a: String, _ p: Int? = nil) -> ResolvedTarget { ResolvedTarget(address: a, port: p) }

    @Test func slotsKeepTheirAddressAndNewOnesFillFreeSlots() {
        let cur: [ResolvedTarget?] = [t("10.0.0.1"), t("10.0.0.2"), nil]
        #expect(ResolutionPlan.assign(current: cur, answer: [t("10.0.0.3"), t("10.0.0.1")], allowDuplicates: false)
                == [t("10.0.0.1"), t("10.0.0.3"), nil])
        #expect(ResolutionPlan.assign(current: cur, answer: [], allowDuplicates: false) == [nil, nil, nil])
        // prevent-dup-ip (default): one address, one slot; allow-dup-ip: every slot.
        let same: [ResolvedTarget?] = [t("10.0.0.1"), t("10.0.0.1")]
        #expect(ResolutionPlan.assign(current: same, answer: [t("10.0.0.1")], allowDuplicates: false) == [t("10.0.0.1"), nil])
        #expect(ResolutionPlan.assign(current: same, answer: [t("10.0.0.1")], allowDuplicates: true) == [t("10.0.0.1"), t("10.0.0.1")])
        // SRV: the same address on two ports is two targets.
        #expect(ResolutionPlan.assign(current: [nil, nil], answer: [t("127.0.0.1", 81), t("127.0.0.1", 82)], allowDuplicates: false)
                == [t("127.0.0.1", 81), t("127.0.0.1", 82)])
    }

    @Test func addressPreference() {
        let r = [DNSRecord(kind: .a, owner: "x", address: "192.168.1.5"), DNSRecord(kind: .aaaa, owner: "x", address: "::1"),
                 DNSRecord(kind: .a, owner: "x", address: "10.1.2.3")]
        #expect(ResolutionPlan.addresses(r, preferIPv6: true, networks: []) == ["::1", "192.168.1.5", "10.1.2.3"])
        #expect(ResolutionPlan.addresses(r, preferIPv6: false, networks: []) == ["192.168.1.5", "10.1.2.3", "::1"])
        #expect(ResolutionPlan.addresses(r, preferIPv6: false, networks: [IPv4Network("10.0.0.0/8")!]) == ["10.1.2.3", "192.168.1.5", "::1"])
    }

    @Test func srvTargetsUseAdditionalRecordsThenAsk() {
        let r = [DNSRecord(kind: .srv, owner: "_s._tcp.x", target: "b.x", port: 82, priority: 10),
                 DNSRecord(kind: .srv, owner: "_s._tcp.x", target: "a.x", port: 81, priority: 0),
                 DNSRecord(kind: .a, owner: "a.x.", address: "10.0.0.1")]
        var asked: [String] = []
        let targets = ResolutionPlan.srvTargets(r, preferIPv6: false, networks: []) { name in
            asked.append(name)
            return name == "b.x" ? [DNSRecord(kind: .a, owner: "b.x", address: "10.0.0.2")] : []
        }
        #expect(targets == [ResolvedTarget(address: "10.0.0.1", port: 81, hostname: "a.x", weight: 0), ResolvedTarget(address: "10.0.0.2", port: 82, hostname: "b.x", weight: 0)])
        #expect(asked == ["b.x"])
    }

    // MARK: answers (libresolv's parser)

    /// An answer for `a.x` A with one record, id 0x1234.
    static let goodAnswer: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
                                      1, 0x61, 1, 0x78, 0, 0, 1, 0, 1,
                                      0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 7]

    @Test func wellFormedAnswer() {
        #expect(DNSClient.parse(Self.goodAnswer) == .records([DNSRecord(kind: .a, owner: "a.x", address: "10.0.0.7")]))
        var nx = Self.goodAnswer
        nx[3] = 0x83
        #expect(DNSClient.parse(nx) == .nx)
    }

    @Test func malformedAnswersAreErrors() {
        var cases: [[UInt8]] = []
        for n in [0, 5, 12, 20, Self.goodAnswer.count - 1] { cases.append(Array(Self.goodAnswer.prefix(n))) }   // truncated
        var loop = Self.goodAnswer; loop[21] = 0xC0; loop[22] = 21          // a pointer to itself
        cases.append(loop)
        var far = Self.goodAnswer; far[22] = 0xF0                            // a pointer past the end
        cases.append(far)
        var badLength = Self.goodAnswer; badLength[32] = 9                   // rdlength past the end
        cases.append(badLength)
        var shortA = Self.goodAnswer; shortA[32] = 3; shortA.removeLast()   // an A record of 3 bytes
        cases.append(shortA)
        var manyAnswers = Self.goodAnswer; manyAnswers[7] = 200              // claims 200 answers
        cases.append(manyAnswers)
        // An SRV record whose target name runs past the end.
        let srv: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0x61, 0, 0, 33, 0, 1,
                            0xC0, 0x0C, 0, 33, 0, 1, 0, 0, 0, 60, 0, 8, 0, 0, 0, 0, 0, 80, 9, 0x62]
        cases.append(srv)
        for (i, c) in cases.enumerated() {
            #expect(DNSClient.parse(c).records.isEmpty, "case \(i)")
        }
    }
}
