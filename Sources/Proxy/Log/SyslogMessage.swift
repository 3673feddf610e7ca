/// A syslog message as a log-forward section reads it (HAProxy 2.6 log.c parse_log_message):
/// `<PRI>` then an RFC 5424 header (`1 TIMESTAMP HOST TAG PID MSGID SD `) or an RFC 3164 one
/// (`Mmm dd hh:mm:ss HOST [TAG[PID]: ]`). Fields are ranges of the received bytes (nil: absent,
/// `-`, or empty). A malformed header keeps only the priority, and the message is then all
/// that follows it. Pure: no I/O, no allocation.
public struct SyslogMessage: Equatable, Sendable {
    /// -1 when there is no `<PRI>` (the logger's own facility is used then).
    public var level = -1
    public var facility = -1
    public var priority: Range<Int>? = nil
    public var time: Range<Int>? = nil
    public var host: Range<Int>? = nil
    public var tag: Range<Int>? = nil
    public var pid: Range<Int>? = nil
    public var messageID: Range<Int>? = nil
    public var structuredData: Range<Int>? = nil
    /// What follows the header, trailing LF and NUL bytes removed (as HAProxy sends it).
    public var message: Range<Int>

    /// HAProxy's LOG_LEGACYTIME_LEN and LOG_ISOTIME_MINLEN.
    public static let legacyTimeLength = 15
    public static let isoTimeMinimumLength = 20
    static let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public init(message: Range<Int>) { self.message = message }

    /// The month index (0–11) spelled by the 3 bytes at `i`, if any.
    static func month(_ b: UnsafeRawBufferPointer, at i: Int) -> Int? {
        guard i + 3 <= b.count else { return nil }
        for (m, name) in months.enumerated() {
            let n = name.utf8Start
            if b[i] == n[0] && b[i + 1] == n[1] && b[i + 2] == n[2] { return m }
        }
        return nil
    }

    public static func parse(_ b: UnsafeRawBufferPointer) -> SyslogMessage {
        var m = parseHeader(b)
        // __do_send_log: trailing LF or NUL bytes are not sent.
        var e = m.message.upperBound
        while e > m.message.lowerBound && (b[e - 1] == 0x0A || b[e - 1] == 0) { e -= 1 }
        m.message = m.message.lowerBound..<e
        return m
    }

    static func parseHeader(_ b: UnsafeRawBufferPointer) -> SyslogMessage {
        let end = b.count
        var m = SyslogMessage(message: 0..<end)
        @inline(__always) func at(_ i: Int) -> UInt8 { i < end ? b[i] : 0 }
        guard end >= 2, b[0] == UInt8(ascii: "<") else { return m }
        var p = 1, value = 0
        while at(p) != UInt8(ascii: ">") {
            let c = at(p)
            guard c >= 48 && c <= 57 else { return m }
            value = min(value * 10 + Int(c - 48), Int(Int32.max))
            p += 1
            if p >= end { return m }
        }
        m.facility = value >> 3
        m.level = value & 7
        p += 1
        m.priority = 0..<p
        let start = p                    // "buf" after the priority
        m.message = start..<end
        let size = end - start
        if size > 2 && at(p) == UInt8(ascii: "1") && at(p + 1) == UInt8(ascii: " ") {
            // 2.6.12 counts the "1 " off the size, not off the start: a malformed header leaves
            // a message that starts after the priority and misses its last 2 bytes.
            guard let parsed = rfc5424(b, from: p + 2, start: start, size: size - 2, end: end, into: &m) else {
                m.time = nil; m.host = nil; m.tag = nil; m.pid = nil; m.messageID = nil; m.structuredData = nil
                m.message = start..<(end - 2)
                return m
            }
            m.message = parsed..<end
        } else if size > legacyTimeLength {
            rfc3164(b, from: p, end: end, into: &m)
        }
        return m
    }

    /// The fields after `<PRI>1 `; the message's start, or nil for a malformed header.
    static func rfc5424(_ b: UnsafeRawBufferPointer, from p0: Int, start: Int, size: Int, end: Int,
                        into m: inout SyslogMessage) -> Int? {
        @inline(__always) func at(_ i: Int) -> UInt8 { i < end ? b[i] : 0 }
        let space = UInt8(ascii: " "), dash = UInt8(ascii: "-")
        var p = p0
        if size > 2 && at(p) == dash && at(p + 1) == space {
            m.time = p..<(p + 1)
            p += 1
        } else if size > isoTimeMinimumLength {
            let t = p
            p += 19
            if at(p) == UInt8(ascii: ".") {
                p += 1
                if p >= end { return nil }
                while at(p) != UInt8(ascii: "Z") && at(p) != UInt8(ascii: "+") && at(p) != dash {
                    guard at(p) >= 48 && at(p) <= 57 else { return nil }
                    p += 1
                    if p >= end { return nil }
                }
            }
            if at(p) == UInt8(ascii: "Z") { p += 1 } else { p += 6 }
            if p >= end || at(p) != space { return nil }
            m.time = t..<p
        } else {
            return nil
        }
        /// One space-terminated field; nil range for `-`.
        func field(_ p: inout Int) -> Range<Int>?? {
            p += 1
            if p >= end || at(p) == space { return .none }
            let s = p
            while at(p) != space {
                p += 1
                if p >= end { return .none }
            }
            return .some(p - s == 1 && b[s] == dash ? nil : s..<p)
        }
        guard case .some(let host) = field(&p) else { return nil }
        guard case .some(let tag) = field(&p) else { return nil }
        guard case .some(let pid) = field(&p) else { return nil }
        guard case .some(let msgid) = field(&p) else { return nil }
        m.host = host; m.tag = tag; m.pid = pid; m.messageID = msgid
        p += 1
        if p >= end || at(p) == space { return nil }
        let sd = p
        if at(p) == UInt8(ascii: "[") {
            var inElement = false
            while true {
                if inElement {
                    // An escaped `]` inside a parameter value does not close the element.
                    if at(p) == UInt8(ascii: "]") && at(p - 1) != UInt8(ascii: "\\") { inElement = false }
                } else {
                    if at(p) == UInt8(ascii: "[") { inElement = true }
                    else if at(p) == space { break }
                    else { return nil }
                }
                p += 1
                if p >= end { return nil }
            }
            m.structuredData = sd..<p
        } else if at(p) == dash {
            p += 1
            if p >= end || at(p) != space { return nil }
            m.structuredData = nil
        } else {
            return nil
        }
        return p + 1
    }

    /// `Mmm dd hh:mm:ss HOST ` then an optional `TAG[PID]: ` or `TAG: `.
    static func rfc3164(_ b: UnsafeRawBufferPointer, from p0: Int, end: Int, into m: inout SyslogMessage) {
        @inline(__always) func at(_ i: Int) -> UInt8 { i < end ? b[i] : 0 }
        let space = UInt8(ascii: " "), colon = UInt8(ascii: ":")
        func bad() { m.time = nil; m.host = nil; m.tag = nil; m.pid = nil; m.messageID = nil; m.structuredData = nil }
        guard month(b, at: p0) != nil else { return bad() }
        var p = p0
        let time = p..<(p + legacyTimeLength)
        p += legacyTimeLength
        if p >= end || at(p) != space { return bad() }
        p += 1
        if p >= end || at(p) == space { return bad() }
        let h = p
        while at(p) != space {
            p += 1
            if p >= end { return bad() }
        }
        m.time = time
        m.host = h..<p
        p += 1
        let buf = p
        m.message = buf..<end
        if buf >= end { return }
        while p < end && at(p) != space && at(p) != colon { p += 1 }
        // A tag ends with ": ".
        if p >= end || at(p) != colon { return }
        p += 1
        if p >= end || at(p) != space { return }
        p = buf
        var tagLength: Int? = nil
        var pidStart: Int? = nil
        while at(p) != colon {
            if at(p) == UInt8(ascii: "[") {
                tagLength = p - buf
                pidStart = p + 1
            } else if at(p) == UInt8(ascii: "]"), let ps = pidStart {
                if at(p + 1) != colon {
                    m.tag = tagLength.flatMap { $0 > 0 ? buf..<(buf + $0) : nil }
                    return
                }
                m.pid = p > ps ? ps..<p : nil
            }
            p += 1
        }
        let tl = (tagLength ?? 0) > 0 ? tagLength! : p - buf
        m.tag = tl > 0 ? buf..<(buf + tl) : nil
        p += 2
        m.message = p..<end
    }
}
