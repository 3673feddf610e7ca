import Foundation
import Testing

/// Public HAProxy configurations from real projects (Tests/Fixtures/real-configs; each file's
/// first lines name its source and licence): `ringproxy -c` accepts every file `haproxy -c`
/// accepts, except the few listed in `stillRefused`, each with the keyword that blocks it.
/// That list must only shrink: a listed file that ringproxy starts accepting fails the test
/// until its entry is removed.
@Suite struct RealConfigCorpusTests {
    static let directory = ProxyProcess.packageRoot + "/Tests/Fixtures/real-configs"
    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        .filter { $0.hasSuffix(".cfg") }.sorted()

    /// HAProxy 2.6 accepts these; ringproxy does not yet. The value is what ringproxy's error
    /// names (the blocking keyword).
    static let stillRefused: [String: String] = [
        "haproxy-examples-auth.cfg": "'stats': unknown 'stats' argument 'scope'",   // userlist/http_auth work (rules); stats scope does not yet
    ]

    /// HAProxy 2.6 refuses these itself (TLS certificates that are not there, keywords removed
    /// in 2.1 or 2.5, addresses on `listen` lines): ringproxy must refuse them too.
    static let haproxyRefuses: [String: String] = [
        "cern-cds-videos.cfg": "SSL certificate",         // bind … ssl crt with a certificate file that is not there
        "convox-rack.cfg": "SSL certificate",             // same
        "haproxy-examples-option-http_proxy.cfg": "http_proxy",   // option http_proxy: gone since HAProxy 2.5
        "krig-haproxy14-example.cfg": "redispatch",       // HAProxy 1.4 syntax (redispatch, contimeout, listen NAME ADDR)
        "sockjs-node-example.cfg": "'bind' keyword",      // frontend NAME ADDR (HAProxy 1.4 syntax)
    ]

    @Test func theCorpusIsThere() {
        #expect(Self.files.count >= 10, "\(Self.directory)")
        for name in Array(Self.stillRefused.keys) + Array(Self.haproxyRefuses.keys) {
            #expect(Self.files.contains(name), "\(name) is listed but not in the corpus")
        }
    }

    @Test(arguments: files)
    func eachFileNamesItsSourceAndLicence(_ file: String) throws {
        let text = try String(contentsOfFile: Self.directory + "/" + file, encoding: .utf8)
        let head = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(3).map(String.init)
        #expect(head.contains { $0.hasPrefix("# source: ") }, "\(file): no '# source:' line")
        #expect(head.contains { $0.hasPrefix("# licence: ") }, "\(file): no '# licence:' line")
    }

    @Test(arguments: files)
    func ringproxyAcceptsWhatHAProxyAccepts(_ file: String) throws {
        let r = try ProxyProcess.run(["-c", "-f", Self.directory + "/" + file])
        if let blocker = Self.stillRefused[file] {
            #expect(r.status != 0, "\(file) is accepted now: remove it from stillRefused")
            #expect(r.stderr.contains(blocker), "\(file): expected an error naming \(blocker)\n\(r.stderr)")
        } else if Self.haproxyRefuses[file] != nil {
            #expect(r.status != 0, "\(file): HAProxy 2.6 refuses it, ringproxy accepted it\n\(r.stderr)")
        } else {
            #expect(r.status == 0, "\(file): HAProxy 2.6 accepts it, ringproxy refused it\n\(r.stderr)")
        }
    }

    /// The lists above say what HAProxy 2.6 does with each file: checked against it.
    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed"), arguments: files)
    func haproxyAgreesWithTheLists(_ file: String) throws {
        let exe = try #require(HAProxyProcess.executable)
        let r = try ProxyProcess.run(["-c", "-f", Self.directory + "/" + file], binary: exe)
        if let why = Self.haproxyRefuses[file] {
            #expect(r.status != 0, "\(file): HAProxy accepts it; remove it from haproxyRefuses")
            #expect(r.stderr.contains(why), "\(file): expected HAProxy's error to mention \(why)\n\(r.stderr)")
        } else {
            #expect(r.status == 0, "\(file): HAProxy refuses it\n\(r.stderr)")
        }
    }
}
