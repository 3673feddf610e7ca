// DRAIN and MAINT as HAProxy 2.6 applies them, through the runtime API on a cookie-insert
// backend, run the same way against ringproxy and HAProxy: 50 clients stuck to server A;
// `set server be/A state drain` → new clients go to B only while the 50 stay on A; `maint` →
// the 50 are sent to B (their cookie names a server that is down) and get B's cookie;
// `ready` → new clients are balanced over both again. The stats CSV, the Prometheus
// exporter and the log show the states.
import Foundation
import Testing
import Proxy
import Origins

@Suite(.serialized) struct RuntimeDrainTests {
    static func config(socket: String, front: UInt16, a: UInt16, b: UInt16, syslog: UInt16) -> String {
        """
        global
            maxconn 1000
            log 127.0.0.1:\(syslog) local0
            stats socket \(socket) level admin
        defaults
            mode http
            log global
            option httplog
            option redispatch
            timeout connect 2s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:\(front)
            http-request use-service prometheus-exporter if { path /metrics }
            default_backend be
        backend be
            balance roundrobin
            cookie SRV insert indirect nocache
            server A 127.0.0.1:\(a) cookie A
            server B 127.0.0.1:\(b) cookie B
        """
    }

    /// One request as a client with `cookie` (nil: a new client): the server that answered
    /// and the cookie the proxy set, if any.
    static func visit(_ port: UInt16, cookie: String?) throws -> (server: String, setCookie: String?) {
        let r = try RawHTTP.get(port: port, path: "/", headers: cookie.map { [("Cookie", "SRV=\($0)")] } ?? [])
        guard r.status == 200, let s = r.header("X-Server") else { throw RawHTTPError("unexpected answer \(r.status)") }
        let set = r.header("Set-Cookie").flatMap { $0.split(separator: ";").first }.map { String($0.dropFirst("SRV=".count)) }
        return (s, set)
    }

    struct Outcome: Equatable {
        var stuckAfterDrain: [String: Int] = [:]
        var newAfterDrain: [String: Int] = [:]
        var stuckAfterMaint: [String: Int] = [:]
        var cookiesAfterMaint: [String: Int] = [:]
        var newAfterReady: [String: Int] = [:]
        var statusDrain = "", statusMaint = ""
    }

    /// The scenario against one proxy (ringproxy or HAProxy).
    static func scenario(binary: String?) throws -> (Outcome, ProxyProcess, SyslogCollector, UInt16) {
        let a = try AppServer(name: "A", port: 0, behaviour: .echo)
        let b = try AppServer(name: "B", port: 0, behaviour: .echo)
        defer { a.stop(); b.stop() }
        let syslog = try SyslogCollector()
        var t = Array("/tmp/rp-drain-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&t)!)
        let socket = dir + "/s.sock", front = freePort()
        let text = config(socket: socket, front: front, a: a.port, b: b.port, syslog: syslog.port)
        let proxy = binary == nil ? try ProxyProcess(config: text, waitForPorts: [front])
                                  : try HAProxyProcess.start(config: text, waitForPorts: [front])
        try CLIClient.waitForSocket(socket)
        func cli(_ c: String) throws -> String { try CLIClient.send(c, socket: socket) }
        func status() throws -> String {
            let row = try cli("show stat").split(separator: "\n").first { $0.hasPrefix("be,A,") } ?? ""
            return String(row.split(separator: ",", omittingEmptySubsequences: false)[17])
        }
        var o = Outcome()
        // 50 clients stuck to A: new clients alternate between A and B (roundrobin).
        var stuck = 0
        for _ in 0..<200 where stuck < 50 {
            let v = try visit(front, cookie: nil)
            if v.server == "A" && v.setCookie == "A" { stuck += 1 }
        }
        #expect(stuck == 50)
        _ = try cli("set server be/A state drain")
        o.statusDrain = try status()
        for _ in 0..<50 { o.stuckAfterDrain[try visit(front, cookie: "A").server, default: 0] += 1 }
        for _ in 0..<20 { o.newAfterDrain[try visit(front, cookie: nil).server, default: 0] += 1 }
        _ = try cli("set server be/A state maint")
        o.statusMaint = try status()
        for _ in 0..<50 {
            let v = try visit(front, cookie: "A")
            o.stuckAfterMaint[v.server, default: 0] += 1
            o.cookiesAfterMaint[v.setCookie ?? "-", default: 0] += 1
        }
        _ = try cli("set server be/A state ready")
        for _ in 0..<20 { o.newAfterReady[try visit(front, cookie: nil).server, default: 0] += 1 }
        try? FileManager.default.removeItem(atPath: dir)
        return (o, proxy, syslog, front)
    }

    static let expected = Outcome(stuckAfterDrain: ["A": 50], newAfterDrain: ["B": 20], stuckAfterMaint: ["B": 50],
                                  cookiesAfterMaint: ["B": 50], newAfterReady: ["A": 10, "B": 10],
                                  statusDrain: "DRAIN", statusMaint: "MAINT")

    @Test func drainKeepsPersistentClientsMaintMovesThem() throws {
        let (o, proxy, syslog, front) = try Self.scenario(binary: nil)
        defer { _ = proxy.stop(); syslog.stop() }
        #expect(o == Self.expected)
        // The exporter shows A's state (ready again) and the log told each change.
        let metrics = try RawHTTP.get(port: front, path: "/metrics").bodyText
        #expect(metrics.contains("haproxy_server_status{proxy=\"be\",server=\"A\",state=\"UP\"} 1"))
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, !syslog.messages.contains(where: { $0.contains("Server be/A is UP/READY (leaving forced maintenance)") }) {
            usleep(10_000)
        }
        let log = syslog.messages
        #expect(log.contains { $0.contains("Server be/A is UP/READY (leaving forced maintenance)") })
        #expect(log.contains { $0.contains("Server be/A enters drain state") })
        #expect(log.contains { $0.contains("Server be/A is going DOWN for maintenance") })
        // The log line of a request whose cookie named A while A was in maintenance: `--DI`.
        #expect(log.contains { $0.contains(" be/B ") && $0.contains(" --DI ") })
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs /usr/sbin/haproxy"))
    func haproxyBehavesTheSame() throws {
        let (o, proxy, syslog, _) = try Self.scenario(binary: "haproxy")
        defer { _ = proxy.stop(); syslog.stop() }
        #expect(o == Self.expected)
    }
}
