/// The header HAProxy 2.6 writes before a log message, per `format` (log.c build_log_header),
/// and the framing rules of each kind of target. Observed byte for byte on 2.6.12:
///
///     local     <134>Nov  7 03:37:35 haproxy[7693]: MSG
///     rfc3164   <134>Nov  7 03:37:35 HOST haproxy[7693]: MSG      (HOST: log-send-hostname, else "localhost")
///     rfc5424   <134>1 2026-11-07T03:37:35.202123+01:00 HOST haproxy 7693 - SD MSG   (HOST/SD "-" when unset)
///     priority  <134>MSG
///     short     <6>MSG                                            (level only, no facility)
///     timed     <6>2026-11-07T03:37:35.202123+01:00 MSG
///     iso       2026-11-07T03:37:35.202123+01:00 MSG
///     raw       MSG
///
/// Without `format`, rfc3164 when `log-send-hostname` is set, else local.
public enum SyslogFrame {
    /// HAProxy's default `len` (MAX_SYSLOG_LEN).
    public static let maxLength = 1024

    /// What the header needs besides the level: who is logging, and from which host.
    public struct Origin: Sendable {
        public var tag: String
        public var pid: Int32
        public var hostname: String?
        /// rfc5424 structured data (`log-format-sd`), nil for "-".
        public var structuredData: String?
        public init(tag: String, pid: Int32, hostname: String? = nil, structuredData: String? = nil) {
            self.tag = tag; self.pid = pid; self.hostname = hostname; self.structuredData = structuredData
        }
    }

    /// PRI for a logger: facility×8 + level, the level raised to `minLevel` when more severe.
    @inline(__always) public static func priority(facility: Int, level: Int, minLevel: Int) -> Int {
        facility * 8 + max(level, minLevel)
    }

    /// Whether a logger with `maxLevel` sends a message of `level` (numerically ≤).
    @inline(__always) public static func accepts(level: Int, maxLevel: Int) -> Bool { level <= maxLevel }

    /// The format actually used: `unspecified` is decided by whether a hostname is sent.
    @inline(__always) public static func effective(_ f: LogFormat, hostname: String?) -> LogFormat {
        f == .unspecified ? (hostname == nil ? .local : .rfc3164) : f
    }

    /// Writes the header of `format` (already `effective`) for a message of `level` (already
    /// raised to the logger's minimum) and `facility`. `nowUs`: emission time, µs since the epoch.
    public static func writeHeader(_ format: LogFormat, level: Int, facility: Int, origin: Origin,
                                   nowUs: Int64, dates: inout LogDateCache, into out: inout LogBuffer) {
        switch format {
        case .local, .rfc3164, .rfc5424, .priority:
            out.byte(UInt8(ascii: "<")); out.decimal(facility * 8 + level); out.byte(UInt8(ascii: ">"))
        case .short, .timed:
            out.byte(UInt8(ascii: "<")); out.decimal(level); out.byte(UInt8(ascii: ">"))
        case .iso, .raw, .unspecified:
            break
        }
        switch format {
        case .local, .unspecified:
            dates.writeSyslogDate(nowUs / 1000, into: &out)
            out.byte(UInt8(ascii: " "))
            writeTagAndPid(origin, into: &out)
        case .rfc3164:
            dates.writeSyslogDate(nowUs / 1000, into: &out)
            out.byte(UInt8(ascii: " "))
            if let h = origin.hostname { out.text(h) } else { out.text("localhost") }
            out.byte(UInt8(ascii: " "))
            writeTagAndPid(origin, into: &out)
        case .rfc5424:
            out.text("1 ")
            dates.writeISODate(nowUs, into: &out)
            out.byte(UInt8(ascii: " "))
            if let h = origin.hostname { out.text(h) } else { out.byte(UInt8(ascii: "-")) }
            out.byte(UInt8(ascii: " "))
            if origin.tag.isEmpty { out.byte(UInt8(ascii: "-")) } else { out.text(origin.tag) }
            out.byte(UInt8(ascii: " "))
            out.decimal(Int(origin.pid))
            out.text(" - ")                                  // MSGID
            if let sd = origin.structuredData { out.text(sd) } else { out.byte(UInt8(ascii: "-")) }
            out.byte(UInt8(ascii: " "))
        case .timed, .iso:
            dates.writeISODate(nowUs, into: &out)
            out.byte(UInt8(ascii: " "))
        case .priority, .short, .raw:
            break
        }
    }

    static func writeTagAndPid(_ origin: Origin, into out: inout LogBuffer) {
        guard !origin.tag.isEmpty else { return }
        out.text(origin.tag)
        out.byte(UInt8(ascii: "[")); out.decimal(Int(origin.pid)); out.text("]: ")
    }

    /// One datagram: header and message cut to `maxLength`, then `\n` (so up to maxLength+1 bytes,
    /// as HAProxy sends). `out` must hold maxLength+1 bytes.
    public static func writeDatagram(_ format: LogFormat, level: Int, facility: Int, origin: Origin, nowUs: Int64,
                                     maxLength: Int, message: UnsafeRawBufferPointer,
                                     dates: inout LogDateCache, into out: inout LogBuffer) {
        let start = out.count
        writeHeader(format, level: level, facility: facility, origin: origin, nowUs: nowUs, dates: &dates, into: &out)
        out.bytes(message)
        if out.count - start > maxLength { out.truncate(to: start + maxLength) }
        out.byte(UInt8(ascii: "\n"))
    }

    /// One line to a file descriptor (stdout, stderr): cut to maxLength-1, then `\n`.
    public static func writeLine(_ format: LogFormat, level: Int, facility: Int, origin: Origin, nowUs: Int64,
                                 maxLength: Int, message: UnsafeRawBufferPointer,
                                 dates: inout LogDateCache, into out: inout LogBuffer) {
        writeDatagram(format, level: level, facility: facility, origin: origin, nowUs: nowUs,
                      maxLength: maxLength - 1, message: message, dates: &dates, into: &out)
    }
}
