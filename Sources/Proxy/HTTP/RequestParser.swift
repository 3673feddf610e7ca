// HTTP/1.x request head parser: records ranges into a reused RequestHead, allocates nothing.
//
// Call it with all the bytes received so far on the connection (from the first byte of the
// request); it answers .incomplete until the blank line has arrived. Errors in complete
// lines are reported as soon as they are seen. What is refused, and why, follows HAProxy
// 2.6.12 as observed on the wire (spec §18, Appendix C) and issue 3:
// - request line: `method SP+ target SP+ HTTP/1.0|HTTP/1.1`; the method is a token (any
//   case), the target visible ASCII without `#`; `GET /x` (HTTP/0.9) and other versions are
//   refused. Extra spaces are recorded so that the line is forwarded with single ones.
//   (HAProxy 2.6 forwards `HTTP/9.9` as 1.1; we refuse it, as issue 3 asks.)
//   Empty lines before the request line are skipped (RFC 9112 §2.2), as HAProxy does; they
//   stay in the head (headLength counts them): delete `leadingEmptyLines` when forwarding.
// - headers: see HeadLines (names are tokens followed directly by `:`, no CR/NUL in values,
//   no obs-fold) and MessageHeaders (Content-Length, Transfer-Encoding).
// - Transfer-Encoding: last coding must be chunked (else 400), chunked once; a coding before
//   chunked (`gzip, chunked`) → .unsupportedTransferCoding, answered 422 like HAProxy 2.6.
// - HTTP/1.0 GET, HEAD or DELETE with a body (Content-Length above 0 or chunked) → 413, as
//   2.6.12 (Debian) does: an HTTP/1.0 server may read such a body as the next request.
//   With chunked, Content-Length is ignored and `dropContentLength` is set (RFC 9112 §6.3).
// - Host: at most one Host line (HAProxy 2.6 merges identical duplicates; issue 3 refuses
//   them all). A target that is neither origin-form nor `*` must name the same host as Host,
//   by HAProxy 2.6's rules (RequestTarget: without a scheme, exactly; with one, a missing
//   port equals the scheme's default); a CONNECT target is `host:port`. An absolute-form
//   target with its scheme's default port is normalised (RequestTarget.normalise).
// - Transfer-Encoding together with Content-Length, or in an HTTP/1.0 request, is ambiguous
//   framing (RFC 9112 §6.1): Content-Length is removed, the body forwarded as chunked, and
//   `framingForcesClose` closes the client connection after the response (as 2.6.12 does).
// - Size: see HeadLimits (tune.bufsize − 64 bytes received without a complete head, the HTX
//   size against bufsize − maxrewrite, tune.http.maxhdr − 1 header lines).
// - Bare LF line endings are accepted and flagged (`hasBareLineFeed`): see LineEndings.
// Stricter than 2.6.12 on purpose (it accepts these): obs-fold (2.6 unfolds), NUL in a
// value, identical duplicate Host lines (2.6 merges), an empty authority (`http:///x`),
// versions other than 1.0/1.1, a Content-Length above Int64.max.

public enum RequestParser {
    public static func parse(_ bytes: UnsafeRawBufferPointer, into head: RequestHead) -> ParseResult {
        head.reset()
        head.bytes = bytes
        let total = bytes.count
        guard total > 0 else { return .incomplete }
        let limits = head.limits
        let limit = Swift.min(total, limits.rawBytes)

        // Skip empty lines before the request line.
        var pos = 0
        while pos < limit && (bytes[pos] == asciiCR || bytes[pos] == asciiLF) {
            if bytes[pos] == asciiCR {
                if pos + 1 >= limit { return HeadLines.noLineEnd(total: total, limits: limits) }
                if bytes[pos + 1] != asciiLF { return .invalid(.badRequestLine) }
                pos += 2
            } else {
                head.hasBareLineFeed = true
                pos += 1
            }
        }
        guard let (end, next) = HeadLines.line(bytes, from: pos, limit: limit) else {
            return HeadLines.noLineEnd(total: total, limits: limits)
        }
        if HeadLines.isBare(bytes, contentEnd: end) { head.hasBareLineFeed = true }
        if let error = parseRequestLine(head, pos, end) { return .invalid(error) }

        let fields = HeadLines.parseFields(into: head, from: next)
        guard case .complete = fields else { return fields }

        let htx = HeadLimits.requestLineHTX(method: head.method.count, target: head.target.count) + head.headerHTXBytes
        if htx > limits.htxBytes { return .invalid(.headTooLarge) }

        var summary = MessageHeaders()
        if let error = summary.read(head, request: true) { return .invalid(error) }

        // Refusals HAProxy 2.6.12 makes only after its authority check (below).
        var lateRefusal: ParseError? = nil

        // Framing (RFC 9112 §6.3): chunked wins over Content-Length, which is then dropped.
        if summary.hasTransferEncoding {
            if !summary.chunkedLast { return .invalid(.badTransferEncoding) }
            if summary.codingBeforeChunked { lateRefusal = .unsupportedTransferCoding }
            head.framing = .chunked
            head.dropContentLength = summary.contentLengthCount > 0
            head.framingForcesClose = summary.contentLengthCount > 0 || head.versionMinor == 0
        } else if summary.contentLength >= 0 {
            head.framing = .contentLength(summary.contentLength)
            head.dropContentLength = summary.contentLengthCount > 1
        } else {
            head.framing = .none
        }
        // A CONNECT request has no body (HAProxy 2.6 drops its Content-Length and does not apply
        // a Transfer-Encoding): what follows its head belongs to the tunnel a 2xx opens.
        if head.isConnect {
            head.framing = .none
            head.dropContentLength = summary.contentLengthCount > 0
        }
        // An HTTP/1.0 server may ignore the body of a GET, HEAD or DELETE and read it as the
        // next request (smuggling): HAProxy 2.6.12 refuses such a request with 413.
        if head.versionMinor == 0, head.framing != .none, head.framing != .contentLength(0),
           Self.isGetHeadOrDelete(head) {
            lateRefusal = .payloadInHTTP10GetHeadDelete
        }

        // Protocol upgrades (HAProxy 2.6: h1_postparse_req_hdrs, h1_search_websocket_key): with
        // a body the upgrade is not offered to the server; without one, a WebSocket handshake
        // needs its 24-byte key.
        if summary.upgradeToken {
            let bodyless = head.framing == .none || head.framing == .contentLength(0)
            if !bodyless {
                head.dropUpgrade = true
            } else if summary.upgradeWebSocket && !summary.webSocketKey {
                return .invalid(.badWebSocketKey)
            }
        }

        head.saidKeepAlive = summary.keepAliveToken
        head.wantsClose = head.versionMinor == 1 ? summary.closeToken : !summary.keepAliveToken
        head.expectContinue = summary.expectContinue && head.versionMinor == 1

        // The target's authority against Host, then the scheme-based normalisation (HAProxy 2.6).
        if head.isConnect {
            if let error = RequestTarget.checkConnect(head, hostIndex: summary.hostIndex) {
                return .invalid(error)
            }
        } else {
            if summary.hostIndex >= 0, let authority = head.targetAuthority, !authority.isEmpty,
               !RequestTarget.authorityMatchesHost(head, authority: authority, host: head.fields[summary.hostIndex].value,
                                                   scheme: head.absoluteScheme) {
                return .invalid(.hostMismatch)
            }
            RequestTarget.normalise(head, hostIndex: summary.hostIndex)
        }
        if let lateRefusal { return .invalid(lateRefusal) }
        return .complete
    }

    /// The method is exactly `GET`, `HEAD` or `DELETE` (methods are case-sensitive).
    private static func isGetHeadOrDelete(_ head: RequestHead) -> Bool {
        (head.isGetHeadPost && !head.isPost) || head.slice(head.method).elementsEqual("DELETE".utf8)
    }

    /// Checks and records `method SP+ target SP+ version` in [lo, end).
    static func parseRequestLine(_ head: RequestHead, _ lo: Int, _ end: Int) -> ParseError? {
        let b = head.bytes
        var i = lo
        while i < end && ByteClass.isTokenChar(b[i]) { i += 1 }
        if i == lo { return .badMethod }
        if i == end || b[i] != asciiSP { return .badMethod }
        head.method = ByteRange(lo, i)
        while i < end && b[i] == asciiSP { i += 1 }
        // HAProxy writes the request line again with single spaces: so does the rewrite.
        head.extraSpaceBeforeTarget = ByteRange(Int(head.method.hi) + 1, i)

        let targetLo = i
        while i < end && b[i] != asciiSP {
            // `#` starts a fragment, which a client never sends (2.6.12 refuses it: CVE-2023-45539).
            if !ByteClass.isTargetChar(b[i]) || (b[i] == 35 && !head.acceptsFragment) { return .badTarget }
            i += 1
        }
        if i == targetLo { return .badRequestLine }
        head.target = ByteRange(targetLo, i)
        if i == end { return .http09 }
        while i < end && b[i] == asciiSP { i += 1 }
        head.extraSpaceBeforeVersion = ByteRange(Int(head.target.hi) + 1, i)

        guard let minor = HeadLines.version(b, i, end) else { return .badVersion }
        head.versionMinor = minor
        head.requestLine = ByteRange(lo, end)

        let m = head.method
        switch m.count {
        case 3: head.isGetHeadPost = b[lo] == 71 && b[lo + 1] == 69 && b[lo + 2] == 84          // GET
        case 7:
            head.isConnect = head.slice(m).elementsEqual("CONNECT".utf8)                            // exact case, as HAProxy
        case 4:
            head.isHead = b[lo] == 72 && b[lo + 1] == 69 && b[lo + 2] == 65 && b[lo + 3] == 68   // HEAD
            head.isPost = b[lo] == 80 && b[lo + 1] == 79 && b[lo + 2] == 83 && b[lo + 3] == 84   // POST
            head.isGetHeadPost = head.isHead || head.isPost
        default: break
        }
        if head.absoluteAuthority?.isEmpty == true { return .badTarget }
        return nil
    }
}

extension RequestHead {
    /// Empty lines received before the request line (usually none): not to be forwarded.
    public var leadingEmptyLines: ByteRange { ByteRange(0, Int(requestLine.lo)) }
}
