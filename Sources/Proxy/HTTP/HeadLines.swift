// The part of head parsing shared by requests and responses: splitting lines and reading
// header fields into the MessageHead table, with the checks RFC 9112 and HAProxy 2.6 make.
//
// Line endings: CRLF and bare LF are both accepted (RFC 9112 §2.2 allows a recipient to
// accept LF; HAProxy 2.6 does). Ranges are recorded as they are: `line` ends after the LF,
// `endOfHeaders` is the offset of the blank line (its CR, or its LF when bare). A bare LF
// sets `hasBareLineFeed`: such a head is never forwarded as it is (a server that splits lines
// on CRLF only would see other lines, and perhaps another request) but normalised to CRLF
// first, as HAProxy's rewriting does (LineEndings).

#if canImport(Glibc)
import Glibc
#endif

enum HeadLines {
    /// The line starting at `from`: where its content ends (before CR LF or LF) and where the
    /// next line starts, or nil when there is no LF before `limit`.
    @inline(__always)
    static func line(_ b: UnsafeRawBufferPointer, from: Int, limit: Int) -> (contentEnd: Int, next: Int)? {
        guard from < limit else { return nil }
        guard let p = memchr(b.baseAddress! + from, Int32(asciiLF), limit - from) else { return nil }
        let lf = UnsafeRawPointer(p) - b.baseAddress!
        let contentEnd = (lf > from && b[lf - 1] == asciiCR) ? lf - 1 : lf
        return (contentEnd, lf + 1)
    }

    /// What to answer when no line end was found: wait, or refuse a head that cannot fit.
    @inline(__always) static func noLineEnd(total: Int, limits: HeadLimits) -> ParseResult {
        total >= limits.rawBytes ? .invalid(.headTooLarge) : .incomplete
    }

    /// Whether the line whose content ends at `end` (from `line`) ended with a bare LF.
    @inline(__always) static func isBare(_ b: UnsafeRawBufferPointer, contentEnd end: Int) -> Bool {
        b[end] == asciiLF
    }

    /// Reads header lines from `from` up to and including the blank line, filling the
    /// header table, `endOfHeaders`, `headLength`, `hasBareLineFeed` and `headerHTXBytes`.
    static func parseFields(into head: MessageHead, from: Int) -> ParseResult {
        let b = head.bytes
        let total = b.count
        let limits = head.limits
        let limit = Swift.min(total, limits.rawBytes)
        let maxLines = limits.headerLines
        var pos = from
        var htx = 0
        while true {
            guard let (end, next) = line(b, from: pos, limit: limit) else { return noLineEnd(total: total, limits: limits) }
            if isBare(b, contentEnd: end) { head.hasBareLineFeed = true }
            if end == pos {
                head.headerHTXBytes = htx
                head.endOfHeaders = pos
                head.headLength = next
                // From now on `bytes` is the head only, as MessageHead documents.
                head.bytes = UnsafeRawBufferPointer(rebasing: b[0..<next])
                return .complete
            }
            // A line starting with a blank continues the previous one (obs-fold): refused,
            // as RFC 9112 §5.2 allows; HAProxy 2.6 would unfold it.
            let first = b[pos]
            if ByteClass.isBlank(first) { return .invalid(.obsFold) }
            // Name: one or more token characters, then the colon (no blank before it).
            var colon = pos
            while colon < end && ByteClass.isTokenChar(b[colon]) { colon += 1 }
            if colon == pos || colon == end || b[colon] != asciiColon { return .invalid(.badHeaderName) }
            // Value: OWS trimmed on both sides; CR and NUL refused anywhere in it.
            var lo = colon + 1
            if containsCROrNUL(b, lo, end) { return .invalid(.badHeaderValue) }
            while lo < end && ByteClass.isBlank(b[lo]) { lo += 1 }
            var hi = end
            while hi > lo && ByteClass.isBlank(b[hi - 1]) { hi -= 1 }
            if head.headerCount >= maxLines { return .invalid(.tooManyHeaders) }
            htx &+= HeadLimits.headerHTX(name: colon - pos, value: hi - lo)
            head.fields[head.headerCount] = HeaderField(name: ByteRange(pos, colon), value: ByteRange(lo, hi),
                                                        line: ByteRange(pos, next))
            head.headerCount += 1
            pos = next
        }
    }

    /// Whether [lo, hi) holds a CR or a NUL byte. Values are most of a head's bytes, so this
    /// looks at 8 bytes at a time (the classic "has a zero byte" word trick).
    @inline(__always) static func containsCROrNUL(_ b: UnsafeRawBufferPointer, _ lo: Int, _ hi: Int) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let crs: UInt64 = 0x0D0D_0D0D_0D0D_0D0D
        var i = lo
        while i + 8 <= hi {
            let w = b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let x = w ^ crs
            if ((w &- ones) & ~w | (x &- ones) & ~x) & highs != 0 { return true }
            i += 8
        }
        while i < hi {
            if b[i] == asciiCR || b[i] == 0 { return true }
            i += 1
        }
        return false
    }

    /// Parses `HTTP/1.0` or `HTTP/1.1` exactly in [lo, hi); returns the minor version.
    @inline(__always) static func version(_ b: UnsafeRawBufferPointer, _ lo: Int, _ hi: Int) -> Int? {
        guard hi - lo == 8, b[lo] == 72, b[lo + 1] == 84, b[lo + 2] == 84, b[lo + 3] == 80,
              b[lo + 4] == 47, b[lo + 5] == 49, b[lo + 6] == 46 else { return nil }
        switch b[lo + 7] {
        case 48: return 0
        case 49: return 1
        default: return nil
        }
    }
}
