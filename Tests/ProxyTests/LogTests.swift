import Testing
import Glibc
@testable import Proxy

/// Epoch ms of a local-time date, so that the expected lines hold in any time zone.
func localEpochMs(_ y: Int, _ mon: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, _ ms: Int) -> Int64 {
    var t = tm()
    t.tm_year = Int32(y - 1900); t.tm_mon = Int32(mon - 1); t.tm_mday = Int32(d)
    t.tm_hour = Int32(h); t.tm_min = Int32(mi); t.tm_sec = Int32(s); t.tm_isdst = -1
    return Int64(mktime(&t)) * 1000 + Int64(ms)
}

/// Formats with a fresh 1024-byte buffer and returns the text.
func render(_ write: (inout LogBuffer) -> Void) -> String {
    let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
    defer { raw.deallocate() }
    var b = LogBuffer(raw)
    write(&b)
    return String(decoding: b.written, as: UTF8.self)
}

func httpLine(_ r: HTTPLogRecord) -> String {
    var dates = LogDateCache()
    return render { HTTPLogLine.write(r, dates: &dates, into: &$0) }
}

func record(port: Int, date: Int64, fe: String, be: String, srv: String?, timers: (Int, Int, Int, Int, Int),
            status: Int, bytes: Int, term: TerminationState) -> HTTPLogRecord {
    var r = HTTPLogRecord()
    r.setClientIPv4("127.0.0.1", port: port)
    r.dateMs = date
    r.frontend = fe; r.backend = be; r.server = srv
    (r.tR, r.tw, r.tc, r.tr, r.ta) = timers
    r.status = status; r.bytesOut = bytes; r.termination = term
    r.actconn = 1; r.feconn = 1
    return r
}

/// Compares field by field (split on spaces) so that a failure names the field.
func expectSameFields(_ got: String, _ want: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let g = got.split(separator: " ", omittingEmptySubsequences: false)
    let w = want.split(separator: " ", omittingEmptySubsequences: false)
    #expect(g.count == w.count, "field count", sourceLocation: sourceLocation)
    for (i, (a, b)) in zip(g, w).enumerated() {
        #expect(a == b, "field \(i)", sourceLocation: sourceLocation)
    }
}

@Suite struct LogLineTests {
    // The expected lines were captured from HAProxy 2.6.12 (Debian) with `option httplog`
    // and a UDP listener (see the report); the request line bytes are the client's.

    @Test func ok200() {
        let req = Array("GET /a HTTP/1.1".utf8)
        var r = record(port: 49188, date: localEpochMs(2026, 11, 27, 4, 44, 13, 582), fe: "F", be: "B", srv: "A",
                       timers: (0, 0, 0, 2, 2), status: 200, bytes: 55, term: .normal)
        let line = req.withUnsafeBytes { p -> String in r.requestLine = p; return httpLine(r) }
        expectSameFields(line, #"127.0.0.1:49188 [27/Nov/2026:04:44:13.582] F B/A 0/0/0/2/2 200 55 - - ---- 1/1/0/0/0 0/0 "GET /a HTTP/1.1""#)
    }

    @Test func noServer503() {
        let req = Array("GET /none HTTP/1.1".utf8)
        var r = record(port: 49198, date: localEpochMs(2026, 11, 27, 4, 44, 13, 602), fe: "F", be: "NONE", srv: nil,
                       timers: (0, -1, -1, -1, 0), status: 503, bytes: 217, term: .noServer)
        let line = req.withUnsafeBytes { p -> String in r.requestLine = p; return httpLine(r) }
        expectSameFields(line, #"127.0.0.1:49198 [27/Nov/2026:04:44:13.602] F NONE/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 1/1/0/0/0 0/0 "GET /none HTTP/1.1""#)
    }

    @Test func serverTimeout504() {
        let req = Array("GET /a?sleep=1 HTTP/1.1".utf8)
        var r = record(port: 58346, date: localEpochMs(2026, 11, 27, 4, 44, 2, 545), fe: "F", be: "B", srv: "A",
                       timers: (0, 0, 0, -1, 1004), status: 504, bytes: 198, term: .serverTimeout)
        let line = req.withUnsafeBytes { p -> String in r.requestLine = p; return httpLine(r) }
        expectSameFields(line, #"127.0.0.1:58346 [27/Nov/2026:04:44:02.545] F B/A 0/0/0/-1/1004 504 198 - - sH-- 1/1/0/0/0 0/0 "GET /a?sleep=1 HTTP/1.1""#)
    }

    @Test func badRequest400() {
        let r = record(port: 58360, date: localEpochMs(2026, 11, 27, 4, 44, 4, 28), fe: "F", be: "F", srv: nil,
                       timers: (-1, -1, -1, -1, 0), status: 400, bytes: 0, term: .badRequest)
        expectSameFields(httpLine(r), #"127.0.0.1:58360 [27/Nov/2026:04:44:04.028] F F/<NOSRV> -1/-1/-1/-1/0 400 0 - - PR-- 1/1/0/0/0 0/0 "<BADREQ>""#)
    }

    @Test func clientTimeout408() {
        let r = record(port: 58374, date: localEpochMs(2026, 11, 27, 4, 44, 4, 470), fe: "F", be: "F", srv: nil,
                       timers: (-1, -1, -1, -1, 2001), status: 408, bytes: 0, term: .clientTimeout)
        expectSameFields(httpLine(r), #"127.0.0.1:58374 [27/Nov/2026:04:44:04.470] F F/<NOSRV> -1/-1/-1/-1/2001 408 0 - - cR-- 1/1/0/0/0 0/0 "<BADREQ>""#)
    }

    @Test func redispatchPrefixesRetriesAndRequestLineIsEncoded() {
        let req = Array("GET /a\"b#c\u{7f} HTTP/1.1".utf8)
        var r = record(port: 1, date: localEpochMs(2026, 1, 2, 3, 4, 5, 6), fe: "F", be: "NC", srv: "A",
                       timers: (0, 3005, 0, 1, 3006), status: 200, bytes: 168, term: TerminationState("--DI"))
        r.actconn = 0; r.feconn = 0; r.retries = 3; r.redispatched = true
        let line = req.withUnsafeBytes { p -> String in r.requestLine = p; return httpLine(r) }
        #expect(line == #"127.0.0.1:1 [02/Jan/2026:03:04:05.006] F NC/A 0/3005/0/1/3006 200 168 - - --DI 0/0/0/0/+3 0/0 "GET /a#22b#23c#7F HTTP/1.1""#)
    }

    @Test func ipv6Client() {
        var r = HTTPLogRecord()
        var a = sockaddr_in6()
        a.sin6_family = sa_family_t(AF_INET6)
        a.sin6_port = in_port_t(UInt16(8080).bigEndian)
        _ = inet_pton(AF_INET6, "::1", &a.sin6_addr)
        withUnsafeMutableBytes(of: &r.client) { dst in withUnsafeBytes(of: &a) { dst.copyMemory(from: $0) } }
        #expect(render { HTTPLogLine.writeClient(r.client, into: &$0) } == "::1:8080")
    }

    @Test func tcplogAndConnectLinesMatchHAProxy() {
        // Observed: `127.0.0.1:49446 [27/Nov/2026:04:49:41.794] T TB/A 1/0/208 63 -- 1/1/0/0/0 0/0`
        var r = record(port: 49446, date: localEpochMs(2026, 11, 27, 4, 49, 41, 794), fe: "T", be: "TB", srv: "A",
                       timers: (-1, 1, 0, -1, 208), status: 0, bytes: 63, term: .normal)
        r.actconn = 1; r.feconn = 1
        var dates = LogDateCache()
        expectSameFields(render { TCPLogLine.write(r, dates: &dates, into: &$0) },
                         "127.0.0.1:49446 [27/Nov/2026:04:49:41.794] T TB/A 1/0/208 63 -- 1/1/0/0/0 0/0")
        var local = HTTPLogRecord()
        local.setClientIPv4("127.0.0.1", port: 24083)
        r.setClientIPv4("127.0.0.1", port: 56376)
        #expect(render { TCPLogLine.writeConnect(client: r.client, local: local.client, frontend: "TD", httpMode: false, into: &$0) }
                == "Connect from 127.0.0.1:56376 to 127.0.0.1:24083 (TD/TCP)")
    }

    @Test func bufferTruncatesInsteadOfOverflowing() {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 10, alignment: 8)
        defer { raw.deallocate() }
        var b = LogBuffer(raw)
        b.text("0123456789abc")
        #expect(b.count == 10 && b.truncated)
        var c = LogBuffer(raw)
        c.decimal(-1); c.byte(32); c.decimal(UInt64(18446744073709551615))
        #expect(c.truncated && String(decoding: c.written, as: UTF8.self) == "-1 1844674")
    }
}

@Suite struct SyslogTests {
    @Test func framingMatchesHAProxy() {
        var dates = LogDateCache()
        let msg = Array("Proxy WEB_SITE started.".utf8)
        let line = msg.withUnsafeBytes { m in
            render { SyslogFrame.writeDatagram(.local, level: 5, facility: 16, origin: .init(tag: "haproxy", pid: 7693),
                                               nowUs: localEpochMs(2026, 11, 7, 3, 37, 35, 202) * 1000, maxLength: 1024,
                                               message: m, dates: &dates, into: &$0) }
        }
        // Day space-padded, local time, no hostname, trailing \n.
        #expect(line == "<133>Nov  7 03:37:35 haproxy[7693]: Proxy WEB_SITE started.\n")
    }

    /// HAProxy 2.6 cuts header + message at `len` (default 1024) and then adds the `\n`: a
    /// datagram is up to len+1 bytes (observed: `len 80` gives 81-byte datagrams).
    @Test func longLinesAreCutAtLenThenGetTheirNewline() {
        var dates = LogDateCache()
        let msg = [UInt8](repeating: UInt8(ascii: "x"), count: 3000)
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer { raw.deallocate() }
        var b = LogBuffer(raw)
        msg.withUnsafeBytes { SyslogFrame.writeDatagram(.local, level: 6, facility: 16, origin: .init(tag: "t", pid: 1), nowUs: 0,
                                                        maxLength: 1024, message: $0, dates: &dates, into: &b) }
        #expect(b.count == 1025)
        #expect(b.written.last == UInt8(ascii: "\n") && b.written[1023] == UInt8(ascii: "x"))
        var c = LogBuffer(raw)
        msg.withUnsafeBytes { SyslogFrame.writeLine(.raw, level: 6, facility: 16, origin: .init(tag: "t", pid: 1), nowUs: 0,
                                                    maxLength: 80, message: $0, dates: &dates, into: &c) }
        #expect(c.count == 80 && c.written.last == UInt8(ascii: "\n"), "stdout/stderr: len includes the newline")
    }

    @Test func priorityAndLevelFilter() {
        #expect(SyslogFrame.priority(facility: 16, level: 6, minLevel: 0) == 134)   // local0.info
        #expect(SyslogFrame.priority(facility: 16, level: 5, minLevel: 0) == 133)
        #expect(SyslogFrame.priority(facility: 16, level: 3, minLevel: 0) == 131)
        // Observed from 2.6.12: `log … local3 notice` gets alerts as <153>, emerg as <152>.
        #expect(SyslogFrame.priority(facility: 19, level: 1, minLevel: 0) == 153)
        #expect(SyslogFrame.priority(facility: 19, level: 0, minLevel: 0) == 152)
        // minlevel raises more severe levels.
        #expect(SyslogFrame.priority(facility: 16, level: 0, minLevel: 3) == 131)
        #expect(SyslogFrame.accepts(level: 6, maxLevel: 7))
        #expect(!SyslogFrame.accepts(level: 6, maxLevel: 3))   // `log … err`: no traffic lines
        #expect(SyslogFrame.accepts(level: 1, maxLevel: 3))
        #expect(!LogPolicy.shouldLog(dontLogNull: true, requestBytes: 0))
        #expect(LogPolicy.shouldLog(dontLogNull: true, requestBytes: 10))
        #expect(LogPolicy.shouldLog(dontLogNull: false, requestBytes: 0))
    }

    @Test func logGlobalAndTagResolve() {
        var c = Configuration()
        var g = LoggerConfig(); g.port = 5514
        var g2 = LoggerConfig(); g2.port = 5515; g2.maxLevel = 3
        c.global.loggers = [g, g2]
        c.global.logTag = "ringtag"
        let here = Proxy.SourceLocation(file: "t", line: 1)
        var p = ProxyConfig(kind: .frontend, name: "F", location: here)
        var global = LoggerConfig(); global.isGlobal = true
        var own = LoggerConfig(); own.port = 5514; own.facility = 20
        p.loggers = [global, own]
        c.proxies = [p, ProxyConfig(kind: .backend, name: "B", location: here)]
        let t = LogTargets(configuration: c)
        #expect(t.tag == "ringtag")
        #expect(t.destinations.count == 2)   // 5514 shared by the global and the proxy logger
        #expect(t.loggers(of: "F") == [LogTarget(destination: 0, facility: 16, maxLevel: 7, minLevel: 0),
                                      LogTarget(destination: 1, facility: 16, maxLevel: 3, minLevel: 0),
                                      LogTarget(destination: 0, facility: 20, maxLevel: 7, minLevel: 0)])
        #expect(t.loggers(of: "B").isEmpty)
    }

    @Test func udpRoundTripOnLoopback() throws {
        // A receiving socket on an ephemeral port.
        let rx = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(rx) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET); a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
            _ = bind(rx, p, len); _ = getsockname(rx, p, &len) } }
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let port = Int(UInt16(bigEndian: a.sin_port))

        var c = Configuration()
        var info = LoggerConfig(); info.port = port
        var errOnly = LoggerConfig(); errOnly.port = port; errOnly.facility = 19; errOnly.maxLevel = 3
        c.global.loggers = [info, errOnly]
        var p = ProxyConfig(kind: .frontend, name: "F", location: Proxy.SourceLocation(file: "t", line: 1))
        var global = LoggerConfig(); global.isGlobal = true
        p.loggers = [global]
        c.proxies = [p]
        let targets = LogTargets(configuration: c, pid: 4242)
        let sender = SyslogSender(targets: targets)
        for i in 0..<3 {
            sender.log(level: LogPolicy.trafficLevel, to: targets.log(of: "F")) { $0.text("line "); $0.decimal(i) }
        }
        sender.log(level: 1, to: targets.log(of: "F"), message: "Server B/S is DOWN")
        #expect(sender.queued == 5)   // 3 info lines to one logger, the alert to both
        sender.flush()
        #expect(sender.sent == 5 && sender.queued == 0)
        var got: [String] = []
        var buf = [UInt8](repeating: 0, count: 2048)
        for _ in 0..<5 {
            let n = buf.withUnsafeMutableBytes { recv(rx, $0.baseAddress, $0.count, 0) }
            try #require(n > 0)
            got.append(String(decoding: buf[0..<n], as: UTF8.self))
        }
        let pattern = /^<(\d+)>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d ringproxy\[4242\]: (.*)\n$/
        let parsed = try got.map { s -> (String, String) in
            let m = try #require(s.wholeMatch(of: pattern))
            return (String(m.1), String(m.2))
        }
        #expect(parsed.map(\.0) == ["134", "134", "134", "129", "153"])
        #expect(parsed.map(\.1) == ["line 0", "line 1", "line 2", "Server B/S is DOWN", "Server B/S is DOWN"])

        // A whole transaction line through the same path.
        let r = record(port: 58360, date: localEpochMs(2026, 11, 27, 4, 44, 4, 28), fe: "F", be: "F", srv: nil,
                       timers: (-1, -1, -1, -1, 0), status: 400, bytes: 0, term: .badRequest)
        var http = targets.log(of: "F")
        http.style = .http
        sender.logTransaction(r, to: http, nowUs: localEpochMs(2026, 11, 27, 4, 44, 6, 1) * 1000)
        sender.flush()
        let n = buf.withUnsafeMutableBytes { recv(rx, $0.baseAddress, $0.count, 0) }
        try #require(n > 0)
        #expect(String(decoding: buf[0..<n], as: UTF8.self) ==
                "<134>Nov 27 04:44:06 ringproxy[4242]: 127.0.0.1:58360 [27/Nov/2026:04:44:04.028] F F/<NOSRV> -1/-1/-1/-1/0 400 0 - - PR-- 1/1/0/0/0 0/0 \"<BADREQ>\"\n")
    }
}
