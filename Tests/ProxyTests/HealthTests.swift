import Testing
import Glibc
import Synchronization
@testable import Proxy

private let here = SourceLocation(file: "test", line: 1)

/// A backend config with the given (name, port, backup) servers, all checked.
func healthTestConfig(backend: String = "B", servers: [(String, Int, Bool)], inter: Int = 100,
                      rise: Int = 2, fall: Int = 2, host: String = "127.0.0.1") -> Configuration {
    var c = Configuration()
    var p = ProxyConfig(kind: .backend, name: backend, location: here)
    for (name, port, backup) in servers {
        var s = ServerConfig(name: name, host: host, port: port, location: here)
        s.check = true; s.inter = inter; s.rise = rise; s.fall = fall; s.backup = backup
        p.servers.append(s)
    }
    c.proxies.append(p)
    return c
}

/// Drives one state machine on a fake clock: a check runs at each due time and passes iff
/// `alive(t)`. Returns the transitions with their times and the check times.
func simulate(_ m: inout HealthStateMachine, _ iv: CheckIntervals, firstAt: Int = 0, until: Int,
              alive: (Int) -> Bool) -> (transitions: [(Int, HealthTransition)], checks: [Int]) {
    var t = firstAt
    var out: [(Int, HealthTransition)] = []
    var checks: [Int] = []
    while t <= until {
        checks.append(t)
        if let tr = alive(t) ? m.recordSuccess() : m.recordFailure() { out.append((t, tr)) }
        t += m.nextInterval(iv)
    }
    return (out, checks)
}

@Suite struct HealthStateMachineTests {
    @Test func startsUpAtTheEdgeOfFailing() {
        var m = HealthStateMachine(rise: 3, fall: 3)
        #expect(m.isUp && m.health == 3)
        #expect(m.statusWord == "UP 1/3")
        #expect(m.recordFailure() == .wentDown)
        #expect(!m.isUp && m.health == 0 && m.statusWord == "DOWN")
    }

    @Test func fullyUpNeedsFallFailuresAndWordsFollowHAProxy() {
        var m = HealthStateMachine(rise: 3, fall: 3)
        #expect(m.recordSuccess() == nil)
        #expect(m.statusWord == "UP" && m.health == 5)
        #expect(m.recordFailure() == nil); #expect(m.statusWord == "UP 2/3")
        #expect(m.recordFailure() == nil); #expect(m.statusWord == "UP 1/3")
        // A success while going down restores full UP.
        #expect(m.recordSuccess() == nil); #expect(m.statusWord == "UP")
        #expect(m.recordFailure() == nil)
        #expect(m.recordFailure() == nil)
        #expect(m.recordFailure() == .wentDown)
        #expect(m.recordSuccess() == nil); #expect(m.statusWord == "DOWN 1/3")
        #expect(m.recordSuccess() == nil); #expect(m.statusWord == "DOWN 2/3")
        // A failure while going up resets to 0.
        #expect(m.recordFailure() == nil); #expect(m.statusWord == "DOWN" && m.health == 0)
        #expect(m.recordSuccess() == nil)
        #expect(m.recordSuccess() == nil)
        #expect(m.recordSuccess() == .wentUp); #expect(m.statusWord == "UP" && m.health == 5)
    }

    @Test func fakeClockRiseAndFall() {
        // inter 1500 rise 3 fall 3: killed at t=10000, restarted at t=20000.
        var m = HealthStateMachine(rise: 3, fall: 3)
        let iv = CheckIntervals(inter: 1500)
        let r = simulate(&m, iv, until: 40000) { !($0 >= 10000 && $0 < 20000) }
        #expect(r.transitions.count == 2)
        // Checks at 0,1500,...: 10500 is the first failure, DOWN on the third: 13500.
        #expect(r.transitions[0].0 == 13500 && r.transitions[0].1 == .wentDown)
        // First success at 21000, UP on the third: 24000.
        #expect(r.transitions[1].0 == 24000 && r.transitions[1].1 == .wentUp)
    }

    @Test func fastinterInTransitionsDowninterWhenDown() {
        var m = HealthStateMachine(rise: 2, fall: 3)
        let iv = CheckIntervals(inter: 1000, fastinter: 100, downinter: 5000)
        // Starting state (health = rise, not full) is transitional: fastinter.
        #expect(m.nextInterval(iv) == 100)
        _ = m.recordSuccess()
        #expect(m.nextInterval(iv) == 1000)
        _ = m.recordFailure()
        #expect(m.nextInterval(iv) == 100)
        _ = m.recordFailure(); _ = m.recordFailure()
        #expect(!m.isUp && m.nextInterval(iv) == 5000)
        _ = m.recordSuccess()
        #expect(m.nextInterval(iv) == 100)

        var m2 = HealthStateMachine(rise: 2, fall: 3)
        let r = simulate(&m2, iv, until: 20000) { $0 < 3000 || $0 >= 12000 }
        // Up at 0 (→ full at 0), checks every 1000 until 3000 fails, then fastinter 100:
        // 3000 (fail), 3100 (fail), 3200 (fail → DOWN), then downinter 5000: 8200, 13200 (ok), 13300 (ok → UP).
        #expect(r.transitions.map(\.0) == [3200, 13300])
        #expect(r.checks.contains(8200) && !r.checks.contains(4200))
    }

    @Test func firstChecksAreStaggered() {
        #expect(staggeredFirstCheckDelays([1500, 1500, 1500]) == [0, 500, 1000])
        #expect(staggeredFirstCheckDelays([2000, 1000]) == [0, 500])
        #expect(staggeredFirstCheckDelays([]) == [])
    }
}

@Suite struct HealthTableTests {
    @Test func backupServesOnlyWhenAllActiveServersAreDown() {
        let cfg = healthTestConfig(servers: [("A", 1, false), ("C", 2, false), ("K", 3, true)])
        let t = ServerStateTable(configuration: cfg, nowMs: 0)
        let a = t.slot(backend: "B", server: "A")!, c = t.slot(backend: "B", server: "C")!, k = t.slot(backend: "B", server: "K")!
        #expect(t.isUsable(a) && t.isUsable(c) && !t.isUsable(k) && t.isUp(k))
        var ma = HealthStateMachine(rise: 2, fall: 2), mc = HealthStateMachine(rise: 2, fall: 2)
        let fail = CheckResult(status: .l4con, info: "Connection refused", durationMs: 0)
        var tr = ma.recordFailure()
        t.publish(server: a, machine: ma, result: fail, transition: tr, nowMs: 1000)
        #expect(!t.isUsable(a) && t.isUsable(c) && !t.isUsable(k))
        tr = mc.recordFailure()
        t.publish(server: c, machine: mc, result: fail, transition: tr, nowMs: 2000)
        #expect(!t.isUsable(c) && t.isUsable(k))
        #expect(t.upCounts(backend: 0) == (0, 1))
        let ok = CheckResult(status: .l4ok, durationMs: 0)
        _ = ma.recordSuccess()
        tr = ma.recordSuccess()
        t.publish(server: a, machine: ma, result: ok, transition: tr, nowMs: 5000)
        #expect(t.isUsable(a) && !t.isUsable(k))
        let v = t.view(a, nowMs: 7000)
        #expect(v.checkFailures == 1 && v.downTransitions == 1 && v.downtimeSeconds == 4 && v.lastChangeSeconds == 2)
        #expect(t.statusWord(a) == "UP" && t.statusWord(c) == "DOWN" && v.lastCheck == .l4ok)
    }

    /// The checker and the runtime API share the table: a forced `stopping` is left by the next
    /// passed check (HAProxy's check_notify_success calls srv_set_running), a check result in
    /// maintenance changes no state, and NOLB from disable-on-404 takes no new traffic.
    @Test func checkerAndRuntimeAPIShareTheState() {
        let cfg = healthTestConfig(servers: [("A", 1, false), ("C", 2, false)])
        let t = ServerStateTable(configuration: cfg, nowMs: 0)
        var m = HealthStateMachine(rise: 2, fall: 2)
        t.apply(.stopping, server: 0, nowMs: 10)
        #expect(t.statusWord(0) == "NOLB" && !t.isBalanceable(0) && t.isUsable(0))
        let forced = t.takeHealthOverrideState(0)!
        m.force(health: forced.health, state: forced.op.machineState)
        #expect(m.state == .stopping && t.takeHealthOverrideState(0) == nil)
        let (_, tr) = m.record(.l4ok)
        #expect(tr == .wentUp)
        let change = t.publish(server: 0, health: m.health, state: ServerOpState(m.state),
                               result: CheckResult(status: .l4ok, durationMs: 0), nowMs: 20)
        #expect(change?.from == .stopping && change?.to == .running && t.statusWord(0) == "UP")
        #expect(m.record(.l7okc).transition == .wentStopping)
        #expect(t.publish(server: 0, health: m.health, state: .stopping, result: CheckResult(status: .l7okc, code: 404, durationMs: 0), nowMs: 30)?.to == .stopping)
        #expect(t.statusWord(0) == "NOLB" && !t.isBalanceable(0) && t.upCounts(backend: 0) == (1, 0))
        t.apply(.maint, server: 1, nowMs: 40)
        #expect(t.publish(server: 1, health: 0, state: .stopped, result: CheckResult(status: .l4con, durationMs: 0), nowMs: 50) == nil)
        #expect(t.statusWord(1) == "MAINT" && t.view(1, nowMs: 60).lastCheck == .l4con)
        // A failure that does not move the counter (already DOWN) is not a failed check.
        t.apply(.ready, server: 1, nowMs: 70)
        let before = t.view(1, nowMs: 80).checkFailures
        t.publish(server: 1, health: 0, state: .stopped, result: CheckResult(status: .l4con, durationMs: 0), nowMs: 90, counted: false)
        #expect(t.view(1, nowMs: 100).checkFailures == before && t.statusWord(1) == "DOWN")
    }

    @Test func disabledIsMaintAndUncheckedIsNoCheck() {
        var cfg = healthTestConfig(servers: [("A", 1, false), ("D", 2, false)])
        cfg.proxies[0].servers[0].check = false
        cfg.proxies[0].servers[1].disabled = true
        let t = ServerStateTable(configuration: cfg, nowMs: 0)
        #expect(t.statusWord(0) == "no check" && t.isUsable(0))
        #expect(t.statusWord(1) == "MAINT" && !t.isUsable(1))
        #expect(t.upCounts(backend: 0) == (1, 0))
    }

    @Test func messagesMatchHAProxyBytes() {
        let down = HealthMessages.down(backend: "COOKIE_srv", server: "REALsrv_120",
                                       result: CheckResult(status: .l4con, info: "Connection refused", durationMs: 0),
                                       activeLeft: 1, backupLeft: 0)
        #expect(down == "Server COOKIE_srv/REALsrv_120 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.")
        let up = HealthMessages.up(backend: "APPSESSION_srv", server: "REALsrv_120",
                                   result: CheckResult(status: .l4ok, durationMs: 0), activeOnline: 2, backupOnline: 0)
        #expect(up == "Server APPSESSION_srv/REALsrv_120 is UP, reason: Layer4 check passed, check duration: 0ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.")
        let l7 = HealthMessages.down(backend: "B", server: "S", result: CheckResult(status: .l7sts, code: 503, info: "Service Unavailable", durationMs: 2), activeLeft: 0, backupLeft: 0)
        #expect(l7.contains("reason: Layer7 wrong status, code: 503, info: \"Service Unavailable\", check duration: 2ms."))
        #expect(HealthMessages.noServer(backend: "B") == "backend B has no server available!")
        // Observed from HAProxy 2.6.12 (backup server K of TB, and the stderr forms).
        let backupDown = HealthMessages.down(backend: "TB", server: "K", backup: true,
                                             result: CheckResult(status: .l4con, info: "Connection refused", durationMs: 0),
                                             activeLeft: 1, backupLeft: 0)
        #expect(backupDown == "Backup Server TB/K is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.")
        #expect(HealthMessages.stderrLine(HealthEvent(backend: "TB", server: nil, level: 0, message: HealthMessages.noServer(backend: "TB")), pid: 15720)
                == "[ALERT]    (15720) : backend 'TB' has no server available!")
        #expect(HealthMessages.stderrLine(HealthEvent(backend: "TB", server: "A", level: 1, message: "Server TB/A is DOWN"), pid: 15720)
                == "[WARNING]  (15720) : Server TB/A is DOWN")
    }

    @Test func httpResponsesAreParsedAsChecksReadThem() {
        guard case .parsed(let ok) = HTTPCheckResponse.parse(Array("HTTP/1.0 200 OK\r\nX-A: 1, 2\r\nContent-Length: 3\r\n\r\nabc".utf8), closed: false) else {
            Issue.record("not parsed"); return
        }
        #expect(ok.status == 200 && ok.reason == Array("OK".utf8) && ok.complete && ok.body == Array("abc".utf8))
        #expect(ok.lastValue(of: "x-a", full: true) == Array("1, 2".utf8) && ok.lastValue(of: "x-a", full: false) == Array("2".utf8))
        guard case .parsed(let chunked) = HTTPCheckResponse.parse(Array("HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".utf8), closed: false) else {
            Issue.record("not parsed"); return
        }
        #expect(chunked.status == 500 && chunked.body == Array("abc".utf8) && chunked.complete)
        if case .invalid = HTTPCheckResponse.parse(Array("SSH-2.0\r\n".utf8), closed: true) {} else { Issue.record("SSH banner is not HTTP") }
        if case .incomplete = HTTPCheckResponse.parse(Array("HTTP/1.1 200 OK\r\n".utf8), closed: false) {} else { Issue.record("head not complete") }
    }
}

/// A TCP listener that the test can close and reopen on the same port. It listens on
/// 127.0.0.42: other tests bind ephemeral ports on 127.0.0.1 in parallel, and one of them could
/// take this port while it is closed, making the "dead" server answer.
final class TestListener {
    static let address = "127.0.0.42"
    var fd: Int32 = -1
    var port: Int = 0
    init() { open(port: 0) }
    func open(port want: Int) {
        // Reopen: bind a new socket while the shut one still holds the port (both have
        // SO_REUSEADDR and neither listens), then let the old one go: the port is never free.
        let old = fd
        defer { if old >= 0 { close(old) } }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(4))
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(want).bigEndian)
        a.sin_addr.s_addr = inet_addr(TestListener.address)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                _ = bind(fd, p, len)
                _ = listen(fd, 4096)   // never accepted: room for every check of the test
                _ = getsockname(fd, p, &len)
            }
        }
        port = Int(UInt16(bigEndian: a.sin_port))
    }
    /// Stops listening but keeps the port bound, so no other test can take it meanwhile (new
    /// connections are refused; `open` listens again on the same port).
    func shut() { shutdown(fd, Int32(SHUT_RDWR)) }
    deinit { if fd >= 0 { close(fd) } }
}

@Suite(.serialized) struct HealthCheckerEndToEndTests {
    @Test func closedListenerGoesDownAndComesBack() throws {
        // Blocking sleeps and the times the checker's callback recorded: a Task.sleep resumes
        // late when end-to-end tests fill the cooperative pool, which made this test flaky.
        let l = TestListener()
        let cfg = healthTestConfig(servers: [("S", l.port, false)], inter: 100, rise: 2, fall: 2, host: TestListener.address)
        let table = ServerStateTable(configuration: cfg)
        let events = Mutex<[(Int64, HealthEvent)]>([])
        let checker = HealthChecker(table: table, targets: CheckTarget.targets(configuration: cfg, table: table)) { e in
            events.withLock { $0.append((MonotonicClock.nowMs(), e)) }
        }
        try checker.start()
        defer { checker.stop() }
        // Let it become fully UP (two successes).
        usleep(350_000)
        #expect(table.statusWord(0) == "UP")
        let closedAt = MonotonicClock.nowMs()
        l.shut()
        // wait for the events themselves: the state table is published just before the
        // callback runs, so polling the table can see UP before the UP event exists
        func waitForEvents(_ n: Int) { for _ in 0..<300 where events.withLock({ $0.count }) < n { usleep(10_000) } }
        waitForEvents(2)                                   // DOWN, then "no server available"
        let d = try #require(events.withLock { $0.first?.0 })
        // fall × inter, plus one interval of phase and scheduling slack.
        #expect(d - closedAt <= 2 * 100 + 100 + 1200)  // generous: the suite runs beside busy tests
        #expect(table.view(0, nowMs: d).lastCheck == .l4con)
        #expect(!table.isUp(0))
        l.open(port: l.port)
        let reopenedAt = MonotonicClock.nowMs()
        waitForEvents(3)                                   // UP
        let u = try #require(events.withLock { $0.count == 3 ? $0.last?.0 : nil })
        #expect(u - reopenedAt <= 2 * 100 + 100 + 1200)
        #expect(table.isUp(0))
        let got = events.withLock { $0.map(\.1) }
        #expect(got.count == 3)
        // The duration is real time (0 or 1 ms on loopback); the rest is HAProxy's bytes.
        let down = got.first?.message ?? ""
        #expect(down.hasPrefix("Server B/S is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: "))
        #expect(down.hasSuffix("ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."))
        #expect(got.first?.level == 1)
        #expect(got.dropFirst().first?.message == "backend B has no server available!")
        #expect(got.last?.message.hasPrefix("Server B/S is UP, reason: Layer4 check passed, check duration: ") == true)
        #expect(got.last?.message.hasSuffix(" 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.") == true)
    }
}

/// A one-shot HTTP responder: accepts connections on a loopback port and answers each with
/// `reply` (or holds them silent when nil), on its own thread.
final class TestHTTPResponder: @unchecked Sendable {
    let listener = TestListener()
    let reply: [UInt8]?
    var thread = pthread_t()
    init(reply: String?) {
        self.reply = reply.map { Array($0.utf8) }
        let box = Unmanaged.passRetained(self)
        pthread_create(&thread, nil, { arg in
            let me = Unmanaged<TestHTTPResponder>.fromOpaque(arg!).takeRetainedValue()
            var held: [Int32] = []
            while true {
                let c = accept(me.listener.fd, nil, nil)
                if c < 0 { break }
                var buf = [UInt8](repeating: 0, count: 1024)
                _ = recv(c, &buf, buf.count, 0)
                if let r = me.reply { _ = r.withUnsafeBytes { send(c, $0.baseAddress, $0.count, 0) }; close(c) } else { held.append(c) }
            }
            held.forEach { close($0) }
            return nil
        }, box.toOpaque())
    }
    func stop() { shutdown(listener.fd, Int32(SHUT_RDWR)); pthread_join(thread, nil) }
}

@Suite(.serialized) struct HealthHTTPCheckTests {
    func runCheck(reply: String?, timeoutMs: Int = 300) async throws -> (ServerStateTable, [HealthEvent]) {
        let r = TestHTTPResponder(reply: reply)
        defer { r.stop() }
        var cfg = healthTestConfig(servers: [("S", r.listener.port, false)], inter: timeoutMs, rise: 2, fall: 2, host: TestListener.address)
        var chk = HTTPCheckSend(); chk.method = "GET"; chk.uri = CheckFormat(literal: "/health"); chk.fromOption = true
        cfg.proxies[0].checks.kind = .http
        cfg.proxies[0].checks.httpRules = [CheckRule(.send(.http(chk)), location: here)]
        let table = ServerStateTable(configuration: cfg)
        let events = Mutex<[HealthEvent]>([])
        let checker = HealthChecker(table: table, targets: CheckTarget.targets(configuration: cfg, table: table)) { e in
            events.withLock { $0.append(e) }
        }
        try checker.start()
        try await Task.sleep(for: .milliseconds(timeoutMs + 150))
        checker.stop()
        return (table, events.withLock { $0 })
    }

    @Test func twoHundredPasses() async throws {
        let (t, ev) = try await runCheck(reply: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(t.isUp(0) && t.view(0, nowMs: 0).lastCheck == .l7ok && t.view(0, nowMs: 0).checkCode == 200)
        #expect(ev.isEmpty)
    }

    @Test func fiveHundredFailsWithLayer7WrongStatus() async throws {
        let (t, ev) = try await runCheck(reply: "HTTP/1.0 503 Service Unavailable\r\n\r\n")
        #expect(!t.isUp(0) && t.view(0, nowMs: 0).lastCheck == .l7sts)
        #expect(ev.first?.message.hasPrefix("Server B/S is DOWN, reason: Layer7 wrong status, code: 503, info: \"Service Unavailable\", check duration: ") == true)
    }

    @Test func silentServerTimesOut() async throws {
        let (t, ev) = try await runCheck(reply: nil, timeoutMs: 200)
        #expect(!t.isUp(0) && t.view(0, nowMs: 0).lastCheck == .l7tout)
        #expect(ev.first?.message.contains("reason: Layer7 timeout, check duration: 2") == true)
    }
}

@Suite struct HealthEventLoggerTests {
    @Test func eventsGoToTheBackendLoggersAtTheirLevel() throws {
        let rx = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(rx) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET); a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
            _ = bind(rx, p, len); _ = getsockname(rx, p, &len) } }
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var cfg = healthTestConfig(servers: [("S", 1, false)])
        var l = LoggerConfig(); l.port = Int(UInt16(bigEndian: a.sin_port)); l.maxLevel = 5   // notice
        cfg.proxies[0].loggers = [l]
        let log = HealthEventLogger(targets: LogTargets(configuration: cfg, pid: 77), toStderr: false, pid: 77)
        log(HealthEvent(backend: "B", server: "S", level: HealthMessages.downLevel, message: "Server B/S is DOWN"))
        log(HealthEvent(backend: "B", server: nil, level: HealthMessages.noServerLevel, message: "backend B has no server available!"))
        var buf = [UInt8](repeating: 0, count: 2048)
        var got: [String] = []
        for _ in 0..<2 {
            let n = buf.withUnsafeMutableBytes { recv(rx, $0.baseAddress, $0.count, 0) }
            try #require(n > 0)
            got.append(String(decoding: buf[0..<n], as: UTF8.self))
        }
        #expect(got[0].hasPrefix("<129>") && got[0].hasSuffix(" ringproxy[77]: Server B/S is DOWN\n"))
        #expect(got[1].hasPrefix("<128>") && got[1].hasSuffix(" ringproxy[77]: backend B has no server available!\n"))
    }
}
