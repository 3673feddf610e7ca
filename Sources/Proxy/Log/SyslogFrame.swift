/// RFC 3164 framing as HAProxy's `send_log` does it (spec §3.1):
/// `<PRI>Mmm dd hh:mm:ss TAG[PID]: MESSAGE\n`, local time, no hostname, at most 1024 bytes
/// with the last byte forced to `\n`.
public enum SyslogFrame {
    public static let maxLength = 1024

    /// PRI for a logger: facility×8 + level, the level raised to `minLevel` when more severe.
    @inline(__always) public static func priority(facility: Int, level: Int, minLevel: Int) -> Int {
        facility * 8 + max(level, minLevel)
    }

    /// Whether a logger with `maxLevel` sends a message of `level` (numerically ≤).
    @inline(__always) public static func accepts(level: Int, maxLevel: Int) -> Bool { level <= maxLevel }

    /// Writes one datagram into `out` (whose capacity should be `maxLength`).
    public static func write(priority: Int, dateMs: Int64, dates: inout LogDateCache,
                             tag: String, pid: Int32, message: UnsafeRawBufferPointer,
                             into out: inout LogBuffer) {
        out.byte(UInt8(ascii: "<")); out.decimal(priority); out.byte(UInt8(ascii: ">"))
        dates.writeSyslogDate(dateMs, into: &out)
        out.byte(UInt8(ascii: " "))
        out.text(tag)
        out.byte(UInt8(ascii: "[")); out.decimal(Int(pid)); out.text("]: ")
        out.bytes(message)
        let limit = min(out.base.count, maxLength)
        if out.count < limit { out.byte(UInt8(ascii: "\n")) } else { out.truncate(to: limit); out.setLast(UInt8(ascii: "\n")) }
    }
}
