import CBench
import Foundation
import Testing

/// The load engine against in-process servers: counts, framing and error accounting.
@Suite struct BenchEngineTests {
    @Test func requestCountIsExactAcrossThreads() throws {
        let server = try BenchTestServer()
        let r = BenchRun(port: server.port, threads: 2, connections: 8, requests: 777).run()
        #expect(r.responses == 777)
        #expect(server.requests == 777)
        #expect(r.status_class.2 == 777)
        #expect(r.latencyCount == 777)
        #expect(r.err_connect + r.err_read + r.err_timeout + r.err_parse + r.err_status == 0)
        #expect(r.connects == 8)  // keep-alive: one connect per connection
    }

    @Test func closeModeConnectsPerRequest() throws {
        let server = try BenchTestServer()
        let r = BenchRun(port: server.port, connections: 4, requests: 200, closeEach: true).run()
        #expect(r.responses == 200)
        #expect(r.connects == 200)
    }

    @Test func serverCloseAfterEachResponseIsNotAnError() throws {
        let server = try BenchTestServer(closeAfter: true)
        let r = BenchRun(port: server.port, connections: 4, requests: 150).run()
        #expect(r.responses == 150)
        #expect(r.err_read == 0)
        #expect(r.connects == 150)
    }

    @Test func chunkedBodiesAreFramed() throws {
        let server = try BenchTestServer(bodyLength: 5000, name: "c", chunked: true)
        let r = BenchRun(port: server.port, connections: 3, requests: 300, serverIDHeader: "X-Server").run()
        #expect(r.responses == 300)
        #expect(r.err_parse == 0 && r.err_read == 0)
        #expect(r.identified == 300)
        #expect(r.bytes_in > 300 * 5000)
    }

    @Test func status500IsCountedAsStatusError() throws {
        let server = try BenchTestServer(status: 500)
        let r = BenchRun(port: server.port, requests: 120).run()
        #expect(r.responses == 120)
        #expect(r.err_status == 120)
        #expect(r.status_class.5 == 120)
    }

    @Test func droppedConnectionsAreReadErrors() throws {
        let server = try BenchTestServer(drop: true)
        let r = BenchRun(port: server.port, requests: 60).run()
        #expect(r.responses == 0)
        #expect(r.err_read == 60)
        #expect(server.requests == 60)
    }

    @Test func refusedConnectionsAreConnectErrors() throws {
        let port: UInt16
        do { port = try BenchTestServer().port }  // a port that was just free, now closed
        let r = BenchRun(port: port, requests: 40).run()
        #expect(r.err_connect == 40)
        #expect(r.responses == 0)
    }

    @Test func slowResponsesTimeOut() throws {
        let server = try BenchTestServer(delayMicros: 400_000)
        let r = BenchRun(port: server.port, threads: 1, connections: 2, requests: 2, timeout: 0.1).run()
        #expect(r.err_timeout == 2)
        #expect(r.responses == 0)
    }

    @Test func warmupRequestsAreNotCounted() throws {
        let server = try BenchTestServer()
        let r = BenchRun(port: server.port, threads: 1, connections: 2, warmup: 0.2, requests: 100).run()
        #expect(r.responses == 100)
        #expect(server.requests > 150, "\(server.requests)")  // the warm-up sent plenty more
    }

    @Test func weightedURLsFollowTheSchedule() throws {
        let server = try BenchTestServer(echoPath: true)
        let r = BenchRun(port: server.port, paths: ["/a", "/a", "/a", "/b"], threads: 2, connections: 3,
                         requests: 400, serverIDBody: "path=").run()
        #expect(r.responses == 400)
        #expect(r.serverCounts == ["/a": 300, "/b": 100])
    }
}
