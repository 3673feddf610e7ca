// One pass over a parsed header table for the headers that change how a message is read:
// Content-Length, Transfer-Encoding, Connection (and, for requests, Host and Expect).
// The parsers turn the summary into framing and keep-alive flags.

struct MessageHeaders {
    /// The agreed Content-Length, or -1 when there is none.
    var contentLength: Int64 = -1
    /// Number of Content-Length values seen (lines and list elements): above 1 the
    /// forwarded head is normalised to a single `Content-Length` line.
    var contentLengthCount = 0
    var hasTransferEncoding = false
    /// The last transfer coding is `chunked`.
    var chunkedLast = false
    /// A coding other than chunked comes before chunked (`gzip, chunked`).
    var codingBeforeChunked = false
    var closeToken = false
    var keepAliveToken = false
    var upgradeToken = false
    var hostIndex = -1
    var expectContinue = false
    /// The last Upgrade header names `websocket` (HAProxy looks at the last one only).
    var upgradeWebSocket = false
    /// A `Sec-WebSocket-Key` of 24 bytes (a base64 16-byte nonce) is present.
    var webSocketKey = false

    /// Reads the special headers of `head`; returns the reason to refuse it, if any. Checks
    /// common to both directions are made here: numeric and agreeing Content-Length values,
    /// a non-empty Transfer-Encoding with `chunked` at most once. `request` adds the Host
    /// (only one) and Expect rules.
    mutating func read(_ head: MessageHead, request: Bool) -> ParseError? {
        var chunkedCount = 0
        var i = 0
        while i < head.headerCount {
            let f = head.fields[i]
            i += 1
            switch f.name.count {
            case 4 where request && head.equalsLowercased(f.name, "host"):
                if hostIndex >= 0 { return .multipleHost }
                hostIndex = i - 1
            case 7 where request && head.equalsLowercased(f.name, "upgrade"):
                upgradeWebSocket = false
                head.forEachElement(of: f.value) { t in
                    if head.equalsLowercased(t, "websocket") { upgradeWebSocket = true }
                    return true
                }
            case 17 where request && f.value.count == 24 && head.equalsLowercased(f.name, "sec-websocket-key"):
                webSocketKey = true
            case 6 where request && head.equalsLowercased(f.name, "expect"):
                if head.equalsLowercased(f.value, "100-continue") { expectContinue = true }
            case 10 where head.equalsLowercased(f.name, "connection"):
                head.forEachElement(of: f.value) { t in
                    if head.equalsLowercased(t, "close") { closeToken = true }
                    else if head.equalsLowercased(t, "keep-alive") { keepAliveToken = true }
                    else if head.equalsLowercased(t, "upgrade") { upgradeToken = true }
                    return true
                }
            case 14 where head.equalsLowercased(f.name, "content-length"):
                if let e = readContentLength(head, f.value) { return e }
            case 17 where head.equalsLowercased(f.name, "transfer-encoding"):
                hasTransferEncoding = true
                MessageHeaders.forEachCoding(head, f.value) { c in
                    if head.equalsLowercased(c, "chunked") {
                        chunkedCount += 1
                        chunkedLast = true
                    } else {
                        if chunkedCount == 0 { codingBeforeChunked = true }
                        chunkedLast = false
                    }
                }
                if f.value.isEmpty { return .badTransferEncoding }
            default:
                break
            }
        }
        if chunkedCount > 1 { return .badTransferEncoding }
        if hasTransferEncoding && chunkedCount == 0 && !codingBeforeChunked { return .badTransferEncoding }
        return nil
    }

    /// One Content-Length value: a comma list of equal decimal numbers. An empty value or an
    /// empty element (`0,`, `,0`, `0,,0`) is refused, as HAProxy 2.6.12 with the fix for
    /// CVE-2023-40225 does (a server may read `0,` as something else than 0).
    @inline(__always)
    mutating func readContentLength(_ head: MessageHead, _ value: ByteRange) -> ParseError? {
        var i = Int(value.lo)
        let end = Int(value.hi)
        if i == end { return .badContentLength }
        while true {
            var lo = i
            while lo < end && ByteClass.isBlank(head.bytes[lo]) { lo += 1 }
            var hi = lo
            while hi < end && head.bytes[hi] != asciiComma { hi += 1 }
            let next = hi
            while hi > lo && ByteClass.isBlank(head.bytes[hi - 1]) { hi -= 1 }
            guard let n = MessageHeaders.decimal(head, ByteRange(lo, hi)) else { return .badContentLength }
            if contentLength >= 0 && n != contentLength { return .conflictingContentLength }
            contentLength = n
            contentLengthCount += 1
            if next == end { return nil }
            i = next + 1
        }
    }

    /// The codings of one Transfer-Encoding value, split as HAProxy 2.6.12 splits them: at
    /// commas outside a quoted string, an empty element being a coding (not chunked) except
    /// after a last comma. So `, chunked` is a coding before chunked (422), `chunked, ,` has
    /// chunked not last (400), `chunked,` is chunked; a server that skips empty elements and
    /// one that does not must never read the framing differently.
    @inline(__always)
    static func forEachCoding(_ head: MessageHead, _ value: ByteRange, _ body: (ByteRange) -> Void) {
        let b = head.bytes
        var i = Int(value.lo)
        let end = Int(value.hi)
        while i < end {
            var hi = i
            var quoted = false
            while hi < end {
                let c = b[hi]
                if quoted && c == 0x5C { hi += 2; continue }            // backslash: quoted pair
                if c == 0x22 { quoted.toggle() } else if c == asciiComma && !quoted { break }
                hi += 1
            }
            hi = min(hi, end)
            let next = hi + 1
            var lo = i
            while lo < hi && ByteClass.isBlank(b[lo]) { lo += 1 }
            while hi > lo && ByteClass.isBlank(b[hi - 1]) { hi -= 1 }
            body(ByteRange(lo, hi))
            i = next
        }
    }

    /// A non-negative decimal number that fits an Int64 (no sign, no blanks), or nil.
    /// (HAProxy reads Content-Length as an unsigned 64-bit number; values above Int64.max
    /// are refused here.)
    @inline(__always) static func decimal(_ head: MessageHead, _ r: ByteRange) -> Int64? {
        guard r.count > 0 && r.count <= 19 else { return nil }
        var n: Int64 = 0
        var i = Int(r.lo)
        while i < Int(r.hi) {
            let c = head.bytes[i]
            guard ByteClass.isDigit(c) else { return nil }
            let (times10, o1) = n.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(c - 48))
            if o1 || o2 { return nil }
            n = sum
            i += 1
        }
        return n
    }
}
