// The stats page's admin form and options without a process: HAProxy 2.6's reading of the
// URI options and of the POSTed form, and the bytes of its answers (captured from 2.6.12).
import Testing
@testable import Proxy

@Suite struct StatsAdminTests {
    @Test func uriOptionsAsHAProxyReadsThem() {
        let r = StatsRequest.match(method: "GET", target: "/?;csv;scope=b1", uri: "/")!
        #expect(r.format == .csv && r.scope == "b1")
        #expect(StatsRequest.match(method: "GET", target: "/st?scope=be_app;up", uri: "/st")?.scope == "be_app")
        #expect(StatsRequest.match(method: "GET", target: "/st?scope=x&y=1z", uri: "/st")?.scope == "x")
        // HAProxy looks for `scope=` no later than 8 bytes before the end: one character is no scope.
        #expect(StatsRequest.match(method: "GET", target: "/st?scope=b", uri: "/st")?.scope == nil)
        // Characters outside [A-Za-z0-9.:_-] clear the scope; it is cut at 20 characters.
        #expect(StatsRequest.match(method: "GET", target: "/st?scope=a%20b", uri: "/st")?.scope == nil)
        #expect(StatsRequest.match(method: "GET", target: "/st?scope=" + String(repeating: "a", count: 30), uri: "/st")?.scope?.count == 20)
        #expect(StatsRequest.match(method: "GET", target: "/st;st=DONE", uri: "/st")?.status == .done)
        #expect(StatsRequest.match(method: "GET", target: "/st;st=XXXX", uri: "/st")?.status == .unknown)
        #expect(StatsRequest.match(method: "GET", target: "/st;st=DON", uri: "/st")?.status == nil)
        #expect(StatsRequest.match(method: "GET", target: "/st;no-maint", uri: "/st")?.hideMaintenance == true)
        #expect(StatsRequest.match(method: "POST", target: "/st", uri: "/st")?.isPost == true)
        #expect(StatsRequest.match(method: "GET", target: "http://h.example/st;csv", uri: "/st")?.format == .csv)
        #expect(StatsRequest.match(method: "DELETE", target: "/st", uri: "/st") == nil)
    }

    /// Runs a form against two backends b1 (#3: srv1..srv3) and b2 (#4: srv1, srv2),
    /// recording what was applied.
    func run(_ body: String) -> (StatsActionStatus, [String]) {
        var applied: [String] = []
        let backends = ["b1": 0, "#3": 0, "b2": 1, "#4": 1]
        let servers = [["srv1", "srv2", "srv3"], ["srv1", "srv2"]]
        let st = StatsAdminForm.process(Array(body.utf8), backend: { backends[$0] }) { b, s, a in
            guard servers[b].contains(s) else { return .unknown }
            applied.append("\(b)/\(s)/\(a.rawValue)")
            return a == .enable ? .unchanged : .changed
        }
        return (st, applied)
    }

    @Test func formReadFromTheEnd() {
        #expect(run("s=srv1&s=srv2&s=srv3&action=maint&b=%233") == (.done, ["0/srv3/maint", "0/srv2/maint", "0/srv1/maint"]))
        // The last b and action win.
        #expect(run("b=b1&action=drain&s=srv1&action=maint&b=b2") == (.done, ["1/srv1/maint"]))
        #expect(run("s=srv2&action=drain&b=%234") == (.done, ["1/srv2/drain"]))
        #expect(run("s=nosuch&s=srv2&action=drain&b=b1") == (.partial, ["0/srv2/drain"]))
        #expect(run("s=nosuch&action=drain&b=b1") == (.invalidParameters, []))
        #expect(run("action=drain&b=b1") == (.nothing, []))
        #expect(run("") == (.nothing, []))
        #expect(run("s=srv1&action=bogus&b=b1") == (.invalidParameters, []))
        #expect(run("s=srv1&action=drain&b=nope") == (.invalidParameters, []))
        // A bad escape ends the reading; what came after it (read first) is kept.
        #expect(run("s=%zz&s=srv1&action=ready&b=b1") == (.done, ["0/srv1/ready"]))
        #expect(run("s=" + String(repeating: "x", count: 3000) + "&action=ready&b=b1") == (.invalidParameters, []))
    }

    @Test func unchangedServersAreNotCounted() {
        // `enable` on a server not in maintenance: nothing counted, so NONE (HAProxy's rule).
        let (st, applied) = run("s=srv1&action=enable&b=b1")
        #expect(st == .nothing && applied == ["0/srv1/enable"])
    }

    @Test func postBodies() {
        func extract(_ s: String, _ f: BodyFraming) -> StatsPostBody.Result {
            Array(s.utf8).withUnsafeBytes { StatsPostBody.extract($0, framing: f) }
        }
        #expect(extract("s=a&b=c", .contentLength(7)) == .complete(Array("s=a&b=c".utf8), wireLength: 7))
        #expect(extract("s=a", .contentLength(7)) == .incomplete)
        #expect(extract("3\r\ns=a\r\n4;x=y\r\n&b=c\r\n0\r\nT: 1\r\n\r\nGET", .chunked) == .complete(Array("s=a&b=c".utf8), wireLength: 32))
        #expect(extract("3\r\ns=a\r\n0\r\n", .chunked) == .incomplete)
        #expect(extract("zz\r\n", .chunked) == .invalid)
    }

    // Captured from HAProxy 2.6.12 (`stats uri /`, `stats refresh 5s`).
    @Test func answersAreHAProxysBytes() {
        let ka = StatsResponse.Connection(http11: true, keepAlive: true)
        #expect(String(decoding: StatsResponse.seeOther("/;st=DONE?scope=b2", connection: ka), as: UTF8.self)
                == "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\ncontent-length: 0\r\nlocation: /;st=DONE?scope=b2\r\n\r\n")
        #expect(String(decoding: StatsResponse.seeOther("/;st=DONE;up;norefresh", connection: .init(http11: true, keepAlive: false)), as: UTF8.self)
                == "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\ncontent-length: 0\r\nlocation: /;st=DONE;up;norefresh\r\nconnection: close\r\n\r\n")
        let close10 = String(decoding: StatsResponse.ok(body: "x", contentType: "text/plain", refreshSeconds: nil,
                                                        connection: .init(http11: false, keepAlive: false)), as: UTF8.self)
        #expect(close10 == "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n")
        let close11 = String(decoding: StatsResponse.ok(body: "x", contentType: "text/plain", refreshSeconds: 5,
                                                        connection: .init(http11: true, keepAlive: false)), as: UTF8.self)
        #expect(close11 == "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\nrefresh: 5\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n1\r\nx\r\n0\r\n\r\n")
        let head = String(decoding: StatsResponse.ok(body: "", contentType: "text/plain", refreshSeconds: 5, connection: ka, head: true), as: UTF8.self)
        #expect(head == "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\nrefresh: 5\r\n\r\n")
        var config = StatsConfig()
        config.uri = "/"
        config.refresh = 5000
        let req = StatsRequest.match(method: "POST", target: "/;up;norefresh?scope=b1x", uri: "/")!
        #expect(StatsResponse.redirectLocation(req, status: .partial, config: config) == "/;st=PART;up;norefresh?scope=b1x")
        config.refresh = nil        // `;norefresh` is only read when the page refreshes
        #expect(StatsResponse.redirectLocation(req, status: .denied, config: config) == "/;st=DENY;up?scope=b1x")
    }
}
