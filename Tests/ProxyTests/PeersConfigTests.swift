import Foundation
import Testing
@testable import Proxy

/// `peers` sections, `stick-table ... peers`, `table` in peers sections and `stick ... table`
/// references; verdicts compared with `haproxy -c -L A` where HAProxy is installed.
@Suite struct PeersConfigTests {
    static func parse(_ text: String, local: String? = "A") throws(ConfigErrors) -> Configuration {
        try ConfigParser.parse(text: text, file: "t.cfg", localPeer: local)
    }

    static func errors(_ text: String, local: String = "A") -> [ConfigError] {
        do { _ = try parse(text, local: local); return [] } catch { return error.errors }
    }

    @Test func peerFormAndLocalPeerFromCommandLine() throws {
        let c = try Self.parse("""
            peers mypeers
                peer A 127.0.0.1:10001
                peer B 127.0.0.2:10002
            backend be
                stick-table type ip size 20k peers mypeers
                stick on src
                server s1 127.0.0.1:8080
            """)
        #expect(c.peers.localPeer == "A")
        let s = try #require(c.peers.section(named: "mypeers"))
        #expect(s.peers.map(\.name) == ["A", "B"] && s.localIndex == 0 && s.peers[0].isLocal && !s.peers[1].isLocal)
        #expect(s.listenAddress?.host == "127.0.0.1" && s.listenAddress?.port == 10001)
        #expect(s.remotePeers.map(\.host) == ["127.0.0.2"] && s.remotePeers.map(\.port) == [10002])
        #expect(c.proxy(named: "be")?.stickTable?.peers == "mypeers")
        // The same file as peer B.
        let b = try Self.parse("peers p\n peer A 127.0.0.1:1\n peer B 127.0.0.1:2\n", local: "B")
        #expect(b.peers.sections[0].localPeer?.name == "B" && b.peers.sections[0].listenAddress?.port == 2)
    }

    @Test func bindAndServerForm() throws {
        let c = try Self.parse("""
            peers p
                bind 127.0.0.1:10001
                default-server inter 1s
                server A
                server B 127.0.0.1:10002
                server C
                table t type string len 20 size 1k expire 30s
            backend be
                stick on req.cook(SID) table p/t
                server s1 127.0.0.1:8080
            """)
        let s = try #require(c.peers.section(named: "p"))
        #expect(s.localPeer?.name == "A" && s.listenAddress?.port == 10001)
        #expect(s.remotePeers.map(\.name) == ["B", "C"] && s.remotePeers[1].host == nil)   // C can only connect to us
        #expect(s.tables == [PeersTableConfig(name: "t", table: { var t = StickTableConfig(); t.length = 20; t.size = 1024; t.expire = 30_000; return t }(),
                                              location: SourceLocation(file: "t.cfg", line: 7))])
        #expect(c.warnings.contains { $0.contains("server parameters have no effect on a peer: inter 1s") })
        #expect(c.proxy(named: "be")?.stickRules.first?.table == "p/t")
    }

    @Test func localpeerKeywordAndItsPrecedence() throws {
        let text = "global\n localpeer B\npeers p\n peer A 127.0.0.1:1\n peer B 127.0.0.1:2\n"
        #expect(try Self.parse(text, local: nil).peers.sections[0].localPeer?.name == "B")
        let withL = try Self.parse(text, local: "A")
        #expect(withL.peers.sections[0].localPeer?.name == "A")
        #expect(withL.warnings.first == "t.cfg:2: 'localpeer' ignored since it is already set by using the '-L' command line argument")
        let late = try Self.parse("peers p\n peer A 127.0.0.1:1\nglobal\n localpeer A\n", local: nil)
        #expect(late.warnings.contains("t.cfg:4: 'localpeer' ignored since it is used after 'peers' section"))
        // Default: the host name.
        #expect(try Self.parse("global\n", local: nil).peers.localPeer == PeersKeywords.hostName())
    }

    @Test func sectionWithoutTheLocalPeerIsRemovedWithAWarning() throws {
        let c = try Self.parse("peers p\n peer B 127.0.0.1:2\nbackend be\n stick-table type ip size 1k peers p\n stick on src\n server s 127.0.0.1:80\n")
        #expect(c.peers.sections.isEmpty)
        #expect(c.warnings == ["t.cfg:1: Removing incomplete section 'peers p' (no peer named 'A')"])
        #expect(StickTableSet(configuration: c).infos[0].peersSection == nil)
    }

    @Test func disabledSectionStaysButSharesNothing() throws {
        let c = try Self.parse("peers p\n disabled\n peer A 127.0.0.1:1\nbackend be\n stick-table type ip size 1k peers p\n stick on src\n server s 127.0.0.1:80\n")
        #expect(c.peers.sections.first?.disabled == true)
        #expect(StickTableSet(configuration: c).infos[0].peersSection == nil)
        let enabled = try Self.parse("peers p\n disabled\n enabled\n peer A 127.0.0.1:1\nbackend be\n stick-table type ip size 1k peers p\n stick on src\n server s 127.0.0.1:80\n")
        #expect(StickTableSet(configuration: enabled).infos[0].peersSection == "p")
    }

    @Test func errorsNameTheLine() {
        #expect(Self.errors("peers p\n peer A 127.0.0.1:1\n peer A 127.0.0.1:2\n").map(\.line) == [3])
        #expect(Self.errors("peers p\n peer A 127.0.0.1\n").first?.message.contains("missing port specification") == true)
        #expect(Self.errors("peers p\n bind 127.0.0.1:1\n peer A 127.0.0.1:1\n").first?.message == "mixing \"peer\" and \"bind\" line is forbidden")
        #expect(Self.errors("peers p\n bind 127.0.0.1:1\n bind 127.0.0.1:2\n server A\n").first?.message.hasPrefix("One listener per \"peers\" section") == true)
        #expect(Self.errors("peers p\n bind 127.0.0.1:1 ssl crt x.pem\n server A\n").first?.message.contains("TLS on peer connections is not supported") == true)
        #expect(Self.errors("peers p\n peer A 127.0.0.1:1\n foo bar\n").first?.line == 3)
        #expect(Self.errors("backend be\n stick-table type ip size 1k peers nope\n stick on src\n server s 127.0.0.1:80\n").first?.message
                == "Proxy 'be': unable to find sync peers 'nope'")
        #expect(Self.errors("peers p\n peer A 127.0.0.1:1\n table t type ip size 1k\nbackend be\n stick on src table p/zz\n server s 127.0.0.1:80\n").first?.message
                == "Proxy 'be': unable to find stick-table 'p/zz'")
        #expect(Self.errors("peers p\n peer A 127.0.0.1:1\n table t type ip size 1k peers p\n").first?.line == 3)
        #expect(Self.errors("peers p\n peer A 127.0.0.1:1\npeers p\n peer A 127.0.0.1:2\n").first?.message.contains("same name as another peers section") == true)
    }

    @Test func stickTableSetNamesTablesAndServers() throws {
        let c = try Self.parse("""
            peers mypeers
                bind 127.0.0.1:1
                server A
                server B 127.0.0.1:2
                table mytable type string size 10m
            backend be1
                stick on urlp(client) table mypeers/mytable
                server srv1 127.0.0.1:81
                server srv2 127.0.0.1:82
            backend be2
                stick on urlp(client) table mypeers/mytable
                server other 127.0.0.1:90
                server srv2 127.0.0.1:84
                server srv1 127.0.0.1:83
            backend app
                stick-table type string len 64 size 1m expire 5h peers mypeers
                stick on req.cook(9ai9)
                server x 127.0.0.1:85
            """)
        let set = StickTableSet(configuration: c)
        let t = try #require(set.byName["mypeers/mytable"].map { set.infos[$0] })
        #expect(t.wireName == "mytable" && t.keyType == .string && t.keyLength == 31 && t.wireKeySize == 32)
        #expect(t.peersSection == "mypeers" && t.roster == ["srv1", "srv2", "other"])
        let app = try #require(set.byName["app"].map { set.infos[$0] })
        #expect(app.wireName == "app" && app.keyLength == 64 && app.wireKeySize == 65 && app.expireMs == 18_000_000)
        // be2 finds be1's srv1 by name although it is its third server.
        let be1 = try #require(set.binding(proxy: 0)), be2 = try #require(set.binding(proxy: 1))
        #expect(be1.index == be2.index)
        #expect(be2.map.server(be1.map.stickServer(0)) == 2)
        #expect(be2.map.server(be1.map.stickServer(1)) == 1)
        // An unknown key falls back to the id (HAProxy's server_id).
        #expect(be2.map.server(StickServer(roster: -1, id: 1)) == 0)
        #expect(be2.map.server(StickServer(roster: -1, id: 9)) == nil)
    }

    @Test func wireKeySizesFollowHAProxy() throws {
        func info(_ table: String) throws -> StickTableInfo {
            let c = try Self.parse("peers p\n peer A 127.0.0.1:1\n table t \(table)\n")
            return StickTableSet(configuration: c).infos[0]
        }
        #expect(try info("type ip size 1k").wireKeySize == 4)
        #expect(try info("type ipv6 size 1k").wireKeySize == 16)
        #expect(try info("type integer size 1k").wireKeySize == 4)
        #expect(try info("type string size 1k").wireKeySize == 32)
        #expect(try info("type string len 10 size 1k").wireKeySize == 11)
        #expect(try info("type binary size 1k").wireKeySize == 32)
        #expect(try info("type binary len 10 size 1k").wireKeySize == 10)
    }

    // MARK: against haproxy -c

    /// Small configurations and whether HAProxy 2.6 accepts them with `-L A`.
    static let verdicts: [(name: String, valid: Bool, text: String)] = [
        ("peer form", true, "peers p\n peer A 127.0.0.1:10001\n peer B 127.0.0.1:10002\n"),
        ("bind form", true, "peers p\n bind 127.0.0.1:10001\n server A\n server B 127.0.0.1:10002\n"),
        ("local peer without address", true, "peers p\n peer A\n"),
        ("remote server without address", true, "peers p\n bind 127.0.0.1:1\n server A\n server B\n"),
        ("duplicate remote peers", true, "peers p\n peer A 127.0.0.1:1\n peer B 127.0.0.1:2\n peer B 127.0.0.1:3\n"),
        ("duplicate local peer", false, "peers p\n peer A 127.0.0.1:1\n peer A 127.0.0.1:2\n"),
        ("missing port", false, "peers p\n peer A 127.0.0.1\n"),
        ("empty port", true, "peers p\n peer A 127.0.0.1:1\n peer B 127.0.0.1:\n"),
        ("address from unset variables", true, "peers p\n bind 127.0.0.1:1\n server A\n server B ${NOPE_addr}:${NOPE_port}\n"),
        ("bad port", false, "peers p\n peer A 127.0.0.1:bar\n"),
        ("port range", false, "peers p\n peer A 127.0.0.1:1-5\n"),
        ("unresolvable host", false, "peers p\n peer A 127.0.0.1:1\n peer B example.invalid:1000\n"),
        ("unknown keyword", false, "peers p\n peer A 127.0.0.1:1\n foo bar\n"),
        ("unknown server parameter", false, "peers p\n peer A 127.0.0.1:1 foo\n"),
        ("duplicate section", false, "peers p\n peer A 127.0.0.1:1\npeers p\n peer A 127.0.0.1:2\n"),
        ("section without name", false, "peers\n peer A 127.0.0.1:1\n"),
        ("bad section name", false, "peers p/x\n peer A 127.0.0.1:1\n"),
        ("mixing peer then bind", false, "peers p\n peer A 127.0.0.1:1\n bind 127.0.0.1:1\n"),
        ("mixing bind then peer", false, "peers p\n bind 127.0.0.1:1\n peer A 127.0.0.1:1\n"),
        ("two binds", false, "peers p\n bind 127.0.0.1:1\n bind 127.0.0.1:2\n server A\n"),
        ("address on the local server line", false, "peers p\n bind 127.0.0.1:1\n server A 127.0.0.1:1\n"),
        ("check on a peer", true, "peers p\n bind 127.0.0.1:1\n server A\n server B 127.0.0.1:2 check\n"),
        ("disabled", true, "peers p\n disabled\n peer A 127.0.0.1:1\n"),
        ("enabled", true, "peers p\n enabled\n peer A 127.0.0.1:1\n"),
        ("log", true, "peers p\n log 127.0.0.1:514 local0\n peer A 127.0.0.1:1\n"),
        ("default-bind", true, "peers p\n default-bind v4v6\n bind 127.0.0.1:1\n server A\n"),
        ("table", true, "peers p\n peer A 127.0.0.1:1\n table t type string len 20 size 1k expire 30s\n"),
        ("table without type", false, "peers p\n peer A 127.0.0.1:1\n table t size 1k\n"),
        ("table without size", false, "peers p\n peer A 127.0.0.1:1\n table t type ip\n"),
        ("table with peers", false, "peers p\n peer A 127.0.0.1:1\n table t type ip size 1k peers p\n"),
        ("table named like an earlier table", false, "backend be\n stick-table type ip size 1k\n server s 127.0.0.1:80\npeers p\n peer A 127.0.0.1:1\n table be type ip size 1k\n"),
        ("stick-table peers", true, "peers p\n peer A 127.0.0.1:1\nbackend be\n stick-table type ip size 1k peers p\n stick on src\n server s 127.0.0.1:80\n"),
        ("stick-table unknown peers", false, "backend be\n stick-table type ip size 1k peers nope\n stick on src\n server s 127.0.0.1:80\n"),
        ("stick-table peers of a section without the local peer", true, "peers p\n peer B 127.0.0.1:2\nbackend be\n stick-table type ip size 1k peers p\n stick on src\n server s 127.0.0.1:80\n"),
        ("stick-table peers of an empty section", false, "peers p\nbackend be\n stick-table type ip size 1k peers p\n stick on src\n server s 127.0.0.1:80\n"),
        ("stick on a peers table", true, "peers p\n peer A 127.0.0.1:1\n table t type string size 1k\nbackend be\n stick on req.cook(X) table p/t\n server s 127.0.0.1:80\n"),
        ("stick on a missing peers table", false, "peers p\n peer A 127.0.0.1:1\n table t type ip size 1k\nbackend be\n stick on src table p/zz\n server s 127.0.0.1:80\n"),
        ("stick on a peers table without its section", false, "peers p\n peer A 127.0.0.1:1\n table t type ip size 1k\nbackend be\n stick on src table t\n server s 127.0.0.1:80\n"),
        ("localpeer", true, "global\n localpeer A\npeers p\n peer A 127.0.0.1:1\n"),
        ("localpeer without name", false, "global\n localpeer\n"),
        ("localpeer with two names", false, "global\n localpeer A B\n"),
        ("srvkey addr", true, "peers p\n peer A 127.0.0.1:1\n table t type string size 1k srvkey addr\n"),
    ]

    static let haproxy = ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(arguments: verdicts.map(\.name))
    func verdictMatchesHAProxy(_ name: String) throws {
        let v = try #require(Self.verdicts.first { $0.name == name })
        let ours: Bool
        do { _ = try Self.parse(v.text); ours = true } catch { ours = false }
        #expect(ours == v.valid, "ringproxy's verdict on '\(name)'")
    }

    @Test(.enabled(if: haproxy != nil, "haproxy 2.6 is the anchor for configuration verdicts"), arguments: verdicts.map(\.name))
    func haproxyGivesTheRecordedVerdict(_ name: String) throws {
        let v = try #require(Self.verdicts.first { $0.name == name })
        let dir = FileManagerTemp.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/t.cfg"
        try v.text.write(toFile: path, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.haproxy!)
        p.arguments = ["-c", "-L", "A", "-f", path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        // 0: valid; 2: valid but nothing would listen.
        #expect((p.terminationStatus == 0 || p.terminationStatus == 2) == v.valid, "haproxy -c exit \(p.terminationStatus)")
    }
}
