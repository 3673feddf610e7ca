// The HTTP cache (`cache` section, cache-use, cache-store, res.cache_hit/res.cache_name) side
// by side with HAProxy 2.6.12: the same configuration and the same requests (one connection
// each) must get the same status, headers (Date and Age apart: Age within a second or two of
// each other), body, and the same hit or miss. Without haproxy the ringproxy half still runs
// against the expected hits and misses.
import Foundation
import Testing
import Origins

@Suite(.serialized) struct CacheAgreementTests {
    struct Step {
        var method = "GET"
        var path: String
        var headers: [(String, String)] = []
        /// Expected res.cache_hit (nil: the request is answered without that header checked).
        var hit: Bool?
        /// HAProxy re-chunks a stored chunked response; ringproxy sends it with a Content-Length.
        var framingMayDiffer = false
    }

    struct Seen: CustomStringConvertible {
        var status: Int
        var headers: [String]
        var age: Int?
        var body: [UInt8]
        var description: String { "\(status) \(headers) age=\(age.map(String.init) ?? "-") body=\(body.count)B" }
    }

    static let lastModified = "Thu,%2015%20Oct%202020%2022:23:24%20GMT"
    static let steps: [Step] = [
        Step(path: "/a?cc=max-age=30&size=100", hit: false),
        Step(path: "/a?cc=max-age=30&size=100", hit: true),
        Step(method: "HEAD", path: "/a?cc=max-age=30&size=100", hit: true),
        Step(path: "/a?cc=max-age=30&size=100", headers: [("If-None-Match", "*")], hit: true),
        Step(path: "/a?cc=max-age=30&size=100", headers: [("Authorization", "Basic dTpw")], hit: false),
        Step(path: "/a?cc=max-age=30&size=100", headers: [("Cache-Control", "no-cache")], hit: false),
        Step(method: "POST", path: "/a?cc=max-age=30&size=100", hit: false),
        Step(path: "/a?cc=max-age=30&size=100", hit: false),             // the POST invalidated it
        Step(path: "/a?cc=max-age=30&size=100", hit: true),
        Step(path: "/e?hdr=ETag:%22v1%22&size=50", hit: false),
        Step(path: "/e?hdr=ETag:%22v1%22&size=50", headers: [("If-None-Match", "W/\"v1\"")], hit: true),
        Step(path: "/e?hdr=ETag:%22v1%22&size=50", headers: [("If-None-Match", "\"v2\"")], hit: true),
        Step(path: "/m?hdr=Last-Modified:\(lastModified)&size=20", hit: false),
        Step(path: "/m?hdr=Last-Modified:\(lastModified)&size=20", headers: [("If-Modified-Since", "Thu, 22 Oct 2020 23:00:00 GMT")], hit: true),
        Step(path: "/m?hdr=Last-Modified:\(lastModified)&size=20", headers: [("If-Modified-Since", "Thu, 01 Oct 2020 23:00:00 GMT")], hit: true),
        Step(path: "/p?cc=private&size=10", hit: false),
        Step(path: "/p?cc=private&size=10", hit: false),
        Step(path: "/n?size=10", hit: false),
        Step(path: "/n?size=10", hit: false),
        Step(path: "/v?cc=max-age=30&hdr=Vary:Accept-Encoding&size=10", hit: false),
        Step(path: "/v?cc=max-age=30&hdr=Vary:Accept-Encoding&size=10", hit: false),
        Step(path: "/s?cc=max-age=30&status=404&size=10", hit: false),
        Step(path: "/s?cc=max-age=30&status=404&size=10", hit: false),
        Step(path: "/c?cc=max-age=30&chunked=1&size=3000", hit: false),
        Step(path: "/c?cc=max-age=30&chunked=1&size=3000", hit: true, framingMayDiffer: true),
        Step(path: "/big?cc=max-age=30&size=5000", hit: false),             // over max-object-size
        Step(path: "/big?cc=max-age=30&size=5000", hit: false),
    ]

    static func config(port: UInt16, app: UInt16) -> String {
        """
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        cache c
            total-max-size 1
            max-object-size 4096
            max-age 20
        listen px
            bind 127.0.0.1:\(port)
            http-request cache-use c
            http-response cache-store c
            http-response set-header X-Hit %[res.cache_hit]
            http-response set-header X-Cache-Name %[res.cache_name]
            server s 127.0.0.1:\(app)
        """
    }

    static func run(binary: String, app: UInt16) throws -> [Seen] {
        let port = freePort()
        let p = try ProxyProcess(config: config(port: port, app: app), binary: binary, waitForPorts: [port])
        defer { _ = p.stop() }
        var seen: [Seen] = []
        for s in steps {
            let c = try RawHTTP(port: port)
            defer { c.close() }
            let r = try c.request(s.method, path: s.path, headers: s.headers + [("Connection", "close")],
                                  body: s.method == "POST" ? Array("x=1".utf8) : nil)
            var headers: [String] = []
            for (n, v) in r.headers {
                let name = n.lowercased()
                if name == "date" || name == "age" { continue }
                if s.framingMayDiffer && (name == "content-length" || name == "transfer-encoding") { continue }
                headers.append(name + ": " + v)
            }
            seen.append(Seen(status: r.status, headers: headers.sorted(), age: r.header("Age").flatMap { Int($0) }, body: r.body))
        }
        return seen
    }

    @Test func agreesWithHAProxy() throws {
        let app = try AppServer(name: "A", port: 0, behaviour: .echo)
        defer { app.stop() }
        let ours = try Self.run(binary: ProxyProcess.ringproxyBinary, app: app.port)
        for (i, s) in Self.steps.enumerated() {
            guard let hit = s.hit else { continue }
            #expect(ours[i].headers.contains("x-hit: \(hit ? 1 : 0)"), "step \(i) \(s.method) \(s.path): \(ours[i])")
            #expect((ours[i].age != nil) == hit, "step \(i): Age only on hits: \(ours[i])")
        }
        #expect(ours[3].status == 304 && ours[3].body.isEmpty && ours[2].body.isEmpty && ours[1].body.count == 100)
        #expect(ours[10].status == 304 && ours[11].status == 200 && ours[13].status == 304 && ours[14].status == 200)
        #expect(ours[24].body == ours[23].body && ours[24].body.count == 3000)
        guard HAProxyProcess.isInstalled, let haproxy = HAProxyProcess.executable else { return }
        let theirs = try Self.run(binary: haproxy, app: app.port)
        for (i, s) in Self.steps.enumerated() {
            #expect(ours[i].status == theirs[i].status && ours[i].headers == theirs[i].headers && ours[i].body == theirs[i].body,
                    "step \(i) \(s.method) \(s.path)\n ringproxy: \(ours[i])\n haproxy:   \(theirs[i])")
            if let a = ours[i].age, let b = theirs[i].age { #expect(abs(a - b) <= 2, "step \(i): Age \(a) vs \(b)") }
            #expect((ours[i].age == nil) == (theirs[i].age == nil), "step \(i): Age present in one only")
        }
    }
}
