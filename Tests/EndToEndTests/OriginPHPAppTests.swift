// The PHP-like session application used by the demo.
import Testing
import Proxy
import Origins

@Suite struct OriginPHPAppTests {
    private func visits(_ r: RawHTTP.Response) -> Int? {
        r.bodyText.split(separator: "\n").first { $0.hasPrefix("visits ") }.flatMap { Int($0.dropFirst(7)) }
    }

    @Test func issuesASessionCookieThenCountsVisits() throws {
        let s = try AppServer(name: "REALsrv_70", port: 0, behaviour: .phpApp)
        defer { s.stop() }
        let first = try RawHTTP.get(port: s.port, path: "/")
        #expect(first.header("X-Server") == "REALsrv_70")
        let setCookie = try #require(first.header("Set-Cookie"))
        let match = try #require(setCookie.wholeMatch(of: /9ai9=([0-9a-v]{26}); path=\//))
        let id = String(match.1)
        #expect(first.bodyText.contains("REALsrv_70"))
        #expect(first.bodyText.contains(id))
        #expect(visits(first) == 1)

        for n in 2...4 {
            let r = try RawHTTP.get(port: s.port, path: "/", headers: [("Cookie", "other=x; 9ai9=\(id)")])
            #expect(r.header("Set-Cookie") == nil)
            #expect(visits(r) == n)
        }
        // The same session through the URL path-parameter form.
        let viaPath = try RawHTTP.get(port: s.port, path: "/index.php;9ai9=\(id)?a=b")
        #expect(visits(viaPath) == 5)
        #expect(viaPath.bodyText.contains("client 127.0.0.1\n"))
        let forwarded = try RawHTTP.get(port: s.port, headers: [("X-Forwarded-For", "127.0.0.5")])
        #expect(forwarded.bodyText.contains("client 127.0.0.5 (X-Forwarded-For)\n"))
        #expect(viaPath.header("Set-Cookie") == nil)
    }

    @Test func eachCookielessClientGetsItsOwnSession() throws {
        let s = try AppServer(name: "S", port: 0, behaviour: .phpApp)
        defer { s.stop() }
        let a = try RawHTTP.get(port: s.port).header("Set-Cookie")
        let b = try RawHTTP.get(port: s.port).header("Set-Cookie")
        #expect(a != nil && b != nil && a != b)
    }

    @Test func anUnknownSessionIdIsAdopted() throws {
        let s = try AppServer(name: "S", port: 0, behaviour: .phpApp)
        defer { s.stop() }
        let r = try RawHTTP.get(port: s.port, headers: [("Cookie", "9ai9=madeup")])
        #expect(r.header("Set-Cookie") == nil)
        #expect(r.bodyText.contains("9ai9=madeup"))
        #expect(visits(r) == 1)
    }
}
