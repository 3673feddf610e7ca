// `show table` / `set table` on a `type ip` table, side by side with HAProxy 2.6: keys are
// printed and read as dotted addresses (the tables keep them in network order).
import Foundation
import Glibc
import Testing
import Origins

@Suite(.serialized) struct StickTableCLITests {
    @Test func ipKeysReadAndPrintAsHAProxy() throws {
        let origin = try AppServer(name: "A")
        defer { origin.stop() }
        var binaries = [("ringproxy", ProxyProcess.ringproxyBinary)]
        if let h = HAProxyProcess.executable { binaries.append(("haproxy", h)) }
        var outputs: [String: [String]] = [:]
        for (name, binary) in binaries {
            var t = Array("/tmp/rp-st-XXXXXX".utf8CString)
            let dir = String(cString: mkdtemp(&t)!)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let port = freePort(), sock = dir + "/admin.sock"
            let p = try ProxyProcess(config: """
                global
                    stats socket \(sock) level admin
                defaults
                    mode http
                    timeout connect 2s
                    timeout client 10s
                    timeout server 10s
                frontend fe
                    bind 127.0.0.1:\(port)
                    default_backend be
                backend be
                    stick-table type ip size 1k expire 10m
                    stick on src
                    server A 127.0.0.1:\(origin.port)
                    server B 127.0.0.1:\(origin.port)
                """, binary: binary, waitForPorts: [port], timeout: .seconds(30))
            defer { p.stop() }
            try CLIClient.waitForSocket(sock)
            #expect(try RawHTTP.get(port: port).status == 200)
            _ = try CLIClient.send("set table be key 10.1.2.3 data.server_id 2", socket: sock)
            // The key and server_id fields of each entry (addresses and expiry differ).
            let lines = try ["show table be", "show table be key 10.1.2.3"].flatMap {
                try CLIClient.send($0, socket: sock).split(separator: "\n").filter { $0.hasPrefix("0x") }.map {
                    $0.split(separator: " ").filter { $0.hasPrefix("key=") || $0.hasPrefix("server_id=") }.joined(separator: " ")
                }
            }
            outputs[name] = lines.sorted()
        }
        let rp = try #require(outputs["ringproxy"])
        #expect(rp == ["key=10.1.2.3 server_id=2", "key=10.1.2.3 server_id=2", "key=127.0.0.1 server_id=1"])
        if let hp = outputs["haproxy"] { #expect(rp == hp) }
    }

    /// server_key is the key (name, or `ip:port` with `srvkey addr`) of the server an entry
    /// was learned for; an entry `set table` made has none (`-`), and `set table … server_id`
    /// on a learned entry leaves its key as it was (HAProxy stores the two apart).
    @Test func serverKeyNamesTheLearnedServerAsHAProxy() throws {
        let origin = try AppServer(name: "A")
        defer { origin.stop() }
        var binaries = [("ringproxy", ProxyProcess.ringproxyBinary)]
        if let h = HAProxyProcess.executable { binaries.append(("haproxy", h)) }
        var outputs: [String: [String]] = [:]
        for (name, binary) in binaries {
            var t = Array("/tmp/rp-sk-XXXXXX".utf8CString)
            let dir = String(cString: mkdtemp(&t)!)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let port = freePort(), port2 = freePort(), sock = dir + "/admin.sock"
            let p = try ProxyProcess(config: """
                global
                    stats socket \(sock) level admin
                defaults
                    mode http
                    timeout connect 2s
                    timeout client 10s
                    timeout server 10s
                frontend fe
                    bind 127.0.0.1:\(port)
                    default_backend be
                frontend fe2
                    bind 127.0.0.1:\(port2)
                    default_backend byaddr
                backend be
                    stick-table type string len 32 size 100 expire 30m
                    stick on req.cook(J)
                    server a 127.0.0.1:\(origin.port)
                    server b 127.0.0.1:\(origin.port)
                backend byaddr
                    stick-table type string len 32 size 100 expire 30m srvkey addr
                    stick on req.cook(J)
                    server c 127.0.0.1:\(origin.port)
                """, binary: binary, waitForPorts: [port, port2], timeout: .seconds(30))
            defer { p.stop() }
            try CLIClient.waitForSocket(sock)
            #expect(try RawHTTP.get(port: port, headers: [("Cookie", "J=abc")]).status == 200)
            #expect(try RawHTTP.get(port: port2, headers: [("Cookie", "J=def")]).status == 200)
            var lines: [String] = []
            for c in ["set table be key zzz data.server_id 2", "show table be", "set table be key abc data.server_id 2", "show table be",
                      "show table byaddr"] {
                lines += try CLIClient.send(c, socket: sock).split(separator: "\n").filter { $0.hasPrefix("0x") }.map {
                    $0.split(separator: " ").filter { $0.hasPrefix("key=") || $0.hasPrefix("server_") }.joined(separator: " ")
                }
            }
            outputs[name] = lines
        }
        let rp = try #require(outputs["ringproxy"])
        #expect(rp.contains("key=abc server_id=1 server_key=a") && rp.contains("key=abc server_id=2 server_key=a")
                && rp.contains("key=zzz server_id=2 server_key=-"), "\(rp)")
        #expect(rp.contains("key=def server_id=1 server_key=127.0.0.1:\(origin.port)"), "\(rp)")
        if let hp = outputs["haproxy"] { #expect(rp == hp, "--- haproxy\n\(hp.joined(separator: "\n"))\n--- ringproxy\n\(rp.joined(separator: "\n"))") }
    }
}
