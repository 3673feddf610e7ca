import Testing
import Glibc
@testable import Proxy

/// `+hh:mm` of the local zone at `sec` (the captures below were made in UTC; the expected
/// strings are rebuilt in the zone the tests run in).
func localOffset(_ sec: Int64) -> String {
    var t = time_t(sec)
    var tm = Glibc.tm()
    localtime_r(&t, &tm)
    let off = Int(tm.tm_gmtoff) / 60
    let h = abs(off) / 60, m = abs(off) % 60
    return (off < 0 ? "-" : "+") + (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
}

@Suite struct LogFormatTests {
    // Captured from HAProxy 2.6.12 (`log 127.0.0.1:P format F localN`, log-tag mytag, pid 7349,
    // one GET through an httplog frontend at 14:20:45.742702): header bytes per format.
    static let message = #"127.0.0.1:50268 [01/Dec/2026:14:20:45.738] F B/s 0/0/0/4/4 200 120 - - ---- 1/1/0/0/0 0/0 "GET /abc HTTP/1.1""#
    static let whenMs = localEpochMs(2026, 12, 1, 14, 20, 45, 742)
    static var whenUs: Int64 { whenMs * 1000 + 702 }
    static var iso: String { "2026-12-01T14:20:45.742702" + localOffset(whenMs / 1000) }

    func frame(_ f: LogFormat, facility: Int, level: Int = 6, hostname: String? = nil, sd: String? = nil, maxLength: Int = 2048) -> String {
        var dates = LogDateCache()
        let origin = SyslogFrame.Origin(tag: "mytag", pid: 7349, hostname: hostname, structuredData: sd)
        let m = Array(Self.message.utf8)
        return m.withUnsafeBytes { msg in
            render { SyslogFrame.writeDatagram(SyslogFrame.effective(f, hostname: hostname), level: level, facility: facility,
                                               origin: origin, nowUs: Self.whenUs, maxLength: maxLength, message: msg,
                                               dates: &dates, into: &$0) }
        }
    }

    @Test func everyFormatAsHAProxyWritesIt() {
        let m = Self.message
        #expect(frame(.local, facility: 16) == "<134>Dec  1 14:20:45 mytag[7349]: \(m)\n")
        #expect(frame(.unspecified, facility: 16) == "<134>Dec  1 14:20:45 mytag[7349]: \(m)\n")
        #expect(frame(.rfc3164, facility: 17) == "<142>Dec  1 14:20:45 localhost mytag[7349]: \(m)\n")
        #expect(frame(.rfc5424, facility: 18) == "<150>1 \(Self.iso) - mytag 7349 - - \(m)\n")
        #expect(frame(.priority, facility: 19) == "<158>\(m)\n")
        #expect(frame(.short, facility: 20) == "<6>\(m)\n")
        #expect(frame(.timed, facility: 21) == "<6>\(Self.iso) \(m)\n")
        #expect(frame(.iso, facility: 22) == "\(Self.iso) \(m)\n")
        #expect(frame(.raw, facility: 23) == "\(m)\n")
    }

    /// With `log-send-hostname myhost` (and log-format-sd for rfc5424), 2.6.12 wrote these.
    @Test func hostnameAndStructuredData() {
        let m = Self.message
        #expect(frame(.unspecified, facility: 17, level: 3, hostname: "myhost") == "<139>Dec  1 14:20:45 myhost mytag[7349]: \(m)\n")
        #expect(frame(.rfc5424, facility: 18, level: 3, hostname: "myhost", sd: #"[exampleSDID@32473 iut="3"]"#)
                == "<147>1 \(Self.iso) myhost mytag 7349 - [exampleSDID@32473 iut=\"3\"] \(m)\n")
        #expect(frame(.short, facility: 20, level: 3, hostname: "myhost") == "<3>\(m)\n")
    }

    /// `len 80`: 80 bytes of header and message, then the newline (81-byte datagram).
    @Test func lenCutsHeaderAndMessage() {
        let line = frame(.local, facility: 16, maxLength: 80)
        #expect(line == "<134>Dec  1 14:20:45 mytag[7349]: 127.0.0.1:50268 [01/Dec/2026:14:20:45.738] F B\n")
        #expect(line.utf8.count == 81)
    }

    @Test func isoDateCarriesMicrosecondsAndZone() {
        var dates = LogDateCache()
        let s = render { dates.writeISODate(Self.whenUs, into: &$0) }
        #expect(s == Self.iso && s.utf8.count == 32)
    }
}

@Suite struct TrafficLogLevelTests {
    func record(status: Int, term: StaticString = "----", retries: Int = 0, redispatched: Bool = false) -> HTTPLogRecord {
        var r = HTTPLogRecord()
        r.status = status; r.termination = TerminationState(term); r.retries = retries; r.redispatched = redispatched
        return r
    }

    func log(dontLogNormal: Bool = false, separateErrors: Bool = false, httpMode: Bool = true) -> ProxyLog {
        var l = ProxyLog(loggers: [], origin: .init(tag: "t", pid: 1))
        l.dontLogNormal = dontLogNormal; l.separateErrors = separateErrors; l.httpMode = httpMode; l.style = .http
        return l
    }

    /// HAProxy 2.6 `strm_log`: errors are ≥500 (HTTP), a termination cause other than -/L,
    /// retries, a redispatch. Observed: 503s at <131> with log-separate-errors, 200s dropped
    /// with dontlog-normal.
    @Test func errorsAndNormalTransactions() {
        #expect(TrafficLogLevel.level(record(status: 200), log()) == 6)
        #expect(TrafficLogLevel.level(record(status: 503), log()) == 6)
        #expect(TrafficLogLevel.level(record(status: 503), log(separateErrors: true)) == 3)
        #expect(TrafficLogLevel.level(record(status: 200), log(separateErrors: true)) == 6)
        #expect(TrafficLogLevel.level(record(status: 200), log(dontLogNormal: true)) == nil)
        #expect(TrafficLogLevel.level(record(status: 404), log(dontLogNormal: true)) == nil)
        #expect(TrafficLogLevel.level(record(status: 502, term: "SH--"), log(dontLogNormal: true)) == 6)
        #expect(TrafficLogLevel.level(record(status: 200, term: "CD--"), log(dontLogNormal: true, separateErrors: true)) == 3)
        #expect(TrafficLogLevel.level(record(status: 200, retries: 1), log(dontLogNormal: true)) == 6)
        #expect(TrafficLogLevel.level(record(status: 200, redispatched: true), log(dontLogNormal: true)) == 6)
        #expect(TrafficLogLevel.level(record(status: 200, term: "LR--"), log(dontLogNormal: true)) == nil, "L (local) is not an error")
        #expect(TrafficLogLevel.level(record(status: 503), log(dontLogNormal: true, httpMode: false)) == nil, "status counts in HTTP only")
    }
}
