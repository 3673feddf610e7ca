// Health checks end to end: a server switched off is DOWN in the CSV within fall × inter and
// gets no traffic, comes back UP after rise × inter, and the state changes are printed on
// stderr in HAProxy's words (compared with HAProxy 2.6's own messages where it is installed).
import Foundation
import Testing
import Proxy
import Origins

struct OpsHealthWorld {
    let a: AppServer
    let b: AppServer
    let frontPort = freePort()
    let statsPort = freePort()
    static let inter = 200, rise = 2, fall = 3

    init() throws {
        a = try AppServer(name: "a", port: 0, behaviour: .echo)
        b = try AppServer(name: "b", port: 0, behaviour: .echo)
    }

    func stop() { a.stop(); b.stop() }

    var config: String {
        """
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend F
            bind 127.0.0.1:\(frontPort)
            default_backend B
        backend B
            balance roundrobin
            server a 127.0.0.1:\(a.port) check inter \(Self.inter) rise \(Self.rise) fall \(Self.fall)
            server b 127.0.0.1:\(b.port) check inter \(Self.inter) rise \(Self.rise) fall \(Self.fall)
        listen stats
            bind 127.0.0.1:\(statsPort)
            stats enable
            stats uri /st
        """
    }

    func status(of server: String) throws -> String? {
        try OpsStatsCSV(RawHTTP.get(port: statsPort, path: "/st;csv").bodyText).row("B", server)?["status"]
    }

    /// Polls the CSV until `server`'s status is `wanted`; returns how long that took.
    func waitForStatus(_ server: String, _ wanted: String, timeout: Duration = .seconds(5)) throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            if try status(of: server) == wanted { return ContinuousClock.now - start }
            usleep(10_000)
        }
        return nil
    }

    /// Switches `b` off until DOWN, then on until UP; returns the two delays.
    func cycle(waitForDown: () throws -> Duration?, waitForUp: () throws -> Duration?) throws -> (down: Duration?, up: Duration?) {
        b.refusing = true
        let down = try waitForDown()
        b.refusing = false
        let up = try waitForUp()
        return (down, up)
    }
}

/// `Server B/b is DOWN, reason: …` lines of a stderr text, from `Server` on, with the check
/// duration blanked (it is a timer value).
func stateChangeMessages(_ stderr: String) -> [String] {
    stderr.split(separator: "\n").compactMap { line -> String? in
        guard let r = line.range(of: "Server B/") else { return nil }
        return String(line[r.lowerBound...]).replacingOccurrences(
            of: #"check duration: \d+ms"#, with: "check duration: Nms", options: .regularExpression)
    }
}

/// Every health line of a stderr text whole (`[WARNING]  (pid) : Server …`, `[ALERT]    (pid) :
/// backend 'B' has no server available!`), pid and check duration blanked.
func healthStderrLines(_ stderr: String) -> [String] {
    stderr.split(separator: "\n").filter { $0.contains("Server B/") || $0.contains("backend 'B'") }.map {
        String($0).replacingOccurrences(of: #"^\[(WARNING|ALERT)\]( +)\(\d+\)"#, with: "[$1]$2(PID)", options: .regularExpression)
            .replacingOccurrences(of: #"check duration: \d+ms"#, with: "check duration: Nms", options: .regularExpression)
    }
}

@Suite(.serialized) struct OpsHealthTests {
    @Test func switchedOffServerGoesDownAndComesBack() throws {
        let world = try OpsHealthWorld()
        defer { world.stop() }
        let p = try ProxyProcess(config: world.config, waitForPorts: [world.frontPort, world.statsPort])
        defer { _ = p.stop() }
        #expect(try world.waitForStatus("b", "UP") != nil)
        #expect(try world.status(of: "a") == "UP")

        world.b.refusing = true
        let inter = Duration.milliseconds(OpsHealthWorld.inter)
        // fall × inter, plus one interval of phase and some slack for a loaded machine
        let down = try world.waitForStatus("b", "DOWN", timeout: .seconds(5))
        #expect(down != nil)
        if let down { #expect(down <= inter * (OpsHealthWorld.fall + 1) + .milliseconds(1000), "DOWN after \(down)") }
        let row = try OpsStatsCSV(RawHTTP.get(port: world.statsPort, path: "/st;csv").bodyText).row("B", "b")
        #expect(row?["check_status"] == "L4CON", "\(String(describing: row))")
        #expect(row?["chkdown"] == "1")

        // no traffic for the DOWN server, all of it for the other one
        let bBefore = world.b.requestsReceived, aBefore = world.a.requestsReceived
        for _ in 0..<6 {
            let r = try RawHTTP.get(port: world.frontPort)
            #expect(r.status == 200 && r.header("X-Server") == "a")
        }
        #expect(world.b.requestsReceived == bBefore)
        #expect(world.a.requestsReceived == aBefore + 6)

        world.b.refusing = false
        let up = try world.waitForStatus("b", "UP", timeout: .seconds(5))
        #expect(up != nil)
        if let up { #expect(up <= inter * (OpsHealthWorld.rise + 1) + .milliseconds(1000), "UP after \(up)") }
        // traffic alternates again
        let servers = try (0..<4).map { _ in try RawHTTP.get(port: world.frontPort).header("X-Server") ?? "" }
        #expect(Set(servers) == ["a", "b"], "\(servers)")

        // HAProxy's words on stderr (foreground)
        let messages = stateChangeMessages(p.stderrText)
        #expect(messages.count == 2, "\(p.stderrText)")
        #expect(messages.first == #"Server B/b is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."#)
        #expect(messages.last == "Server B/b is UP, reason: Layer4 check passed, check duration: Nms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.")
    }

    /// HAProxy 2.6 prints the same lines for the same cycle, then for every server going down.
    @Test(.enabled(if: HAProxyProcess.isInstalled)) func messagesEqualHAProxys() throws {
        func messages(haproxy: Bool) throws -> [String] {
            let world = try OpsHealthWorld()
            defer { world.stop() }
            let p = haproxy ? try HAProxyProcess.start(config: world.config, waitForPorts: [world.frontPort, world.statsPort])
                            : try ProxyProcess(config: world.config, waitForPorts: [world.frontPort, world.statsPort])
            defer { _ = p.stop() }
            _ = try world.waitForStatus("b", "UP")
            _ = try world.cycle(waitForDown: { try world.waitForStatus("b", "DOWN") },
                                waitForUp: { try world.waitForStatus("b", "UP") })
            world.a.refusing = true
            _ = try world.waitForStatus("a", "DOWN")
            world.b.refusing = true
            _ = try world.waitForStatus("b", "DOWN")
            usleep(100_000)
            return healthStderrLines(p.stderrText + p.stdoutText)
        }
        let theirs = try messages(haproxy: true)
        let ours = try messages(haproxy: false)
        #expect(theirs.count == 5, "\(theirs)")
        #expect(ours == theirs)
        #expect(ours.last?.hasPrefix("[ALERT]    (PID) : backend 'B' has no server available!") == true, "\(ours)")
    }
}
