import Testing
@testable import Proxy

@Suite struct HTTPRequestTargetTests {
    @Test(arguments: [
        // target, path, query, host (Host header is "h" when the last field says so)
        ("/a/b?c=d&e", "/a/b", "c=d&e", "h"),
        ("/a/b", "/a/b", nil, "h"),
        ("/?", "/", "", "h"),
        ("http://h/x/y?z=1", "/x/y", "z=1", "h"),
        ("http://h", "", nil, "h"),
        ("*", "*", nil, "h"),
    ] as [(String, String, String?, String)])
    func pieces(_ target: String, _ path: String, _ query: String?, _ host: String) {
        let p = request("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(p.result == .complete)
        #expect(p.string(p.head.path) == path)
        #expect(p.string(p.head.query) == query)
        #expect(p.string(p.head.host) == host)
    }

    @Test func hostFromAbsoluteFormWithoutHostHeader() {
        let p = request("GET http://user@Example.com:8080/x HTTP/1.1\r\n\r\n")
        #expect(p.result == .complete)
        #expect(p.string(p.head.host) == "Example.com:8080")
        #expect(p.string(p.head.absoluteScheme) == "http")
        #expect(p.string(p.head.absoluteAuthority) == "user@Example.com:8080")
        #expect(p.string(p.head.path) == "/x")
        let connect = request("CONNECT db:5432 HTTP/1.1\r\n\r\n")
        #expect(connect.string(connect.head.host) == "db:5432")
        let noHost = request("GET / HTTP/1.0\r\n\r\n")
        #expect(noHost.head.host == nil)
    }

    @Test func notAbsoluteForm() {
        let a = request("GET /http://x/ HTTP/1.1\r\n\r\n"), b = request("GET h:80 HTTP/1.1\r\n\r\n")
        #expect(a.head.absoluteScheme == nil)
        #expect(b.head.absoluteScheme == nil)
    }

    @Test func everyElementOfEveryOccurrence() {
        let p = request("GET / HTTP/1.1\r\nHost: x\r\nX-L: a, b ,,\tc\r\nOther: z\r\nx-l: d\r\nX-L:\r\n\r\n")
        #expect(p.result == .complete)
        var seen: [String] = []
        p.head.forEachValue(ofHeader: "x-l") { r in seen.append(p.head.string(r)); return true }
        #expect(seen == ["a", "b", "c", "d"])
        var firstTwo: [String] = []
        p.head.forEachValue(ofHeader: "x-l") { r in firstTwo.append(p.head.string(r)); return firstTwo.count < 2 }
        #expect(firstTwo == ["a", "b"])
        #expect(p.head.headerHasToken("x-l", "c"))
        #expect(!p.head.headerHasToken("x-l", "z"))
    }
}
