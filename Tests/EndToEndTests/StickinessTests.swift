// The reference configuration end to end (issue 4): each Host of seed.cfg behaves as HAProxy
// does, each kind of persistence holds for 100 clients × 20 requests, clients move when their
// server goes DOWN, and (where HAProxy is installed) the same clients reach the same servers
// behind ringproxy and behind HAProxy 2.6.
import Foundation
import Testing
import Proxy

/// A client that keeps the cookies it is given, as a browser does.
final class CookieJarClient {
    var cookies: [(String, String)] = []
    let topology: ReferenceTopology
    let source: String?
    init(_ t: ReferenceTopology, source: String? = nil) { topology = t; self.source = source }

    func get(host: String, path: String = "/") throws -> RawHTTP.Response {
        var headers: [(String, String)] = []
        if !cookies.isEmpty { headers.append(("Cookie", cookies.map { "\($0.0)=\($0.1)" }.joined(separator: "; "))) }
        let r = try topology.get(host: host, path: path, headers: headers, source: source)
        for v in r.headers(named: "Set-Cookie") {
            let pair = v.split(separator: ";", maxSplits: 1).first.map(String.init) ?? v
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { continue }
            cookies.removeAll { $0.0 == kv[0] }
            cookies.append((kv[0], kv[1]))
        }
        return r
    }
}

/// The seed topology under ringproxy, with faster health checks so DOWN is seen quickly.
func startSeed(_ t: ReferenceTopology, fixture: String = "seed.cfg", fastChecks: Bool = true) throws -> ProxyProcess {
    var config = try t.config(fixture: fixture)
    if fastChecks { config = config.replacingOccurrences(of: "inter 1500", with: "inter 100") }
    return try ProxyProcess(config: config, waitForPorts: [t.frontPort, t.statsPort, t.monitorPort])
}

@Suite(.serialized) struct StickinessTests {
    @Test func eachHostOfTheReferenceConfig() throws {
        let t = try ReferenceTopology(behaviour: .echo)
        let p = try startSeed(t)
        defer { _ = p.stop() }
        // cookie: first answer inserts SESSION_COOKIE after the server's headers, with nocache
        let first = try t.get(host: "cookie.9ai9.net", path: "/a")
        #expect(first.status == 200)
        #expect(first.header("X-Server") == "REALsrv_70")
        let names = first.headers.map { $0.name.lowercased() }
        #expect(first.headers(named: "Set-Cookie") == ["SESSION_COOKIE=11; path=/"])
        #expect(first.header("Cache-control") == "private")
        #expect(names.firstIndex(of: "set-cookie")! > names.firstIndex(of: "x-server")!)
        // a valid cookie is used and stripped before the server
        let hit = try t.get(host: "cookie.9ai9.net", path: "/b", headers: [("Cookie", "a=1; SESSION_COOKIE=12; b=2")])
        #expect(hit.header("X-Server") == "REALsrv_120")
        #expect(hit.headers(named: "Set-Cookie").isEmpty)
        #expect(hit.bodyText.contains("Cookie: a=1; b=2"))
        #expect(!hit.bodyText.contains("SESSION_COOKIE"))
        // sourceip: even last octet → REALsrv_70, odd → REALsrv_120 (spec §8.1)
        #expect(try t.get(host: "sourceip.9ai9.net").header("X-Server") == "REALsrv_120")
        #expect(try t.get(host: "sourceip.9ai9.net", source: "127.0.0.2").header("X-Server") == "REALsrv_70")
        #expect(try t.get(host: "sourceip.9ai9.net", source: "127.0.0.3").header("X-Server") == "REALsrv_120")
        // nosession: strict alternation
        let rr = try (0..<4).map { _ in try t.get(host: "nosession.9ai9.net").header("X-Server") ?? "" }
        #expect(rr[0] != rr[1] && rr[0] == rr[2] && rr[1] == rr[3])
        // the unanchored regex also matches these, as in HAProxy
        #expect(try t.get(host: "COOKIE.9AI9.NET:8080").status == 200)
        #expect(try t.get(host: "cookie.9ai9.net.evil.com").status == 200)
        // no ACL matches → 503 <NOSRV>
        let none = try t.get(host: "www.example.com")
        #expect(none.status == 503)
        #expect(try t.get(host: "www.cookie.9ai9.net").status == 503)
        // the log line of the 503 says <NOSRV> and SC--
        let logs = t.syslog.waitForMessages(count: 14, timeout: .seconds(3))
        #expect(logs.contains { $0.contains("WEB_SITE WEB_SITE/<NOSRV>") && $0.contains(" SC-- ") })
        #expect(logs.contains { $0.contains("WEB_SITE COOKIE_srv/REALsrv_70") && $0.contains(" --NI ") })
    }

    @Test func appsessionLearnsTheApplicationsCookie() throws {
        let t = try ReferenceTopology(behaviour: .echo)
        let p = try startSeed(t)
        defer { _ = p.stop() }
        // the app sets 9ai9=A on the server that answered; later requests follow it
        let learn = try t.get(host: "appsession.9ai9.net", path: "/login?setck=9ai9=sessionA")
        let server = try #require(learn.header("X-Server"))
        for _ in 0..<6 {
            #expect(try t.get(host: "appsession.9ai9.net", headers: [("Cookie", "9ai9=sessionA")]).header("X-Server") == server)
            #expect(try t.get(host: "appsession.9ai9.net", path: "/p;9ai9=sessionA").header("X-Server") == server)
        }
        // request-learn: an unknown id sticks to the server that first got it
        let first = try t.get(host: "appsession.9ai9.net", headers: [("Cookie", "9ai9=clientB")]).header("X-Server")
        for _ in 0..<5 {
            #expect(try t.get(host: "appsession.9ai9.net", headers: [("Cookie", "9ai9=clientB")]).header("X-Server") == first)
        }
        // the cookie is not removed from the request (the application needs it)
        #expect(try t.get(host: "appsession.9ai9.net", headers: [("Cookie", "9ai9=sessionA")]).bodyText.contains("9ai9=sessionA"))
    }

    @Test(arguments: ["cookie.9ai9.net", "appsession.9ai9.net", "sourceip.9ai9.net"])
    func persistenceHoldsForAHundredClients(host: String) throws {
        let t = try ReferenceTopology(behaviour: .phpApp)
        let p = try startSeed(t)
        defer { _ = p.stop() }
        let moves = ManagedCounter(), errors = ManagedCounter()
        let servers = ManagedSet()
        DispatchQueue.concurrentPerform(iterations: 100) { i in
            let client = CookieJarClient(t, source: host.hasPrefix("sourceip") ? "127.0.0.\(1 + i % 60)" : nil)
            var last: String? = nil
            for _ in 0..<20 {
                guard let r = try? client.get(host: host), r.status == 200, let s = r.header("X-Server") else { errors.add(); continue }
                if let l = last, l != s { moves.add() }
                last = s
                servers.insert(s)
            }
        }
        #expect(errors.value == 0)
        #expect(moves.value == 0)
        #expect(servers.count == 2)          // and the clients were spread over both servers
    }

    @Test func clientsMoveWhenTheirServerGoesDown() throws {
        let t = try ReferenceTopology(behaviour: .echo)
        let p = try startSeed(t)
        defer { _ = p.stop() }
        // cookie for REALsrv_120, appsession entry on REALsrv_120, source client on REALsrv_120
        #expect(try t.get(host: "appsession.9ai9.net", path: "/x?setck=9ai9=one").header("X-Server") == "REALsrv_70")
        #expect(try t.get(host: "appsession.9ai9.net", path: "/x?setck=9ai9=two").header("X-Server") == "REALsrv_120")
        t.realsrv120.refusing = true
        Thread.sleep(forTimeInterval: 1.0)            // fall 3 × inter 100 ms, then some
        let c = try t.get(host: "cookie.9ai9.net", headers: [("Cookie", "SESSION_COOKIE=12")])
        #expect(c.header("X-Server") == "REALsrv_70")
        #expect(c.headers(named: "Set-Cookie") == ["SESSION_COOKIE=11; path=/"])      // re-inserted
        #expect(try t.get(host: "sourceip.9ai9.net").header("X-Server") == "REALsrv_70")
        #expect(try t.get(host: "appsession.9ai9.net", headers: [("Cookie", "9ai9=two")]).header("X-Server") == "REALsrv_70")
        t.realsrv120.refusing = false
        Thread.sleep(forTimeInterval: 1.0)            // rise 3 × inter 100 ms
        #expect(try t.get(host: "sourceip.9ai9.net").header("X-Server") == "REALsrv_120")   // map restored
        // ringproxy re-learned the session on the new server: it stays there (1.4 sent it back)
        #expect(try t.get(host: "appsession.9ai9.net", headers: [("Cookie", "9ai9=two")]).header("X-Server") == "REALsrv_70")
        #expect(try t.get(host: "cookie.9ai9.net", headers: [("Cookie", "SESSION_COOKIE=12")]).header("X-Server") == "REALsrv_120")
    }

    @Test func sameServersAsHAProxyForFiftyClients() throws {
        guard HAProxyProcess.isInstalled else { return }
        let tr = try ReferenceTopology(behaviour: .echo)
        let th = try ReferenceTopology(behaviour: .echo)
        let rp = try startSeed(tr, fastChecks: false)
        defer { _ = rp.stop() }
        let hp = try HAProxyProcess.start(config: th.config(fixture: "seed-haproxy26.cfg"), waitForPorts: [th.frontPort])
        defer { _ = hp.stop() }
        for i in 1...50 {
            let src = "127.0.0.\(i)"
            let a = try tr.get(host: "sourceip.9ai9.net", source: src).header("X-Server")
            let b = try th.get(host: "sourceip.9ai9.net", source: src).header("X-Server")
            #expect(a != nil && a == b, "client \(src): ringproxy \(a ?? "-") haproxy \(b ?? "-")")
        }
        // round robin and cookie insertion start and proceed the same way
        for host in ["nosession.9ai9.net", "cookie.9ai9.net"] {
            let a = try (0..<6).map { _ in try tr.get(host: host).header("X-Server") ?? "" }
            let b = try (0..<6).map { _ in try th.get(host: host).header("X-Server") ?? "" }
            #expect(a == b, "\(host): ringproxy \(a) haproxy \(b)")
        }
        let a = try tr.get(host: "cookie.9ai9.net", headers: [("Cookie", "x=1; SESSION_COOKIE=12; y=2")])
        let b = try th.get(host: "cookie.9ai9.net", headers: [("Cookie", "x=1; SESSION_COOKIE=12; y=2")])
        #expect(a.header("X-Server") == b.header("X-Server"))
        let cookieLine = { (r: RawHTTP.Response) in r.bodyText.split(separator: "\n").first { $0.lowercased().hasPrefix("cookie:") }.map(String.init) }
        #expect(cookieLine(a) == cookieLine(b))
    }
}

final class ManagedSet: @unchecked Sendable {
    private let lock = NSLock()
    private var s = Set<String>()
    func insert(_ v: String) { lock.lock(); s.insert(v); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return s.count }
}
