import Foundation
import Testing
@testable import Proxy

/// Defaults inheritance: each proxy starts from the most recent `defaults`, keeping only what
/// applies to its kind; a later `defaults` replaces (does not extend) the earlier one.
@Suite struct ConfigInheritanceTests {
    let text = """
        defaults
            mode tcp
            maxconn 111
            timeout connect 1s
            timeout client 2s
            timeout server 3s
            retries 7
            balance source
            cookie SRV insert
            option redispatch
            option httplog
            option httpclose
            monitor-uri /mon
            default_backend b1
            log 127.0.0.1 local1
        frontend f1
            bind :80
        backend b1
            server s 127.0.0.1:80
        listen l1
            bind :81
        defaults
            timeout client 9s
        frontend f2
            bind :82
            default_backend b2
        backend b2
        """

    @Test func frontendGetsOnlyFrontendSettings() throws {
        let f = try #require(ConfigTestSupport.parse(text)?.proxy(named: "f1"))
        #expect(f.kind == .frontend && f.mode == .tcp && f.maxconn == 111 && f.timeouts.client == 2000)
        // `option httplog` is inherited, then (mode tcp) HAProxy's fallback makes it tcplog
        #expect(!f.httpLog && f.logging.tcpLog && f.connectionMode == .close && f.monitorURI == "/mon" && f.defaultBackend == "b1")
        #expect(f.loggers.count == 1 && f.loggers[0].facility == 17)
        // backend-only things are not inherited by a frontend
        #expect(f.timeouts.connect == nil && f.timeouts.server == nil)
        #expect(f.balance == .roundRobin && f.cookie == nil && f.retries == 3 && !f.redispatch)
    }

    @Test func backendGetsOnlyBackendSettings() throws {
        let b = try #require(ConfigTestSupport.parse(text)?.proxy(named: "b1"))
        #expect(b.mode == .tcp && b.timeouts.connect == 1000 && b.timeouts.server == 3000 && b.retries == 7)
        // the inherited `cookie` is dropped with HAProxy's warning (mode tcp)
        #expect(b.balance == .source && b.cookie == nil && b.redispatch && b.connectionMode == .close)
        #expect(b.maxconn == nil && b.timeouts.client == nil && !b.httpLog && b.monitorURI == nil && b.defaultBackend == nil)
    }

    @Test func listenInheritsBothSides() throws {
        let l = try #require(ConfigTestSupport.parse(text)?.proxy(named: "l1"))
        #expect(l.maxconn == 111 && l.timeouts.client == 2000 && l.timeouts.connect == 1000 && l.timeouts.server == 3000)
        #expect(l.balance == .source && l.cookie == nil && !l.httpLog && l.logging.tcpLog && l.retries == 7 && l.monitorURI == "/mon")
    }

    @Test func laterDefaultsResets() throws {
        let c = try #require(ConfigTestSupport.parse(text))
        let f2 = try #require(c.proxy(named: "f2"))
        #expect(f2.timeouts.client == 9000)
        #expect(f2.mode == .tcp && f2.maxconn == nil && !f2.httpLog && f2.connectionMode == .keepAlive && f2.loggers.isEmpty)
        #expect(f2.monitorURI == nil)
        let b2 = try #require(c.proxy(named: "b2"))
        #expect(b2.timeouts.connect == nil && b2.retries == 3 && b2.balance == .roundRobin && b2.cookie == nil)
    }

    @Test func sectionSettingsOverrideDefaults() throws {
        let c = try #require(ConfigTestSupport.parse("defaults\n timeout server 1s\n balance source\nbackend b\n timeout server 5s\n balance leastconn\n"))
        #expect(c.proxy(named: "b")?.timeouts.server == 5000 && c.proxy(named: "b")?.balance == .leastConn)
    }

    @Test func severalFilesShareTheLastDefaults() throws {
        let dir = FileManagerTemp.directory()
        let a = dir + "/a.cfg", b = dir + "/b.cfg"
        try "defaults\n timeout connect 4s\n".write(toFile: a, atomically: true, encoding: .utf8)
        try "backend x\n server s 127.0.0.1:80\n".write(toFile: b, atomically: true, encoding: .utf8)
        let c = try ConfigParser.load(paths: [a, b])
        #expect(c.proxy(named: "x")?.timeouts.connect == 4000)
        // `-f DIR` reads DIR/*.cfg in lexical order.
        #expect(try ConfigParser.load(paths: [dir]).proxy(named: "x")?.timeouts.connect == 4000)
    }
}
