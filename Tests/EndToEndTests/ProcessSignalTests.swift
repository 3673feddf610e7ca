// Issue 3, process behaviour: SIGTERM stops at once, SIGUSR1 stops softly (listener closed,
// what is in flight finishes), and `-sf OLDPID` hands the port over without refusing anyone.
import Foundation
import Testing
import Proxy
import Synchronization
import Origins

/// A ringproxy config with one frontend on `port` in front of one server.
func singleServerConfig(port: UInt16, server: UInt16, global: String = "nbthread 1",
                        frontend: String = "", backend: String = "") -> String {
    """
    global
        \(global)
    defaults
        mode http
        timeout connect 1s
        timeout client 10s
        timeout server 10s
    frontend fe
        bind 127.0.0.1:\(port)
        \(frontend)
        default_backend be
    backend be
        \(backend)
        server A 127.0.0.1:\(server)
    """
}

@Suite(.serialized) struct ProcessSignalTests {
    @Test func sigtermStopsAtOnceAndCutsASlowRequest() throws {
        let server = try AppServer(name: "A")
        defer { server.stop() }
        let port = freePort()
        let proxy = try ProxyProcess(config: singleServerConfig(port: port, server: server.port), waitForPorts: [port])
        defer { proxy.stop() }
        let slow = BackgroundTask { try RawHTTP.timedGet(port: port, path: "/slow?sleep=3000") }
        #expect(ProcessProbe.waitUntil { server.requestsReceived == 1 })
        let signalled = ContinuousClock.now
        proxy.signal(SIGTERM)
        #expect(ProcessProbe.waitUntil(timeout: .seconds(1)) { !proxy.isRunning }, "still running 1 s after SIGTERM")
        #expect(ContinuousClock.now - signalled < .milliseconds(1000))
        #expect(proxy.exitCode == 0)
        // the client loses its in-flight request instead of waiting for the slow answer
        switch slow.wait(timeout: .seconds(2)) {
        case .success(let r)?: Issue.record("slow request completed with \(r.status) after a hard stop")
        case .failure?: break
        case nil: Issue.record("client still waiting 2 s after the hard stop")
        }
        #expect(!ProcessProbe.isListening(port))
        #expect(throws: (any Error).self) { _ = try RawHTTP(port: port, timeout: .milliseconds(500)) }
    }

    @Test func sigusr1ClosesTheListenerAndFinishesWhatIsInFlight() throws {
        let server = try AppServer(name: "A")
        defer { server.stop() }
        let port = freePort()
        let proxy = try ProxyProcess(config: singleServerConfig(port: port, server: server.port), waitForPorts: [port])
        defer { proxy.stop() }
        let inFlight = BackgroundTask { try RawHTTP.timedGet(port: port, path: "/slow?sleep=1000") }
        #expect(ProcessProbe.waitUntil { server.requestsReceived == 1 })
        proxy.signal(SIGUSR1)
        // no new connections: the port stops listening well before the slow answer is due
        #expect(ProcessProbe.waitUntil(timeout: .milliseconds(500)) { !ProcessProbe.isListening(port) },
                "port \(port) still listening after SIGUSR1")
        #expect(throws: (any Error).self) { _ = try RawHTTP(port: port, timeout: .milliseconds(300)) }
        #expect(proxy.isRunning, "exited before the request in flight was answered")
        switch inFlight.wait(timeout: .seconds(5)) {
        case .success(let r)?: #expect(r.status == 200)
        case .failure(let e)?: Issue.record("in-flight request failed during a soft stop: \(e)")
        case nil: Issue.record("in-flight request not answered within 5 s of a soft stop")
        }
        #expect(ProcessProbe.waitUntil(timeout: .seconds(3)) { !proxy.isRunning }, "still running after the soft stop finished")
        #expect(proxy.exitCode == 0)
        #expect(server.requestsReceived == 1)
    }

    /// An idle keep-alive client has nothing in flight: a soft stop closes it instead of waiting
    /// for its next request (or its client timeout, 10 s here).
    @Test func sigusr1DoesNotWaitForAnIdleKeepAliveClient() throws {
        let server = try AppServer(name: "A")
        defer { server.stop() }
        let port = freePort()
        let proxy = try ProxyProcess(config: singleServerConfig(port: port, server: server.port, frontend: "option http-keep-alive"),
                                     waitForPorts: [port])
        defer { proxy.stop() }
        let idle = try RawHTTP(port: port)
        #expect(try idle.request("GET", path: "/once").status == 200)
        #expect(!idle.isClosed(within: .milliseconds(100)))
        proxy.signal(SIGUSR1)
        #expect(idle.isClosed(within: .seconds(1)), "idle keep-alive connection kept open during a soft stop")
        #expect(ProcessProbe.waitUntil(timeout: .seconds(1)) { !proxy.isRunning }, "soft stop waits for an idle client")
        #expect(proxy.exitCode == 0)
    }

    @Test func softStopHandsThePortToANewProcessWithoutRefusingAnyone() throws {
        let old = try AppServer(name: "OLD")
        let new = try AppServer(name: "NEW")
        defer { old.stop(); new.stop() }
        let port = freePort()
        let first = try ProxyProcess(config: singleServerConfig(port: port, server: old.port), waitForPorts: [port])
        defer { first.stop() }

        // A client loop across the hand-over: every request on a fresh connection.
        let stopLoop = Mutex(false)
        let loop = BackgroundTask { () -> (served: [String], errors: [String]) in
            var served: [String] = [], errors: [String] = []
            while !stopLoop.withLock({ $0 }) {
                do {
                    let r = try RawHTTP.get(port: port, path: "/n\(served.count)", timeout: .seconds(3))
                    if r.status == 200 { served.append(r.header("X-Server") ?? "?") } else { errors.append("status \(r.status)") }
                } catch { errors.append("\(error)") }
                usleep(2_000)
            }
            return (served, errors)
        }
        #expect(ProcessProbe.waitUntil { old.requestsReceived >= 30 })
        let second = try ProxyProcess(config: singleServerConfig(port: port, server: new.port),
                                      waitForPorts: [port], extraArguments: ["-sf", "\(first.pid)"])
        defer { second.stop() }
        #expect(ProcessProbe.waitUntil(timeout: .seconds(5)) { !first.isRunning }, "old process did not exit after -sf")
        #expect(first.exitCode == 0)
        #expect(ProcessProbe.waitUntil { new.requestsReceived >= 30 })
        stopLoop.withLock { $0 = true }
        guard case .success(let result)? = loop.wait(timeout: .seconds(5)) else {
            Issue.record("client loop did not finish"); return
        }
        #expect(result.errors.isEmpty, "\(result.errors.count) errors, first: \(result.errors.first ?? "")")
        #expect(result.served.first == "OLD")
        #expect(result.served.last == "NEW")
        #expect(second.isRunning)
        #expect(try RawHTTP.get(port: port).header("X-Server") == "NEW")
    }
}
