import Testing
@testable import Proxy

@Suite struct HeaderNamePolicyConfigTests {
    func parse(_ text: String) throws -> Configuration { try ConfigParser.parse(text: text, file: "t.cfg") }

    @Test func policiesAreReadAndInheritedFromDefaults() throws {
        let c = try parse("""
        defaults
          mode http
          option http-restrict-req-hdr-names delete
        frontend f
          bind :8080
          default_backend b
        backend b
          option http-restrict-req-hdr-names reject
          server s 127.0.0.1:80
        """)
        #expect(c.proxies.first { $0.name == "f" }?.rules.headerNamePolicy == .delete)
        #expect(c.proxies.first { $0.name == "b" }?.rules.headerNamePolicy == .reject)
    }

    @Test func badValuesAndFastCGIAreClearErrors() {
        #expect(throws: ConfigErrors.self) { try parse("frontend f\n  bind :8080\n  option http-restrict-req-hdr-names strip\n") }
        do {
            _ = try parse("backend b\n  use-fcgi-app php\n  server s 127.0.0.1:80\n")
            Issue.record("use-fcgi-app was accepted")
        } catch {
            #expect("\(error)".contains("FastCGI"))
        }
    }

    @Test func anUnusedFastCGISectionIsSkippedWithAWarning() throws {
        let c = try parse("fcgi-app php\n  docroot /var/www\nbackend b\n  server s 127.0.0.1:80\n")
        #expect(c.warnings.contains { $0.contains("section 'fcgi-app php' is skipped") })
        #expect(c.proxies.map(\.name) == ["b"])
    }

    @Test func theNameTestIsHAProxysCharset() {
        func restricted(_ s: String) -> Bool { Array(s.utf8).withUnsafeBytes { MessageView.isRestrictedName($0) } }
        #expect(!restricted("X-Forwarded-For"))
        #expect(!restricted("abcXYZ019-"))
        #expect(restricted("X_Forwarded-For"))
        #expect(restricted("x.dot"))
        #expect(restricted("trailing_"))
    }
}
