// `use-server` and the server fetches side by side with HAProxy 2.6: the same requests reach
// the same servers (the named one, the balancer when it is in maintenance, the named one
// again with `option persist`), and `del server` refuses what the configuration points at
// (server/cli_delete_server.vtc's configuration and commands).
import Foundation
import Testing
import Proxy
import Origins

@Suite(.serialized) struct RuntimeUseServerTests {
    static let template: @Sendable (String, String, [UInt16]) -> String = { admin, user, p in
        """
        global
            maxconn 1000
            stats socket \(admin) level admin
            stats socket \(user) level user
        defaults
            mode http
            timeout connect 5s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:\(p[0])
            acl s1_busy srv_sess_rate(be/s1) gt 1000
            acl s1_up srv_is_up(be/s1)
            http-response set-header x-s1 "busy" if s1_busy
            http-response set-header x-s1-up "%[srv_is_up(be/s1)] %[srv_conn(be/s2)]"
            use_backend bp if { path_beg /p/ }
            default_backend be
        backend be
            balance roundrobin
            use-server s2 if { path_beg /two }
            use-server s1 if { path_beg /one } || { path_beg /p/one }
            server s1 127.0.0.1:\(p[1])
            server s2 127.0.0.1:\(p[2])
        backend bp
            balance roundrobin
            option persist
            use-server s2 if { path_beg /p/two }
            server s1 127.0.0.1:\(p[1])
            server s2 127.0.0.1:\(p[2])
        """
    }

    /// One side: its proxy's port, its two origins.
    struct Side {
        let port: UInt16, socket: String, a: AppServer, b: AppServer
        func get(_ path: String) -> Int? { try? RawHTTP.get(port: port, path: path).status }
        /// `count` requests for `path`; how many each origin served, and the statuses.
        func run(_ path: String, _ count: Int) -> String {
            let a0 = a.requestsServed, b0 = b.requestsServed
            let statuses = (0..<count).map { _ in get(path).map(String.init) ?? "none" }
            return "\(path): s1 \(a.requestsServed - a0) s2 \(b.requestsServed - b0) \(Set(statuses).sorted())"
        }
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs haproxy to compare with"))
    func useServerSendsTheSameRequestsToTheSameServersAsHAProxy() throws {
        let pair = try CLIPair(ports: 3, Self.template)
        var transcripts: [[String]] = []
        var origins: [AppServer] = []
        defer { origins.forEach { $0.stop() } }
        for (ports, socket) in [(pair.hapPorts, pair.hapSocket), (pair.rpPorts, pair.rpSocket)] {
            let a = try AppServer(name: "s1", port: ports[1], behaviour: .echo)
            let b = try AppServer(name: "s2", port: ports[2], behaviour: .echo)
            origins += [a, b]
            let s = Side(port: ports[0], socket: socket, a: a, b: b)
            var t: [String] = []
            t.append(s.run("/two", 6))
            t.append(s.run("/one", 6))
            t.append(s.run("/any", 6))
            t.append(try CLIClient.send("disable server be/s2", socket: socket))
            t.append(s.run("/two", 6))                  // s2 in maintenance: the balancer decides
            t.append(try CLIClient.send("set server be/s1 state drain", socket: socket))
            t.append(s.run("/one", 4))                  // draining: still named by use-server
            t.append(try CLIClient.send("disable server bp/s2", socket: socket))
            t.append(s.run("/p/two", 4))                // option persist: named even in maintenance
            let headers = try RawHTTP.get(port: ports[0], path: "/one").headers
            t.append(headers.filter { $0.name.lowercased().hasPrefix("x-s1") }.map { "\($0.name): \($0.value)" }.joined(separator: "|"))
            transcripts.append(t)
        }
        #expect(transcripts[0][0].hasPrefix("/two: s1 0 s2 6"), "\(transcripts[0])")
        #expect(transcripts[0] == transcripts[1], "--- haproxy\n\(transcripts[0].joined(separator: "\n"))\n--- ringproxy\n\(transcripts[1].joined(separator: "\n"))")
    }

    /// server/cli_delete_server.vtc: servers named by an ACL's fetch, by `track`, by `use-server`
    /// cannot be deleted; the answers are HAProxy's.
    static let deleteTemplate: @Sendable (String, String, [UInt16]) -> String = { admin, user, p in
        """
        global
            stats socket \(admin) level admin
            stats socket \(user) level user
        defaults
            mode http
            timeout connect 5s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:\(p[0])
            acl s1_full srv_sess_rate(test/s1) gt 50
            default_backend test
        backend test
            use-server s3 unless { always_false }
            server s1 127.0.0.1:\(p[1])
            server s2 127.0.0.1:\(p[1]) check
            server s3 127.0.0.1:\(p[1]) track s2
            server s4 127.0.0.1:\(p[1])
        """
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "needs haproxy to compare with"))
    func deleteServerRefusesReferencedServersAsHAProxy() throws {
        let pair = try CLIPair(ports: 2, Self.deleteTemplate)
        let commands = ["del server foo/s1", "del server test/other", "del server test/s1", "del server test/s2",
                        "del server test/s3", "del server test/s4", "disable server test/s4", "del server test/s4"]
        var differences: [String] = []
        for c in commands {
            let (a, b) = try pair.both(c)
            if a != b { differences.append("'\(c)':\n--- haproxy\n\(a)\n--- ringproxy\n\(b)") }
        }
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }
}
