import Glibc

/// The header a log-forward section writes before a relayed message (HAProxy 2.6 log.c
/// build_log_header with the received message's fields): the target's `format`, or without one
/// the format the fields suggest (a host: rfc5424 with an ISO or `-` timestamp, else rfc3164;
/// a tag alone: local; a priority alone: priority; nothing: raw). The received timestamp is
/// kept, converted between the legacy (`Mmm dd hh:mm:ss`) and ISO forms as needed; missing
/// fields become `-` (rfc5424) or `localhost` (rfc3164's host), the current time fills a
/// missing timestamp. Pure apart from reading the clock's local time zone.
public enum RelayedLogHeader {
    /// The format used for `declared` (a logger's or a ring's) and the message's fields.
    public static func resolve(_ declared: LogFormat, _ m: SyslogMessage, _ b: UnsafeRawBufferPointer) -> LogFormat {
        guard declared == .unspecified else { return declared }
        if m.host != nil {
            if let t = m.time, (t.count == 1 && b[t.lowerBound] == UInt8(ascii: "-")) || t.count >= SyslogMessage.isoTimeMinimumLength {
                return .rfc5424
            }
            return .rfc3164
        }
        if m.tag != nil { return .local }
        if m.priority != nil { return .priority }
        return .raw
    }

    /// Writes the header, element by element as HAProxy builds its iovec. With `limit` (a UDP
    /// or UNIX datagram's `len`), the first element that does not fit *with room to spare* is
    /// dropped with everything after it, as HAProxy 2.6's __do_send_log does (its newline
    /// takes that element's place). Returns the room left for the message (0: none; Int.max
    /// without a limit). `level` and `facility` are those sent (already resolved against the
    /// logger); `nowUs`: the current time, for a missing or unusable timestamp.
    @discardableResult
    public static func write(_ declared: LogFormat, level: Int, facility: Int, message m: SyslogMessage,
                             bytes b: UnsafeRawBufferPointer, nowUs: Int64, limit: Int? = nil,
                             dates: inout LogDateCache, into out: inout LogBuffer) -> Int {
        let format = resolve(declared, m, b)
        var budget = limit ?? Int.max
        var stopped = false
        /// One element: written whole, or (over the budget) removed and everything after it dropped.
        func element(_ write: (inout LogBuffer) -> Void) {
            guard !stopped else { return }
            let before = out.count
            write(&out)
            let n = out.count - before
            if budget <= n { out.truncate(to: before); stopped = true } else if budget != Int.max { budget -= n }
        }
        func put(_ r: Range<Int>) { element { $0.bytes(UnsafeRawBufferPointer(rebasing: b[r])) } }
        func text(_ t: StaticString) { element { $0.text(t) } }
        switch format {
        case .local, .rfc3164, .rfc5424, .priority:
            element { priority(facility * 8 + level, &$0) }
        case .short, .timed:
            element { priority(level, &$0) }
        case .iso, .raw, .unspecified:
            break
        }
        let time = m.time
        let isNil = time.map { $0.count == 1 && b[$0.lowerBound] == UInt8(ascii: "-") } ?? false
        switch format {
        case .local, .rfc3164:
            if let t = time, t.count == SyslogMessage.legacyTimeLength {
                put(t); text(" ")
            } else if let t = time, t.count >= SyslogMessage.isoTimeMinimumLength, let month = isoMonth(b, t) {
                // `Mmm dd hh:mm:ss` from `yyyy-mm-ddThh:mm:ss…`.
                element { out in
                    let name = SyslogMessage.months[month].utf8Start
                    out.byte(name[0]); out.byte(name[1]); out.byte(name[2]); out.byte(UInt8(ascii: " "))
                    let d0 = b[t.lowerBound + 8]
                    out.byte(d0 != UInt8(ascii: "0") ? d0 : UInt8(ascii: " ")); out.byte(b[t.lowerBound + 9]); out.byte(UInt8(ascii: " "))
                }
                put(t.lowerBound + 11 ..< t.lowerBound + 19); text(" ")
            } else {
                element { dates.writeSyslogDate(nowUs / 1000, into: &$0); $0.byte(UInt8(ascii: " ")) }
            }
        case .rfc5424, .timed, .iso:
            if format == .rfc5424 { text("1 ") }
            if format == .rfc5424 && isNil {
                text("-"); text(" ")
            } else if let t = time, t.count >= SyslogMessage.isoTimeMinimumLength {
                put(t); text(" ")
            } else if let t = time, t.count == SyslogMessage.legacyTimeLength, let month = SyslogMessage.month(b, at: t.lowerBound) {
                // The year is not in a legacy timestamp: this year's, or last year's for a later month.
                var now = time_t(nowUs / 1_000_000)
                var tm = Glibc.tm()
                localtime_r(&now, &tm)
                var year = Int(tm.tm_year) + 1900
                if Int(tm.tm_mon) < month { year -= 1 }
                element { out in
                    out.padded(year, width: 4); out.byte(UInt8(ascii: "-")); out.padded(month + 1, width: 2); out.byte(UInt8(ascii: "-"))
                    let d = b[t.lowerBound + 4]
                    out.byte(d != UInt8(ascii: " ") ? d : UInt8(ascii: "0")); out.byte(b[t.lowerBound + 5])
                    out.byte(UInt8(ascii: "T"))
                }
                put(t.lowerBound + 7 ..< t.lowerBound + 15)
                text("-00:00 ")          // RFC 5424: an unknown time zone
            } else {
                element { dates.writeISODate(nowUs, into: &$0); $0.byte(UInt8(ascii: " ")) }
            }
        case .priority, .short, .raw, .unspecified:
            break
        }
        switch format {
        case .rfc3164, .local:
            if format == .rfc3164 {
                if let h = m.host { put(h); text(" ") } else { text("localhost ") }
            }
            guard let tag = m.tag else { break }
            put(tag)
            if let pid = m.pid { text("["); put(pid); text("]") }
            text(": ")
        case .rfc5424:
            for f in [m.host, m.tag, m.pid, m.messageID, m.structuredData] {
                if let f { put(f); text(" ") } else { text("- ") }
            }
        default:
            break
        }
        return stopped ? 0 : budget
    }

    /// `<N>` with at most three digits, as HAProxy's 5-byte buffer holds.
    static func priority(_ value: Int, _ out: inout LogBuffer) {
        out.byte(UInt8(ascii: "<")); out.decimal(value >= 1000 ? value % 1000 : value); out.byte(UInt8(ascii: ">"))
    }

    /// The month (0–11) of an ISO timestamp `yyyy-mm-ddT…` as HAProxy reads it ("00" is
    /// January too), nil when out of range.
    static func isoMonth(_ b: UnsafeRawBufferPointer, _ t: Range<Int>) -> Int? {
        let s = t.lowerBound
        var month = 10 * (Int(b[s + 5]) - 48) + (Int(b[s + 6]) - 48)
        if month != 0 { month -= 1 }
        return (0...11).contains(month) ? month : nil
    }
}
