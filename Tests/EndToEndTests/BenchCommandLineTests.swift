import CBench
import Foundation
import Testing

/// The `ringbench` executable end to end: options, JSON output and `compare` (against HAProxy and
/// a direct backend; ringproxy is expected to fail and must be reported, not fatal).
@Suite struct BenchCommandLineTests {
    static let binary: String? = {
        let env = ProcessInfo.processInfo.environment
        for p in [env["RINGBENCH_BIN"], "./.build/debug/ringbench", "./.build/release/ringbench"].compactMap({ $0 })
        where FileManager.default.isExecutableFile(atPath: p) { return p }
        return nil
    }()
    static let haveHAProxy = ["/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"]
        .contains { FileManager.default.isExecutableFile(atPath: $0) }

    private func run(_ args: [String], env: [String: String] = [:]) throws -> (status: Int32, json: Any?) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary!)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, try? JSONSerialization.jsonObject(with: data))
    }

    @Test(.enabled(if: binary != nil)) func jsonReportCountsAndStickiness() throws {
        let lb = try BenchTestServer(name: "s", backends: 2, stickyCookie: "SRV")
        let url = "http://127.0.0.1:\(lb.port)"
        let r = try run(["--url", "\(url)/a@3", "--url", "\(url)/b", "-n", "400", "-c", "4", "-t", "2",
                         "--clients", "40", "--server-id", "X-Server", "--json"])
        #expect(r.status == 0)
        let j = try #require(r.json as? [String: Any])
        #expect(j["requests"] as? Int == 400)
        let stick = try #require(j["stickiness"] as? [String: Any])
        #expect(stick["moves"] as? Int == 0)
        #expect(stick["identified"] as? Int == 400)
        let lat = try #require(j["latency_us"] as? [String: Any])
        #expect((lat["p99"] as? Int ?? 0) >= (lat["p50"] as? Int ?? 1))
    }

    @Test(.enabled(if: binary != nil)) func urlWeightsSplitTheRequests() throws {
        let server = try BenchTestServer(echoPath: true)
        let url = "http://127.0.0.1:\(server.port)"
        let r = try run(["--url", "\(url)/a@3", "--url", "\(url)/b", "-n400", "-c4", "--server-id-body", "path=", "--json"])
        let j = try #require(r.json as? [String: Any])
        #expect(j["servers"] as? [String: Int] == ["/a": 300, "/b": 100])
    }

    @Test(.enabled(if: binary != nil)) func badOptionsFailWithStatus2() throws {
        #expect(try run(["--url", "http://127.0.0.1:1/", "--connections", "x"]).status == 2)
        #expect(try run(["--url", "ftp://x/"]).status == 2)
    }

    @Test(.enabled(if: binary != nil && haveHAProxy)) func compareReportsHAProxyDirectAndAFailedRingproxy() throws {
        let cfg = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/seed.cfg").standardized.path
        let r = try run(["compare", "-f", cfg, "--host", "nosession.9ai9.net", "--clients", "20",
                         "-c", "8", "-t", "1", "-d", "0.5s", "--turns", "1", "--json"],
                        env: ["RINGPROXY_BIN": "/nonexistent/ringproxy"])
        #expect(r.status == 0)
        let rows = try #require(r.json as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: rows.map { ($0["target"] as? String ?? "", $0) })
        #expect(byName["ringproxy"]?["failure"] != nil)
        #expect(byName["haproxy"]?["runs"] as? Int == 1)
        #expect((byName["haproxy"]?["requests_per_second"] as? Double ?? 0) > 0)
        #expect((byName["haproxy"]?["cpu_us_per_request"] as? Double ?? 0) > 0)
        #expect((byName["haproxy"]?["moves"] as? Int ?? 0) > 0)  // nosession = round-robin: not sticky
        #expect((byName["direct"]?["requests_per_second"] as? Double ?? 0) > 0)
    }
}
