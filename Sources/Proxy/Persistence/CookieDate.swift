#if canImport(Glibc)
import Glibc
#endif

// The dates HAProxy appends to an inserted persistence cookie when `maxidle`/`maxlife` are
// set: `NAME=SRV|<last seen>[|<first seen>]`, each a UNIX date in 4-second units written as
// 30 bits in 5 characters of the standard base64 alphabet, most significant first, no
// padding (HAProxy's s30tob64/b64tos30). Written dates are rounded up ((t + 3) >> 2), read
// dates are the 4-second value shifted back (v << 2).
// Observed on HAProxy 2.6.12 at t = 1795760573: `set-cookie: SRV=s1|awkhw|awkhw; path=/`.

enum CookieDate {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// How a date is written: seconds rounded up to the next 4-second unit.
    @inline(__always)
    static func units(writing seconds: Int64) -> Int64 { (seconds + 3) >> 2 }

    /// Writes the low 30 bits of `units` as 5 characters.
    @inline(__always)
    static func put(units: Int64, _ rewrite: HeadRewrite) {
        var v = units
        for _ in 0..<5 {
            rewrite.put(byte: alphabet[Int((v >> 24) & 0x3F)])
            v <<= 6
        }
    }

    /// The 30-bit value of the 5 characters at b[at...], or -1 when one is not base64
    /// (`=` included). The caller checks that 5 bytes are there.
    @inline(__always)
    static func decode(_ b: UnsafePointer<UInt8>, at: Int) -> Int64 {
        var out: Int64 = 0
        for k in 0..<5 {
            let c = b[at + k]
            let d: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): d = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): d = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): d = 62
            case UInt8(ascii: "/"): d = 63
            default: return -1
            }
            out = (out << 6) + Int64(d)
        }
        return out
    }

    /// Wall-clock UNIX seconds (HAProxy's `date.tv_sec`): the cookie dates travel to the
    /// browser and back, so they cannot use the monotonic clock.
    static func wallClockSeconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }
}
