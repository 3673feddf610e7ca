// Throughput of the back-end under wrk (keep-alive, 200 connections). Opt-in: set
// ORIGIN_BENCH=1 (timing on a shared machine is not a pass/fail matter by default).
import Testing
import Foundation
import Proxy
import Origins

@Suite struct OriginThroughputTests {
    static let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let enabled = wrk != nil && ProcessInfo.processInfo.environment["ORIGIN_BENCH"] != nil

    @Test(.enabled(if: enabled, "set ORIGIN_BENCH=1 (needs wrk)"))
    func sustainsThousandsOfKeepAliveRequestsPerSecond() throws {
        let s = try AppServer(name: "BENCH", port: 0)
        defer { s.stop() }
        let wrk = Process()
        wrk.executableURL = URL(fileURLWithPath: Self.wrk!)
        wrk.arguments = ["-t2", "-c200", "-d3s", "http://127.0.0.1:\(s.port)/bench"]
        let out = Pipe()
        wrk.standardOutput = out
        try wrk.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        wrk.waitUntilExit()
        print(text)
        let rate = text.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }
            .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        #expect(rate > 2000, "\(text)")
        #expect(!text.contains("Non-2xx") && !text.contains("Socket errors"), "\(text)")
    }
}
