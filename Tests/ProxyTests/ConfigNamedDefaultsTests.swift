import Foundation
import Testing
@testable import Proxy

/// Named defaults sections (`defaults NAME [from OTHER]`, `frontend|backend|listen X from NAME`),
/// as HAProxy 2.6 reads them; the error cases are checked against `haproxy -c` where installed.
@Suite struct ConfigNamedDefaultsTests {
    static let text = """
        defaults common
            mode http
            timeout client 5s
            timeout server 5s
            timeout connect 5s
            retries 5
        defaults other from common
            timeout client 7s
        defaults
            timeout client 9s
        frontend fe from common
            bind 127.0.0.1:18081
            default_backend be
        backend be from other
            server s1 127.0.0.1:80
        backend plain
            server s1 127.0.0.1:80

        """

    @Test func proxiesStartFromTheDefaultsTheyName() throws {
        let c = try #require(ConfigTestSupport.parse(Self.text))
        #expect(c.proxy(named: "fe")?.timeouts.client == 5000)
        let be = try #require(c.proxy(named: "be"))
        // `other` starts from `common` and changes the client timeout
        #expect(be.retries == 5 && be.timeouts.connect == 5000 && be.timeouts.server == 5000)
        // without `from`: the last defaults section read (anonymous, from scratch)
        let plain = try #require(c.proxy(named: "plain"))
        #expect(plain.retries == 3 && plain.timeouts.connect == nil)
        #expect(c.warnings.isEmpty)
    }

    @Test func defaultsFromWithoutName() throws {
        let c = try #require(ConfigTestSupport.parse("""
            defaults A
                retries 9
            defaults from A
                timeout connect 2s
            backend b
                server s 127.0.0.1:80
            """))
        let b = try #require(c.proxy(named: "b"))
        #expect(b.retries == 9 && b.timeouts.connect == 2000)
    }

    /// Cases HAProxy 2.6.12 rejects, with the message it prints (checked with haproxy -c).
    static let invalid: [(String, String)] = [
        ("""
         defaults common
             mode http
         defaults common
             mode http
         frontend fe from common
             bind 127.0.0.1:18081
         """, "ambiguous defaults section name 'common' referenced by frontend 'fe' exists at least at t.cfg:1 and t.cfg:3"),
        ("""
         defaults common
             mode http
         backend be from nothere
             server s1 127.0.0.1:80
         """, "defaults section 'nothere' not found for backend 'be'"),
        ("""
         defaults common
         frontend fe from common extra
             bind :1
         """, "unexpected argument 'extra'"),
    ]

    @Test(arguments: 0..<invalid.count) func rejected(_ i: Int) throws {
        let (text, message) = Self.invalid[i]
        let errors = ConfigTestSupport.errors(text)
        #expect(errors.contains { $0.message.contains(message) }, "\(errors)")
        if HAProxyAnchor.path != nil {
            #expect(try HAProxyAnchor.check(text).status != 0)
        }
    }

    @Test func explicitAndImplicitUseWarns() throws {
        let c = try #require(ConfigTestSupport.parse("""
            defaults common
                mode http
            frontend fe from common
                bind 127.0.0.1:18081
                default_backend be
            backend be
                server s1 127.0.0.1:80
            """))
        #expect(c.warnings.count == 1 && c.warnings[0].contains("t.cfg:6: defaults section 'common' (declared at t.cfg:1) is explicitly referenced by another proxy and implicitly used here"))
    }

    @Test(.enabled(if: HAProxyAnchor.path != nil, "haproxy 2.6 is not installed")) func haproxyAcceptsTheValidOne() throws {
        let r = try HAProxyAnchor.check(Self.text)
        #expect(r.status == 0, "\(r.output)")
    }
}

extension HAProxyAnchor {
    /// `haproxy -c -f t.cfg` on `text` (in a fresh directory, so relative paths resolve there).
    static func check(_ text: String) throws -> (status: Int32, output: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hacheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try (text.hasSuffix("\n") ? text : text + "\n").write(to: dir.appendingPathComponent("t.cfg"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        process.arguments = ["-c", "-f", "t.cfg"]
        process.currentDirectoryURL = dir
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Named defaults sections that define TCP/HTTP rules: who may inherit them (reg-test
/// startup/default_rules.vtc), with HAProxy 2.6.12's messages; each case is checked with
/// `haproxy -c` where installed.
@Suite struct ConfigDefaultsRulesTests {
    static let cases: [(String, String)] = [
        ("""
         defaults invalid
             tcp-response inspect-delay 5s
             tcp-response content accept
         defaults from invalid
             mode tcp
         """, "a defaults section cannot inherit from a defaults section defining TCP/HTTP rules (defaults section at t.cfg:1)."),
        ("""
         defaults invalid
             tcp-request inspect-delay 5s
             tcp-request content accept
         listen li from invalid
             mode tcp
             bind 127.0.0.1:18090
             server www 127.0.0.1:80
         """, "a listen section cannot inherit from a defaults section defining TCP/HTTP rules."),
        ("""
         defaults invalid
             tcp-request inspect-delay 5s
             tcp-request content accept
         frontend fe from invalid
             mode tcp
             bind 127.0.0.1:18091
             default_backend be
         backend be from invalid
             mode tcp
             server www 127.0.0.1:80
         """, "frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at t.cfg:1)."),
        ("""
         defaults invalid
             tcp-request connection accept
         backend be from invalid
             mode tcp
             server www 127.0.0.1:80
         """, "a backend section cannot inherit from a defaults section defining 'tcp-request connection' or 'tcp-request session' rules (defaults section at t.cfg:1)."),
        ("""
         defaults invalid
             tcp-response inspect-delay 5s
             tcp-response content accept
         frontend fe from invalid
             mode tcp
             bind 127.0.0.1:18092
         """, "a frontend section cannot inherit from a defaults section defining 'tcp-response content' rules (defaults section at t.cfg:1)."),
    ]

    @Test(arguments: 0..<cases.count) func rejected(_ i: Int) throws {
        let (text, message) = Self.cases[i]
        let errors = ConfigTestSupport.errors(text)
        #expect(errors.contains { $0.description.contains(message) }, "\(errors)")
        if HAProxyAnchor.path != nil {
            let r = try HAProxyAnchor.check(text)
            #expect(r.status != 0 && r.output.contains(message), "\(r.output)")
        }
    }

    @Test func backendsAndFrontendsFromTheirOwnRuleDefaults() throws {
        let text = """
            defaults tcp
                tcp-response inspect-delay 5s
                tcp-response content accept
            backend be from tcp
                mode http
                server www 127.0.0.1:80
            defaults fr
                mode http
                http-request set-header x-test1 "%[fe_name]"
            frontend fe from fr
                bind 127.0.0.1:18093
                default_backend be
            """
        let c = try #require(ConfigTestSupport.parse(text))
        #expect(c.proxy(named: "be")?.tcpRules.response.count == 1)
        #expect(c.proxy(named: "fe")?.rules.httpRequest.count == 1)
        if HAProxyAnchor.path != nil {
            let r = try HAProxyAnchor.check(text)
            #expect(r.status == 0 && !r.output.contains("ALERT"), "\(r.output)")
        }
    }
}
