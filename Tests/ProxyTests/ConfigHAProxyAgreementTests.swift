import Foundation
import Testing
@testable import Proxy

/// A HAProxy 2.6 configuration using every supported keyword family: ringproxy accepts it, and
/// where HAProxy is installed, `haproxy -c` accepts it too (so we do not invent syntax).
@Suite struct ConfigHAProxyAgreementTests {
    let path = ConfigTestSupport.fixture("config-haproxy26-rich.cfg")

    @Test func ringproxyAcceptsTheRichConfiguration() throws {
        let c = try ConfigParser.load(paths: [path])
        #expect(c.notes.isEmpty)
        #expect(c.warnings.count == 1)     // spread-checks is ignored, with a warning
        #expect(c.global.tune.bufferSize == 16384 && c.global.tune.maxRewrite == 1024)
        let web = try #require(c.proxy(named: "web"))
        #expect(web.binds.count == 3 && web.prometheusURI == "/metrics" && web.useBackends.count == 4)
        #expect(web.forwardFor?.header == "X-Client" && web.stats.realm == "Ring Stats")
        let api = try #require(c.proxy(named: "api"))
        #expect(api.servers.map(\.inter) == [3000, 3000, 3000] && api.servers[0].fastinter == 1000)
        #expect(api.cookie?.attrs == ["SameSite=Lax"] && api.hashType == .consistent)
        #expect(c.proxy(named: "static")?.stickRules.count == 5)
    }

    @Test func haproxyAgrees() throws {
        let haproxy = ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy", "/usr/bin/haproxy"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let haproxy else { return }     // comparison anchor not installed: nothing to compare
        let process = Process()
        process.executableURL = URL(fileURLWithPath: haproxy)
        process.arguments = ["-c", "-f", path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
