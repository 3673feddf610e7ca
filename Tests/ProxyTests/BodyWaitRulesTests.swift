import Testing
@testable import Proxy

/// wait-for-body's measures of a body (BodyWaitRules.swift): the data bytes `at-least` counts
/// (a chunked body's without its framing) and whether a body is whole; which proxies' request
/// rules a frontend evaluates.
@Suite struct BodyWaitRulesTests {
    private func measure(_ s: String, _ f: BodyFraming) -> (Int, Bool) {
        let bytes = Array(s.utf8)
        return bytes.withUnsafeBytes { (BodyWaitRules.dataBytes($0, f), BodyWaitRules.isWhole($0, f)) }
    }

    @Test func dataBytesAndWholeness() {
        #expect(measure("abc", .contentLength(5)) == (3, false))
        #expect(measure("abcdefg", .contentLength(5)) == (5, true))        // what follows is not its body
        #expect(measure("5\r\nhello\r\n", .chunked) == (5, false))
        #expect(measure("5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n", .chunked) == (8, true))
        #expect(measure("5\r\nhel", .chunked) == (3, false))
        #expect(measure("hello", .untilClose) == (5, false))                // whole only when the server closed
        #expect(measure("", .none) == (0, true))
    }

    @Test func requestRulesOfTheFrontendThenItsBackends() throws {
        let c = try ConfigParser.parse(text: """
            defaults
                mode http
            frontend fe
                bind :8080
                http-request wait-for-body time 1s if { path /a }
                use_backend b1 if { path /b }
                default_backend b2
            backend b1
                http-request wait-for-body time 2s
                server s 127.0.0.1:1
            backend b2
                http-response wait-for-body time 2s if { status eq 200 }
                server s 127.0.0.1:2
            backend b3
                http-request wait-for-body time 3s
                server s 127.0.0.1:3
            """, file: "t.cfg")
        let topo = Topology(c)
        let fe = c.proxies.firstIndex { $0.name == "fe" }!
        let names = RequestBodyWait.waitForBodyProxies(c, topo, frontend: fe, ownBackend: nil).map { c.proxies[$0].name }
        #expect(names == ["fe", "b1"])                  // b2 has none for requests, b3 is not reachable
        #expect(BodyWaitRules.any(c.proxies.first { $0.name == "b2" }!.rules.httpResponse))
    }
}
