// `log-forward` end to end, side by side with HAProxy 2.6: the same syslog messages (RFC 5424,
// RFC 3164 with and without tag/pid, a bare priority, no priority, malformed headers) sent over
// UDP (`dgram-bind`) and TCP (`bind`, LF-terminated and octet-counted) to the same
// configuration under both; every line the targets receive (a UDP collector with one logger
// per format, a level filter, a `len` cut, and a ring forwarding to a TCP collector) must be
// the same bytes, once the dates the relay itself writes ("now") are blanked.
import CBench
import CUring
import Foundation
import Testing
import Glibc
import Proxy
import Origins

struct LogForwardWorld {
    let udpTargets: SyslogCollector
    let ringServer: TCPLogCollector
    let ports = (tcp: freePort(), udp: freePort())
    /// Loggers per relayed message that reach the UDP collector (see `config`).
    static let udpLoggers = 10

    init() throws {
        udpTargets = try SyslogCollector()
        ringServer = try TCPLogCollector()
    }

    func stop() { udpTargets.stop(); ringServer.stop() }

    var config: String {
        let u = "127.0.0.1:\(udpTargets.port)"
        return """
        global
            log-tag relay-tag
        ring R
            format rfc3164
            maxlen 200
            server collector 127.0.0.1:\(ringServer.port)
        log-forward LF
            bind 127.0.0.1:\(ports.tcp)
            dgram-bind 127.0.0.1:\(ports.udp)
            maxconn 4
            backlog 8
            timeout client 5s
            log \(u) local0
            log \(u) format rfc3164 local1
            log \(u) format rfc5424 local2
            log \(u) format local local3
            log \(u) format priority local4
            log \(u) format short local5
            log \(u) format timed local6
            log \(u) format iso local7
            log \(u) format raw local0
            log \(u) len 80 format rfc5424 local1
            log \(u) local2 err
            log ring@R local3
        """
    }

    /// The messages relayed: (what is sent, whether its level passes the `err` logger).
    static let messages: [String] = [
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\"] An application event",
        "<34>1 2003-10-11T22:14:15.00300+02:00 host app - - - a message with nil pid, msgid and sd",
        "<13>1 - - - - - - all nil",
        "<11>1 2003-08-24T05:14:15-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
        "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8",
        "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
        "<27>Mar  1 01:02:03 host tagonly: message after a tag",
        "<30>Apr 12 11:12:13 host tag[12]x: a pid not followed by a colon",
        "<14>just a priority and text",
        "no priority at all",
        "<191>1 2003-10-11T22:14:15.003Z host-with-a-very-long-name-to-be-cut-by-the-len-80-logger.example.com app 1 - - text",
        "<12>1 2003-10-11T22:14:15Z bad",
        "<9>Xyz 11 22:14:15 host not a month",
    ]

    /// Sends every message as datagrams, then over TCP (LF framing, then octet counting), and
    /// collects what the targets received.
    func run() throws -> (udp: [String], ring: [String]) {
        let send = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(send) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET); a.sin_port = ports.udp.bigEndian; a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let perMessage = Self.messages.map(Self.udpCount)
        var expected = 0
        for (i, m) in Self.messages.enumerated() {
            let bytes = Array(m.utf8)
            _ = withUnsafePointer(to: &a) { pa in
                pa.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(send, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            expected += perMessage[i]
            // One at a time: the relay's order is then the sending order in both proxies.
            _ = udpTargets.waitForMessages(count: expected)
        }
        // Over TCP, one message at a time too (a burst of a few hundred datagrams could
        // overflow the collector's socket buffer): LF-framed (CRLF for every other one), then
        // octet-counted.
        let tcp = try RawHTTP(port: ports.tcp)
        defer { tcp.close() }
        var framed: [(bytes: [UInt8], lines: Int)] = []
        for (i, m) in Self.messages.enumerated() where m.hasPrefix("<") {
            framed.append((Array((m + (i % 2 == 0 ? "\r\n" : "\n")).utf8), perMessage[i]))
        }
        for (i, m) in Self.messages.enumerated() { framed.append((Array("\(m.utf8.count) \(m)".utf8), perMessage[i])) }
        for f in framed {
            try tcp.send(f.bytes)
            expected += f.lines
            _ = udpTargets.waitForMessages(count: expected)
        }
        let udp = udpTargets.waitForMessages(count: expected)
        let ringLines = Self.messages.count * 2 + Self.messages.filter { $0.hasPrefix("<") }.count
        let ring = ringServer.waitForLines(ringLines).filter { !$0.isEmpty }
        usleep(200_000)          // anything extra would show in the counts
        return (udpTargets.messages.count == udp.count ? udp : udpTargets.messages, ring)
    }

    /// UDP lines one message produces: 10 loggers, plus the `err` one for levels 0–3 (or no priority).
    static func udpCount(_ m: String) -> Int {
        guard m.hasPrefix("<"), let close = m.firstIndex(of: ">"), let pri = Int(m[m.index(after: m.startIndex)..<close]) else { return udpLoggers + 1 }
        return udpLoggers + (pri & 7 <= 3 ? 1 : 0)
    }
}

/// Blanks the dates the relay writes itself (the current time): ISO with microseconds, and a
/// legacy date of today or yesterday.
func blankRelayDates(_ s: String) -> String {
    var t = s.replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d"#, with: "NOW", options: .regularExpression)
    for back in [0, 86400] {
        var now = time(nil) - back
        var tm = Glibc.tm()
        localtime_r(&now, &tm)
        var buf = [CChar](repeating: 0, count: 16)
        strftime(&buf, buf.count, "%b %e", &tm)
        let day = String(cString: buf)
        t = t.replacingOccurrences(of: day + #" \d\d:\d\d:\d\d"#, with: "NOW", options: .regularExpression)
    }
    return t
}

@Suite(.serialized) struct LogForwardEndToEndTests {
    func capture(haproxy: Bool) throws -> (udp: [String], ring: [String]) {
        let world = try LogForwardWorld()
        defer { world.stop() }
        let p = haproxy ? try HAProxyProcess.start(config: world.config, waitForPorts: [world.ports.tcp])
                        : try ProxyProcess(config: world.config, waitForPorts: [world.ports.tcp])
        defer { _ = p.stop() }
        return try world.run()
    }

    /// ringproxy alone: each format's header rebuilt from the message's own fields.
    @Test func relaysInEveryFormat() throws {
        let c = try capture(haproxy: false)
        let first = c.udp.prefix(11).map(blankRelayDates)
        #expect(first == [
            "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\"] An application event\n",
            "<165>Oct 11 22:14:15 mymachine.example.com evntslog[1234]: An application event\n",
            "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\"] An application event\n",
            "<165>Oct 11 22:14:15 evntslog[1234]: An application event\n",
            "<165>An application event\n",
            "<5>An application event\n",
            "<5>2003-10-11T22:14:15.003Z An application event\n",
            "2003-10-11T22:14:15.003Z An application event\n",
            "An application event\n",
            // len 80: the element that does not fit (the structured data) and all after it are dropped.
            "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 \n",
            "<34>1 2003-10-11T22:14:15.00300+02:00 host app - - - a message with nil pid, msgid and sd\n",
        ], "\(c.udp.prefix(11))")
        let total = LogForwardWorld.messages.map(LogForwardWorld.udpCount).reduce(0, +)
        #expect(c.udp.count == total * 2 + LogForwardWorld.messages.enumerated().filter { $0.element.hasPrefix("<") }.map { LogForwardWorld.udpCount($0.element) }.reduce(0, +))
        #expect(c.ring.first.map(blankRelayDates) == "<165>Oct 11 22:14:15 mymachine.example.com evntslog[1234]: An application event", "ring: rfc3164, the message's facility: \(c.ring.prefix(2))")
        #expect(c.ring.map(blankRelayDates).contains("<152>NOW localhost no priority at all"), "no priority: the logger's facility (local3), level 0: \(c.ring)")
    }

    /// The same messages through HAProxy 2.6.12: the same lines, in the same order.
    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed")) func linesEqualHAProxys() throws {
        let ours = try capture(haproxy: false)
        let theirs = try capture(haproxy: true)
        #expect(ours.udp.count == theirs.udp.count)
        for (i, (a, b)) in zip(ours.udp.map(blankRelayDates), theirs.udp.map(blankRelayDates)).enumerated() {
            #expect(a == b, "UDP line \(i)")
        }
        #expect(ours.ring.map(blankRelayDates) == theirs.ring.map(blankRelayDates))
    }
    /// `maxconn 1` and `timeout client`: a second TCP client waits (in the backlog) while the
    /// first is connected, until the relay closes the idle first one; the same under both.
    func maxconnAndTimeout(haproxy: Bool) throws -> (beforeTimeout: Int, firstClosed: Bool, lines: [String]) {
        let collector = try SyslogCollector()
        defer { collector.stop() }
        let port = freePort()
        let config = """
            log-forward LF
                bind 127.0.0.1:\(port)
                maxconn 1
                timeout client 600ms
                log 127.0.0.1:\(collector.port) local0
            """
        let p = haproxy ? try HAProxyProcess.start(config: config, waitForPorts: [port])
                        : try ProxyProcess(config: config, waitForPorts: [port])
        defer { _ = p.stop() }
        let first = try RawHTTP(port: port)
        try first.send("<13>1 - - - - - - first\n")
        _ = collector.waitForMessages(count: 1)
        let second = try RawHTTP(port: port)
        try second.send("<13>1 - - - - - - second\n")
        // While the first client is connected and not yet idle for 600 ms, the second waits.
        let before = collector.waitForMessages(count: 2, timeout: .milliseconds(300)).count
        let closed = first.isClosed(within: .seconds(3))
        let lines = collector.waitForMessages(count: 2)
        second.close()
        return (before, closed, lines)
    }

    @Test func maxconnAndClientTimeout() throws {
        let ours = try maxconnAndTimeout(haproxy: false)
        #expect(ours.beforeTimeout == 1 && ours.firstClosed && ours.lines == ["<13>first\n", "<13>second\n"], "\(ours)")
    }

    /// `maxconn` agrees with HAProxy 2.6.12. `timeout client` does not, deliberately (README):
    /// 2.6.12 never closes an idle log-forward client (observed: still open after 3 s with a
    /// 600 ms timeout, so a second client waits for ever), ringproxy applies the timeout.
    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed")) func maxconnAsHAProxy() throws {
        let ours = try maxconnAndTimeout(haproxy: false)
        let theirs = try maxconnAndTimeout(haproxy: true)
        #expect(ours.beforeTimeout == 1 && theirs.beforeTimeout == 1, "the second client waits: ours \(ours), HAProxy's \(theirs)")
        #expect(ours.lines.first == theirs.lines.first)
        #expect(ours.firstClosed && !theirs.firstClosed, "the known difference: ours \(ours), HAProxy's \(theirs)")
    }
}
