// `balance rdp-cookie` and `persist rdp-cookie` in mode tcp, run through ringproxy and, where
// it is installed, HAProxy 2.6 with the same configuration and the same RDP Connection
// Requests: the servers each picks (the same sdbm hash on the same server map, so the same
// picks), a client sent back to the server its msts cookie names, and a content rule on
// req.rdp_cookie.
import CBench
import CUring
import Foundation
import Glibc
import Testing

@Suite(.serialized) struct RDPCookieEndToEndTests {
    /// TPKT + X.224 Connection Request + the cookie line + an RDP Negotiation Request.
    static func request(_ cookieLine: String) -> [UInt8] {
        let body = Array(cookieLine.utf8) + [1, 0, 8, 0, 3, 0, 0, 0]
        let total = 11 + body.count
        return [3, 0, UInt8(total >> 8), UInt8(total & 0xff), UInt8(total - 5), 0xe0, 0, 0, 0, 0, 0] + body
    }

    /// Microsoft's msts value for 127.0.0.1:port (address and port bytes in network order,
    /// read little-endian, in decimal).
    static func msts(port: UInt16) -> String { "16777343.\(port.byteSwapped).0000" }

    /// Sends one request, returns what comes back until the proxy closes ("S<n>" from server n).
    static func exchange(_ port: UInt16, _ bytes: [UInt8]) throws -> String {
        let c = try RawHTTP(port: port)
        defer { c.close() }
        try c.send(bytes)
        return String(decoding: TCPModeEndToEndTests.readAll(c.fd), as: UTF8.self)
    }

    static func config(_ port: UInt16, _ origins: [ScriptedTCPOrigin], _ lines: String) -> String {
        // `lines` first: their content rules run before the accept
        TCPModeEndToEndTests.defaults + "\nlisten l\n    bind 127.0.0.1:\(port)\n" + lines
            + "    tcp-request inspect-delay 5s\n    tcp-request content accept if RDP_COOKIE\n"
            + origins.enumerated().map { "    server s\($0.offset) 127.0.0.1:\($0.element.port)\n" }.joined()
    }

    /// Runs `traffic` through ringproxy, then HAProxy when installed; one result per binary.
    static func run(_ lines: String, servers: Int = 2,
                    _ traffic: (UInt16, [ScriptedTCPOrigin]) throws -> [String]) throws -> [[String]] {
        let origins = try (0..<servers).map { i in try ScriptedTCPOrigin { peer, _ in peer.write("S\(i)") } }
        defer { origins.forEach { $0.stop() } }
        var seen: [[String]] = []
        for binary in TCPModeEndToEndTests.binaries() {
            let port = freePort()
            let p = try ProxyProcess(config: config(port, origins, lines), binary: binary, waitForPorts: [port])
            defer { p.stop() }
            seen.append(try traffic(port, origins))
        }
        return seen
    }

    static let users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]

    @Test(arguments: ["map-based", "consistent"])
    func balancesOnTheMstshashCookieAsHAProxy(_ hashType: String) throws {
        let seen = try Self.run("    balance rdp-cookie\n    hash-type \(hashType)\n") { port, _ in
            try (Self.users + Self.users).map { try Self.exchange(port, Self.request("Cookie: mstshash=\($0)\r\n")) }
        }
        let mine = seen[0]
        #expect(mine.allSatisfy { $0 == "S0" || $0 == "S1" }, "\(mine)")
        #expect(Array(mine[0..<Self.users.count]) == Array(mine[Self.users.count...]), "same cookie, same server: \(mine)")
        #expect(Set(mine).count == 2, "both servers take some users: \(mine)")
        // map-based: the same sdbm hash modulo the same map, so the very same picks. The
        // consistent ring places servers differently from HAProxy's (as for every hash
        // algorithm): there only the properties above hold.
        if seen.count > 1 {
            #expect(Array(seen[1][0..<Self.users.count]) == Array(seen[1][Self.users.count...]), "HAProxy: \(seen[1])")
            if hashType == "map-based" { #expect(seen[1] == mine, "HAProxy picked \(seen[1]), ringproxy \(mine)") }
        }
    }

    @Test func namedCookieAndRoundRobinWithoutIt() throws {
        let seen = try Self.run("    balance rdp-cookie(user)\n") { port, _ in
            try Self.users.map { try Self.exchange(port, Self.request("Cookie: user=\($0)\r\n")) }
                + (0..<4).map { _ in try Self.exchange(port, Self.request("Cookie: mstshash=zed\r\n")) }
        }
        let mine = seen[0]
        #expect(Array(mine.suffix(4)).allSatisfy { $0 == "S0" || $0 == "S1" } && Set(mine.suffix(4)).count == 2,
                "another cookie name: round robin \(mine)")
        if seen.count > 1 { #expect(Array(seen[1].prefix(Self.users.count)) == Array(mine.prefix(Self.users.count)), "HAProxy \(seen[1]), ringproxy \(mine)") }
    }

    @Test func persistSendsTheClientToTheServerItsCookieNames() throws {
        let seen = try Self.run("    balance roundrobin\n    persist rdp-cookie\n", servers: 3) { port, origins in
            try (0..<3).map { _ in try Self.exchange(port, Self.request("Cookie: msts=\(Self.msts(port: origins[1].port))\r\n")) }
                + (0..<3).map { _ in try Self.exchange(port, Self.request("Cookie: msts=\(Self.msts(port: origins[2].port))\r\n")) }
                + (0..<3).map { _ in try Self.exchange(port, Self.request("Cookie: msts=16777343.1.0000\r\n")) }   // no such server
        }
        let mine = seen[0]
        #expect(Array(mine[0..<3]) == ["S1", "S1", "S1"] && Array(mine[3..<6]) == ["S2", "S2", "S2"], "\(mine)")
        #expect(Set(mine[6...]) == ["S0", "S1", "S2"], "unknown server: round robin \(mine)")
        if seen.count > 1 { #expect(seen[1] == mine, "HAProxy \(seen[1]), ringproxy \(mine)") }
    }

    @Test func contentRuleOnTheCookie() throws {
        let seen = try Self.run("    tcp-request content reject if { req.rdp_cookie(mstshash) -m str mallory }\n    balance rdp-cookie\n") { port, _ in
            [try Self.exchange(port, Self.request("Cookie: mstshash=mallory\r\n")), try Self.exchange(port, Self.request("Cookie: mstshash=alice\r\n"))]
        }
        #expect(seen[0][0] == "" && seen[0][1].hasPrefix("S"), "\(seen[0])")
        if seen.count > 1 { #expect(seen[1] == seen[0], "HAProxy \(seen[1]), ringproxy \(seen[0])") }
    }
}
