// The pure parts of a log-forward section: the received message's fields (SyslogMessage), the
// header rebuilt for each target format (RelayedLogHeader, with a datagram's `len`), and the
// TCP framing (SyslogStreamFraming). Expected bytes are those HAProxy 2.6.12 sent for the same
// input (observed side by side; LogForwardEndToEndTests compares them live).
import Testing
import Glibc
@testable import Proxy

@Suite struct LogForwardParsingTests {
    /// 2026-12-15 12:00:00 UTC: mid-month, so any time zone's local date is in December 2026.
    static let nowUs: Int64 = 1_797_336_000 * 1_000_000

    func fields(_ text: String) -> [String: String] {
        let b = Array(text.utf8)
        return b.withUnsafeBytes { p in
            let m = SyslogMessage.parse(p)
            var out: [String: String] = ["level": String(m.level), "facility": String(m.facility)]
            let all: [(String, Range<Int>?)] = [("prio", m.priority), ("time", m.time), ("host", m.host), ("tag", m.tag), ("pid", m.pid),
                                                ("msgid", m.messageID), ("sd", m.structuredData), ("msg", m.message)]
            for (k, r) in all { if let r { out[k] = String(decoding: p[r], as: UTF8.self) } }
            return out
        }
    }

    /// What a UDP logger with `format` (and `len`) sends for `text`.
    func relay(_ text: String, _ format: LogFormat, facility: Int = 16, minLevel: Int = 0, limit: Int = 1024) -> String {
        let b = Array(text.utf8)
        return b.withUnsafeBytes { p in
            let m = SyslogMessage.parse(p)
            let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
            defer { raw.deallocate() }
            var out = LogBuffer(raw)
            var dates = LogDateCache()
            let left = RelayedLogHeader.write(format, level: max(m.level, minLevel), facility: m.facility == -1 ? facility : m.facility,
                                              message: m, bytes: p, nowUs: Self.nowUs, limit: limit, dates: &dates, into: &out)
            let msg = p[m.message]
            out.bytes(UnsafeRawBufferPointer(rebasing: msg.prefix(left)))
            return String(decoding: out.written, as: UTF8.self)
        }
    }

    static let rfc5424 = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\"] An application event"

    @Test func rfc5424Fields() {
        let f = fields(Self.rfc5424)
        #expect(f["level"] == "5" && f["facility"] == "20" && f["prio"] == "<165>")
        #expect(f["time"] == "2003-10-11T22:14:15.003Z" && f["host"] == "mymachine.example.com" && f["tag"] == "evntslog")
        #expect(f["pid"] == "1234" && f["msgid"] == "ID47" && f["sd"] == "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\"]")
        #expect(f["msg"] == "An application event")
        let nils = fields("<13>1 - - - - - - all nil\n")
        #expect(nils["time"] == "-" && nils["host"] == nil && nils["tag"] == nil && nils["sd"] == nil && nils["msg"] == "all nil")
    }

    @Test func rfc3164Fields() {
        let f = fields("<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed")
        #expect(f["time"] == "Oct 11 22:14:15" && f["host"] == "mymachine" && f["tag"] == "su" && f["pid"] == "230" && f["msg"] == "'su root' failed")
        let noTag = fields("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!")
        #expect(noTag["host"] == "10.0.0.99" && noTag["tag"] == nil && noTag["msg"] == "Use the BFG!")
        let odd = fields("<30>Apr 12 11:12:13 host tag[12]x: a pid not followed by a colon")
        #expect(odd["tag"] == "tag" && odd["pid"] == nil && odd["msg"] == "tag[12]x: a pid not followed by a colon")
    }

    @Test func malformedHeadersKeepOnlyThePriority() {
        let bad5424 = fields("<12>1 2003-10-11T22:14:15Z bad")
        #expect(bad5424["time"] == nil && bad5424["host"] == nil && bad5424["msg"] == "1 2003-10-11T22:14:15Z b", "2.6.12 loses 2 bytes")
        let badMonth = fields("<9>Xyz 11 22:14:15 host not a month")
        #expect(badMonth["time"] == nil && badMonth["msg"] == "Xyz 11 22:14:15 host not a month" && badMonth["level"] == "1")
        let none = fields("no priority at all")
        #expect(none["level"] == "-1" && none["facility"] == "-1" && none["prio"] == nil && none["msg"] == "no priority at all")
        #expect(fields("<1x>text")["prio"] == nil)
    }

    @Test func headerOfEachFormat() {
        let m = Self.rfc5424
        #expect(relay(m, .unspecified) == Self.rfc5424)
        #expect(relay(m, .rfc3164) == "<165>Oct 11 22:14:15 mymachine.example.com evntslog[1234]: An application event")
        #expect(relay(m, .local) == "<165>Oct 11 22:14:15 evntslog[1234]: An application event")
        #expect(relay(m, .priority) == "<165>An application event")
        #expect(relay(m, .short) == "<5>An application event")
        #expect(relay(m, .timed) == "<5>2003-10-11T22:14:15.003Z An application event")
        #expect(relay(m, .iso) == "2003-10-11T22:14:15.003Z An application event")
        #expect(relay(m, .raw) == "An application event")
        let legacy = "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8"
        #expect(relay(legacy, .unspecified) == legacy)
        #expect(relay(legacy, .rfc5424) == "<34>1 2026-10-11T22:14:15-00:00 mymachine su 230 - - 'su root' failed for lonvick on /dev/pts/8")
        #expect(relay(legacy, .timed) == "<2>2026-10-11T22:14:15-00:00 'su root' failed for lonvick on /dev/pts/8")
        #expect(relay("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!", .rfc5424) == "<13>1 2026-02-05T17:32:18-00:00 10.0.0.99 - - - - Use the BFG!")
        #expect(relay("<13>1 - - - - - - all nil", .unspecified) == "<13>all nil")
        #expect(relay("<13>1 - - - - - - all nil", .rfc5424) == "<13>1 - - - - - - all nil")
        #expect(relay("<14>just a priority and text", .unspecified) == "<14>just a priority and text")
        #expect(relay("no priority at all", .unspecified) == "no priority at all")
        #expect(relay("no priority at all", .priority, facility: 20) == "<160>no priority at all")
        #expect(relay("<1234>x", .priority) == "<234>x", "at most 3 digits, as HAProxy's buffer")
    }

    @Test func aDatagramLenDropsTheElementThatDoesNotFit() {
        #expect(relay(Self.rfc5424, .rfc5424, limit: 80) == "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 ")
        let m = "<34>1 2003-10-11T22:14:15.003000+02:00 host app - - - a message with nil pid, msgid and sd"
        #expect(relay(m, .rfc5424, limit: 80) == "<34>1 2003-10-11T22:14:15.003000+02:00 host app - - - a message with nil pid, ms")
        #expect(relay(m, .raw, limit: 80) == "a message with nil pid, msgid and sd")
    }

    @Test func streamFraming() {
        func next(_ s: String) -> SyslogStreamFraming.Next { Array(s.utf8).withUnsafeBytes { SyslogStreamFraming.next($0) } }
        #expect(next("<13>a line\r\nrest") == .message(0..<10, consumed: 12))
        #expect(next("<13>a line\n") == .message(0..<10, consumed: 11))
        #expect(next("<13>no end yet") == .needMore)
        #expect(next("12 <13>counted<13>") == .message(3..<15, consumed: 15))
        #expect(next("12 <13>coun") == .needMore)
        #expect(next("12") == .needMore)
        #expect(next("0 x") == .invalid)
        #expect(next("1x2 abc") == .invalid)
        #expect(next("hello\n") == .invalid)
        #expect(next("99999 x") == .invalid, "longer than the buffer")
        #expect(Array(repeating: UInt8(ascii: "<"), count: SyslogStreamFraming.limit).withUnsafeBytes { SyslogStreamFraming.next($0) } == .invalid)
    }
}
