import Foundation
import Testing

/// Public HAProxy configurations from real projects (Tests/Fixtures/real-configs; each file's
/// first lines name its source and licence, and say how it was adapted if it was): `ringproxy -c`
/// accepts every file `haproxy -c` accepts, except the ones listed below with the reason. The
/// lists must only shrink: a listed file that ringproxy starts accepting fails the test until its
/// entry is removed (or moved), and `haproxyAgreesWithTheLists` checks what HAProxy 2.6 does.
@Suite struct RealConfigCorpusTests {
    static let directory = ProxyProcess.packageRoot + "/Tests/Fixtures/real-configs"
    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        .filter { $0.hasSuffix(".cfg") }.sorted()

    /// HAProxy 2.6 accepts these, they need no TLS, HTTP/2 or Lua, and ringproxy refuses them:
    /// ringproxy's gaps (docs/haproxy-compatibility.md, "Real configurations"). The value is what
    /// ringproxy's error names.
    static let stillRefused: [String: String] = [:]

    /// HAProxy 2.6 accepts these; ringproxy refuses them because they use what is out of its
    /// scope (TLS, Lua, HTTP/2, SOCKS4), and must say so. The value is what ringproxy's error names.
    static let outOfScope: [String: String] = [
        "haproxy-examples-socks4.cfg": "server option 'ssl' needs TLS",                  // also socks4
        "kubespray-apiserver-loadbalancer.cfg": "server option 'check-ssl' needs TLS",  // health checks over TLS
    ]

    /// HAProxy 2.6 accepts these; ringproxy refuses them only for what the `mode tcp` and
    /// stick-counter work brings (tcp-request rules…). Flip them to accepted when it lands.
    static let waitsForTCPOrStickCounters: [String: String] = [:]

    /// HAProxy 2.6 refuses these itself (TLS certificates or Lua files that are not there, keywords
    /// removed in 2.1 or 2.5, addresses on `listen` lines, host names that do not resolve, a last
    /// line without LF, keywords of later versions, no listener): ringproxy must refuse them too.
    /// The value is what HAProxy's error mentions.
    static let haproxyRefuses: [String: String] = [
        "cern-cds-videos.cfg": "SSL certificate",         // bind … ssl crt with a certificate file that is not there
        "cern-cds-ils.cfg": "SSL certificate",            // same
        "convox-rack.cfg": "SSL certificate",             // same
        "haproxy-examples-ssl.cfg": "SSL certificate",    // same
        "haproxy-examples-basic-config-edge.cfg": "SSL certificate",   // same (HTTP/2 and TLS edge example)
        "octoprint-containers.cfg": "SSL certificate",    // same, and reqrep/reqadd (gone since 2.1)
        "aareez01-rate-limiting-cors.cfg": "Lua file",    // lua-load of a file that is not there, errorfiles too
        "haproxy-examples-games.cfg": "Lua file",         // Lua applets (and a 2.8 tune.lua keyword)
        "haproxy-examples-option-http_proxy.cfg": "http_proxy",   // option http_proxy: gone since HAProxy 2.5
        "krig-haproxy14-example.cfg": "redispatch",       // HAProxy 1.4 syntax (redispatch, contimeout, listen NAME ADDR)
        "haproxy-examples-url-switching.cfg": "redispatch",        // same
        "openstack-haproxy.cfg": "contimeout",            // same
        "sockjs-node-example.cfg": "'bind' keyword",      // frontend NAME ADDR (HAProxy 1.4 syntax)
        "consul-template-haproxy.cfg": "'bind' keyword",  // listen NAME ADDR
        "haproxy-examples-acl-content-sw.cfg": "loghost", // a log host name that does not resolve
        "airvantage-pointsman.cfg": "missing port",       // an unexpanded $FRONTEND_PORT
        "ecs-sync.cfg": "reqrep",                         // reqrep (gone since 2.1), last line without LF
        "rabbitmq-cluster-docker.cfg": "Missing LF",      // last line without LF; compose service names that do not resolve
        "haproxy-examples-traces.cfg": "no listener",     // only a `.if version_atleast(3.1-dev8)` block: nothing to run (exit 2)
    ]

    /// True when no proxy of the file runs in `mode tcp` (the "HTTP-only" files of the report).
    static func isHTTPOnly(_ file: String) -> Bool {
        let text = (try? String(contentsOfFile: directory + "/" + file, encoding: .utf8)) ?? ""
        return !text.split(separator: "\n").contains { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return words.count >= 2 && words[0] == "mode" && words[1] == "tcp"
        }
    }

    static var listed: [String] {
        Array(stillRefused.keys) + Array(outOfScope.keys) + Array(waitsForTCPOrStickCounters.keys) + Array(haproxyRefuses.keys)
    }

    @Test func theCorpusIsThere() {
        #expect(Self.files.count >= 40, "\(Self.directory)")
        for name in Self.listed {
            #expect(Self.files.contains(name), "\(name) is listed but not in the corpus")
        }
        #expect(Set(Self.listed).count == Self.listed.count, "a file is in two lists")
        // The gaps are HTTP-only files (a `mode tcp` file that ringproxy refuses waits for the TCP work).
        for name in Self.stillRefused.keys { #expect(Self.isHTTPOnly(name), "\(name) uses mode tcp") }
    }

    @Test(arguments: files)
    func eachFileNamesItsSourceAndLicence(_ file: String) throws {
        let text = try String(contentsOfFile: Self.directory + "/" + file, encoding: .utf8)
        let head = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(3).map(String.init)
        #expect(head.first?.hasPrefix("# source: ") == true, "\(file): the first line must be '# source: …'")
        #expect(head.contains { $0.hasPrefix("# licence: ") }, "\(file): no '# licence:' line")
    }

    @Test(arguments: files)
    func ringproxyAcceptsWhatHAProxyAccepts(_ file: String) throws {
        let r = try ProxyProcess.run(["-c", "-f", Self.directory + "/" + file])
        if let blocker = Self.stillRefused[file] ?? Self.outOfScope[file] ?? Self.waitsForTCPOrStickCounters[file] {
            #expect(r.status != 0, "\(file) is accepted now: remove it from its list")
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
            #expect((r.stderr + r.stdout).contains(why), "\(file): expected HAProxy's error to mention \(why)\n\(r.stderr)")
        } else {
            #expect(r.status == 0, "\(file): HAProxy refuses it\n\(r.stderr)")
        }
    }
}
