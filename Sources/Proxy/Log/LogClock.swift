import Glibc

/// Wall-clock time in milliseconds since the epoch (log dates are wall time, local zone).
public enum WallClock {
    public static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Microseconds since the epoch (rfc5424/iso headers carry µs).
    public static func nowUs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}

/// Renders the date forms logs use, recomputing them once per second (localtime_r is
/// not cheap): `27/Nov/2026:03:37:35` (httplog), `Nov 27 03:37:35` (syslog header,
/// day space-padded) and `2026-11-27T03:37:35` + `+01:00` (rfc5424/iso headers).
/// One per worker; not shared.
public struct LogDateCache {
    static let months: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
    var second: Int64 = .min
    /// `dd/Mmm/yyyy:hh:mm:ss` (20 bytes) and `Mmm dd hh:mm:ss` (15 bytes).
    var httpDate: (UInt64, UInt64, UInt32) = (0, 0, 0)
    var syslogDate: (UInt64, UInt64) = (0, 0)
    /// `yyyy-mm-ddThh:mm:ss` (19 bytes) and the zone offset `+hh:mm` (6 bytes).
    var isoDate: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var isoOffset: UInt64 = 0

    public init() {}

    mutating func refresh(_ sec: Int64) {
        guard sec != second else { return }
        second = sec
        var t = time_t(sec)
        var tm = Glibc.tm()
        localtime_r(&t, &tm)
        let mon = Int(tm.tm_mon)
        let months = UnsafeRawBufferPointer(start: Self.months.utf8Start, count: 36)
        withUnsafeMutableBytes(of: &httpDate) { raw in
            var b = LogBuffer(raw)
            b.padded(Int(tm.tm_mday), width: 2); b.byte(UInt8(ascii: "/"))
            b.bytes(UnsafeRawBufferPointer(rebasing: months[mon * 3 ..< mon * 3 + 3])); b.byte(UInt8(ascii: "/"))
            b.padded(Int(tm.tm_year) + 1900, width: 4); b.byte(UInt8(ascii: ":"))
            b.padded(Int(tm.tm_hour), width: 2); b.byte(UInt8(ascii: ":"))
            b.padded(Int(tm.tm_min), width: 2); b.byte(UInt8(ascii: ":"))
            b.padded(Int(tm.tm_sec), width: 2)
        }
        withUnsafeMutableBytes(of: &syslogDate) { raw in
            var b = LogBuffer(raw)
            b.bytes(UnsafeRawBufferPointer(rebasing: months[mon * 3 ..< mon * 3 + 3])); b.byte(UInt8(ascii: " "))
            let d = Int(tm.tm_mday)
            b.byte(d < 10 ? UInt8(ascii: " ") : UInt8(ascii: "0") + UInt8(d / 10)); b.byte(UInt8(ascii: "0") + UInt8(d % 10))
            b.byte(UInt8(ascii: " "))
            b.padded(Int(tm.tm_hour), width: 2); b.byte(UInt8(ascii: ":"))
            b.padded(Int(tm.tm_min), width: 2); b.byte(UInt8(ascii: ":"))
            b.padded(Int(tm.tm_sec), width: 2)
        }
        withUnsafeMutableBytes(of: &isoDate) { raw in
            var b = LogBuffer(raw)
            b.padded(Int(tm.tm_year) + 1900, width: 4); b.byte(UInt8(ascii: "-"))
            b.padded(mon + 1, width: 2); b.byte(UInt8(ascii: "-"))
            b.padded(Int(tm.tm_mday), width: 2); b.byte(UInt8(ascii: "T"))
            b.padded(Int(tm.tm_hour), width: 2); b.byte(UInt8(ascii: ":"))
            b.padded(Int(tm.tm_min), width: 2); b.byte(UInt8(ascii: ":"))
            b.padded(Int(tm.tm_sec), width: 2)
        }
        withUnsafeMutableBytes(of: &isoOffset) { raw in
            var b = LogBuffer(raw)
            let off = Int(tm.tm_gmtoff) / 60
            b.byte(off < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            b.padded(abs(off) / 60, width: 2); b.byte(UInt8(ascii: ":"))
            b.padded(abs(off) % 60, width: 2)
        }
    }

    /// Writes `dd/Mmm/yyyy:hh:mm:ss.mmm` for `ms` since the epoch.
    public mutating func writeHTTPDate(_ ms: Int64, into out: inout LogBuffer) {
        refresh(ms / 1000)
        withUnsafeBytes(of: &httpDate) { out.bytes(UnsafeRawBufferPointer(rebasing: $0[0..<20])) }
        out.byte(UInt8(ascii: "."))
        out.padded(Int(ms % 1000), width: 3)
    }

    /// Writes `Mmm dd hh:mm:ss`.
    public mutating func writeSyslogDate(_ ms: Int64, into out: inout LogBuffer) {
        refresh(ms / 1000)
        withUnsafeBytes(of: &syslogDate) { out.bytes(UnsafeRawBufferPointer(rebasing: $0[0..<15])) }
    }

    /// Writes `yyyy-mm-ddThh:mm:ss.uuuuuu+hh:mm` for `us` since the epoch (HAProxy's
    /// `timeofday_as_iso_us`: local time, microseconds, the zone offset).
    public mutating func writeISODate(_ us: Int64, into out: inout LogBuffer) {
        refresh(us / 1_000_000)
        withUnsafeBytes(of: &isoDate) { out.bytes(UnsafeRawBufferPointer(rebasing: $0[0..<19])) }
        out.byte(UInt8(ascii: "."))
        out.padded(Int(us % 1_000_000), width: 6)
        withUnsafeBytes(of: &isoOffset) { out.bytes(UnsafeRawBufferPointer(rebasing: $0[0..<6])) }
    }
}
