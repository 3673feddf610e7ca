// HTTP/1.x response head parser: `HTTP/1.x NNN reason`, then the same header checks as
// requests. A refused response is answered 502 by the caller.
//
// Framing (RFC 9112 §6.3): no body for 1xx, 204, 304 and responses to HEAD; chunked when
// the last transfer coding is chunked (Content-Length then dropped); a Transfer-Encoding
// without chunked last, or no length at all, means the body runs until the server closes.
// Interim responses (1xx other than 101) are forwarded and followed by the final response:
// see ResponseHead.isInterim.

public enum ResponseParser {
    public static func parse(_ bytes: UnsafeRawBufferPointer, into head: ResponseHead,
                             requestWasHead: Bool) -> ParseResult {
        head.reset()
        head.bytes = bytes
        let total = bytes.count
        let limits = head.limits
        let limit = Swift.min(total, limits.rawBytes)
        guard let (end, next) = HeadLines.line(bytes, from: 0, limit: limit) else {
            // Refuse early what cannot become a status line, so a non-HTTP server fails fast.
            if !startsLikeHTTP(bytes) { return .invalid(.badStatusLine) }
            return HeadLines.noLineEnd(total: total, limits: limits)
        }
        if HeadLines.isBare(bytes, contentEnd: end) { head.hasBareLineFeed = true }
        if let error = parseStatusLine(head, end) { return .invalid(error) }

        let fields = HeadLines.parseFields(into: head, from: next)
        guard case .complete = fields else { return fields }
        let reason = Swift.max(0, end - 13)
        if HeadLimits.statusLineHTX(reason: reason) + head.headerHTXBytes > limits.htxBytes { return .invalid(.headTooLarge) }

        var summary = MessageHeaders()
        if let error = summary.read(head, request: false) { return .invalid(error) }

        let status = head.status
        if status < 200 || status == 204 || status == 304 || requestWasHead {
            head.framing = .none
        } else if summary.hasTransferEncoding {
            head.framing = summary.chunkedLast ? .chunked : .untilClose
            head.dropContentLength = summary.contentLengthCount > 0
            // Ambiguous framing: forwarded as chunked, but the server connection is not reused
            // (HAProxy 2.6.12 opens a new one for the next request).
            head.framingForcesClose = summary.contentLengthCount > 0
        } else if summary.contentLength >= 0 {
            head.framing = .contentLength(summary.contentLength)
            head.dropContentLength = summary.contentLengthCount > 1
        } else {
            head.framing = .untilClose
        }
        head.saidKeepAlive = summary.keepAliveToken
        head.wantsClose = head.versionMinor == 1 ? summary.closeToken : !summary.keepAliveToken
        return .complete
    }

    /// Whether the first bytes are a prefix of `HTTP/1.`.
    @inline(__always) static func startsLikeHTTP(_ b: UnsafeRawBufferPointer) -> Bool {
        let prefix: StaticString = "HTTP/1."
        let n = Swift.min(b.count, prefix.utf8CodeUnitCount)
        for i in 0..<n where b[i] != prefix.utf8Start[i] { return false }
        return true
    }

    /// `HTTP/1.0|HTTP/1.1 SP 3DIGIT [SP reason]` in [0, end). The reason may be empty or
    /// missing (servers do send `HTTP/1.1 200\r\n`); it must not contain CR or NUL.
    static func parseStatusLine(_ head: ResponseHead, _ end: Int) -> ParseError? {
        let b = head.bytes
        guard end >= 12, let minor = HeadLines.version(b, 0, 8), b[8] == asciiSP,
              ByteClass.isDigit(b[9]), ByteClass.isDigit(b[10]), ByteClass.isDigit(b[11]),
              end == 12 || b[12] == asciiSP else { return .badStatusLine }
        var i = 13
        while i < end {
            if b[i] == asciiCR || b[i] == 0 { return .badStatusLine }
            i += 1
        }
        let status = Int(b[9] - 48) * 100 + Int(b[10] - 48) * 10 + Int(b[11] - 48)
        guard status >= 100 else { return .badStatusLine }
        head.versionMinor = minor
        head.status = status
        head.statusLine = ByteRange(0, end)
        return nil
    }
}

extension ResponseHead {
    /// An interim response (100 Continue, 102, 103): forward it, then parse the final one.
    /// 101 Switching Protocols is final (the connection becomes a tunnel).
    public var isInterim: Bool { status >= 100 && status < 200 && status != 101 }
}
