// Issue 15 item 2, side by side with HAProxy 2.6: a client that half-closes in the middle of its
// request is not left waiting for a timeout. An incomplete body ends the exchange at once (both
// connections closed, nothing answered, logged with status -1 and a client-side termination); an
// incomplete head is answered 400 and logged CR.
import CBench
import CUring
import Foundation
import Glibc
import Testing
import Synchronization

@Suite(.serialized) struct ClientAbortTests {
    private static func config(_ origin: UInt16) -> (UInt16, UInt16) -> String {
        { port, log in
            """
            global
                log 127.0.0.1:\(log) local0
            defaults
                mode http
                log global
                option httplog
                timeout connect 1s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:\(port)
                default_backend be
            backend be
                server s1 127.0.0.1:\(origin)
            """
        }
    }

    static let partialBodies = [
        "POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nh",
        "POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe",
    ]

    @Test(arguments: partialBodies) func halfCloseDuringTheBodyClosesBothSidesAtOnce(request: String) throws {
        let originClosed = Mutex<[Bool]>([])
        let origin = try ScriptedTCPOrigin { peer, _ in
            // the proxy may close before it has sent the head (the client's EOF came first)
            let closed = peer.readHead() == nil ? peer.closed : peer.waitForClose(timeout: .seconds(8))
            originClosed.withLock { $0.append(closed) }
        }
        defer { origin.stop() }
        let twins = try TwinProxies(Self.config(origin.port))
        defer { twins.stop() }
        for side in twins.sides {
            let c = try RawHTTP(port: side.port)
            try c.send(request)
            let start = ContinuousClock.now
            shutdown(c.fd, Int32(SHUT_WR))
            let got = try c.readAllUntilClose(timeout: .seconds(5))
            let elapsed = ContinuousClock.now - start
            #expect(got.isEmpty, "\(side.name) answered \(String(decoding: got, as: UTF8.self))")
            #expect(elapsed < .seconds(2), "\(side.name) closed after \(elapsed)")
            let line = twins.logs(side).first
            #expect(line?["%ST"] == "-1", "\(side.name): \(line.map { "\($0)" } ?? "no log")")
            #expect(line?["%tsc"].hasPrefix("C") == true, "\(side.name): \(line.map { "\($0)" } ?? "no log")")
        }
        // a proxy that saw the client's EOF before it connected never reaches the origin (either
        // proxy may, depending on timing): every connection the origin did get must be closed
        #expect(ProcessProbe.waitUntil(timeout: .seconds(10)) { originClosed.withLock { $0.count } == origin.connections })
        #expect(originClosed.withLock { $0 }.allSatisfy { $0 })
    }

    @Test(arguments: ["GET /f HTTP/1.1\r\nHost: x\r\n", "GET /f HTT"]) func halfCloseDuringTheHeadIsA400(request: String) throws {
        let twins = try TwinProxies(Self.config(freePort()))
        defer { twins.stop() }
        for side in twins.sides {
            let c = try RawHTTP(port: side.port)
            try c.send(request)
            shutdown(c.fd, Int32(SHUT_WR))
            let r = try c.readResponse(timeout: .seconds(3))
            #expect(r.status == 400, "\(side.name)")
            #expect(c.isClosed(within: .seconds(2)), "\(side.name)")
            let line = twins.logs(side).first
            #expect(line?["%ST"] == "400" && line?["%tsc"] == "CR--" && line?["%B"] == "0",
                    "\(side.name): \(line.map { "\($0)" } ?? "no log")")
        }
    }

    // A request pipelined behind another before the client half-closed is still answered (a
    // whole one is forwarded, a partial one gets a 400), then the connection closes: found by
    // the differential fuzzer (ringproxy closed after the first response).
    @Test(arguments: [
        ("GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n", [200, 200]),
        ("GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /sec", [200, 400]),
    ]) func pipelinedRequestsBeforeAHalfCloseAreAnswered(request: String, statuses: [Int]) throws {
        let origin = try ScriptedTCPOrigin { peer, _ in
            while let head = peer.readHead() {
                let body = head.hasPrefix("GET /second") ? "second" : "first"
                peer.write("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            }
        }
        defer { origin.stop() }
        let twins = try TwinProxies(Self.config(origin.port))
        defer { twins.stop() }
        for side in twins.sides {
            let c = try RawHTTP(port: side.port)
            try c.send(request)
            shutdown(c.fd, Int32(SHUT_WR))
            var got: [Int] = []
            for _ in statuses { got.append((try? c.readResponse(timeout: .seconds(3)).status) ?? -1) }
            if side.name == "ringproxy" {
                #expect(got == statuses, "\(side.name)")
            } else {
                // HAProxy answers the pipelined request too, unless it read the client's EOF
                // before it parsed that request (a race on a loaded machine)
                #expect(got.first == statuses.first && (got == statuses || got.dropFirst().allSatisfy { $0 == -1 }), "\(side.name): \(got)")
            }
            #expect(c.isClosed(within: .seconds(2)), "\(side.name)")
        }
    }
}
