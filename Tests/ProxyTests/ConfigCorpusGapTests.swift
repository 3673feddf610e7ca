import Testing
@testable import Proxy

/// The keywords the real-configs corpus (Tests/Fixtures/real-configs) found missing: each parses
/// as HAProxy 2.6 documents it, and what ringproxy does not apply is said in a warning.
@Suite struct ConfigCorpusGapTests {
    typealias S = ConfigTestSupport

    @Test func unixBindGivesDefaultsToUnixBinds() throws {
        let c = try #require(S.parse("""
            global
                unix-bind prefix /run/rp/ mode 0640 user nobody gid 42
            frontend f
                bind unix@a.sock
                bind /b.sock mode 600 uid 7 group wheel
                bind 127.0.0.1:8080
                default_backend b
            backend b
                server s 127.0.0.1:80
            """))
        let u = c.global.process.unixBind
        #expect(u.prefix == "/run/rp/" && u.mode == 0o640 && u.user == "nobody" && u.gid == 42)
        let binds = try #require(c.proxy(named: "f")?.binds)
        #expect(binds.map(\.address) == [.unixPath("/run/rp/a.sock"), .unixPath("/run/rp//b.sock"), binds[2].address])
        // Defaults where the bind line says nothing; the bind line's own settings win.
        #expect(binds[0].options.mode == 0o640 && binds[0].options.user == "nobody" && binds[0].options.gid == 42)
        #expect(binds[1].options.mode == 0o600 && binds[1].options.uid == 7 && binds[1].options.user == nil
                && binds[1].options.group == "wheel" && binds[1].options.gid == nil)
        // TCP listeners are left alone.
        #expect(binds[2].options.mode == nil && binds[2].options.user == nil)
        #expect(c.warnings.isEmpty, "\(c.warnings)")
    }

    @Test func unixBindRefusesWhatHAProxyRefuses() {
        #expect(S.errors("global\n unix-bind\n").first?.message.contains("expects one of") == true)
        #expect(S.errors("global\n unix-bind mode\n").first?.message.contains("expects a value") == true)
        #expect(S.errors("global\n unix-bind mode 0999\n").first?.message.contains("invalid mode") == true)
        #expect(S.errors("global\n unix-bind prefx /x\n").first?.message.contains("prefix") == true)
        #expect(S.errors("frontend f\n unix-bind mode 600\n").isEmpty == false)
    }

    @Test func logasapIsReadAndSaysItIsNotApplied() throws {
        let c = try #require(S.parse("defaults\n mode http\n option logasap\nfrontend f\n bind :8080\n default_backend b\nbackend b\n server s 127.0.0.1:80\n"))
        #expect(c.proxy(named: "f")?.logging.asSoonAsPossible == true)
        #expect(c.warnings.count == 1 && c.warnings[0].hasPrefix("t.cfg:3:") && c.warnings[0].contains("'option logasap' is read but not applied yet"))
        let off = try #require(S.parse("defaults\n mode http\n option logasap\nfrontend f\n bind :8080\n no option logasap\n default_backend b\nbackend b\n server s 127.0.0.1:80\n"))
        #expect(off.proxy(named: "f")?.logging.asSoonAsPossible == false)
        #expect(S.errors("frontend f\n bind :8080\n option logasap now\n").isEmpty == false)
    }

    @Test func httpBufferRequestIsApplied() throws {
        let c = try #require(S.parse(S.backend(" option http-buffer-request\n server s 127.0.0.1:80")))
        #expect(c.proxy(named: "b")?.connection.bufferRequest == true)
        #expect(c.warnings.isEmpty)
        #expect(S.parse(S.backend(" option http-buffer-request\n no option http-buffer-request\n server s 127.0.0.1:80"))?.proxy(named: "b")?.connection.bufferRequest == false)
    }

    @Test func tlsAndCheckSpreadingDefaultsAreIgnoredWithAWarning() throws {
        let c = try #require(S.parse("""
            global
                max-spread-checks 2s
                ssl-server-verify required
                ssl-default-server-ciphers ECDH+AESGCM
                ssl-default-server-ciphersuites TLS_AES_128_GCM_SHA256
                ssl-default-server-options no-sslv3
            """))
        #expect(c.warnings.count == 5, "\(c.warnings)")
        #expect(c.warnings.allSatisfy { $0.contains("ignored") && $0.contains("has no effect in ringproxy") })
        #expect(c.warnings[1].hasPrefix("t.cfg:3:") && c.warnings[1].contains("ssl-server-verify"))
        // A server that asks for TLS is still refused.
        #expect(S.errors("global\n ssl-server-verify none\nbackend b\n server s 127.0.0.1:443 ssl\n").first?.message.contains("TLS") == true)
    }

    @Test func balanceFirstParses() throws {
        #expect(S.parse(S.backend(" balance first\n server a 127.0.0.1:80 maxconn 2"))?.proxy(named: "b")?.balance == .first)
        #expect(StatsCSV.algorithmName(.first) == "first")
        #expect(S.errors(S.backend(" balance first now")).isEmpty == false)
    }
}
