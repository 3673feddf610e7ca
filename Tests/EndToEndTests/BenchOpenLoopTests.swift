import CBench
import Foundation
import Testing

/// The open loop sends at a constant rate and charges queueing to latency (from intended time).
@Suite struct BenchOpenLoopTests {
    @Test func rateTimesDurationRequests() throws {
        let server = try BenchTestServer()
        let r = BenchRun(port: server.port, threads: 2, connections: 16, rate: 2000, seconds: 1).run()
        #expect(r.responses >= 1900 && r.responses <= 2050, "\(r.responses)")
        #expect(r.err_read + r.err_connect + r.err_timeout == 0)
    }

    @Test func latencyIncludesQueueingWhenTheServerIsSlow() throws {
        // 2 ms per response, serialized: capacity ≈ 500 req/s; asked for 1000 req/s.
        let server = try BenchTestServer(delayMicros: 2000)
        let r = BenchRun(port: server.port, threads: 1, connections: 4, rate: 1000, seconds: 1, timeout: 5).run()
        #expect(r.responses > 200)
        #expect(r.max_backlog > 100, "\(r.max_backlog)")
        // Service time is ~2–8 ms; from the intended send time, the later requests waited far longer.
        #expect(r.latencyPercentile(90) > 150_000, "p90 \(r.latencyPercentile(90)) µs")
    }

    @Test func closedLoopAgainstTheSameSlowServerHidesQueueing() throws {
        let server = try BenchTestServer(delayMicros: 2000)
        let r = BenchRun(port: server.port, threads: 1, connections: 4, seconds: 0.5, timeout: 5).run()
        #expect(r.responses > 50)
        #expect(r.latencyPercentile(90) < 50_000, "p90 \(r.latencyPercentile(90)) µs")
    }
}
