// The Connection header on each side, as HAProxy 2.6's HTTP/1 mux writes it
// (h1_process_output, h1_update_req_conn_value / h1_update_res_conn_value), checked on the
// wire with 2.6.12 (HTTPConnectionPolicyTests):
// 1. In every Connection header the `close` and `keep-alive` tokens are removed; other
//    tokens stay (`keep-alive, Upgrade` → `Upgrade`, `a, close, b` → `a,b`); a header left
//    empty is deleted (see stripCloseAndKeepAlive for the exact cleaning).
// 2. Unless an `Upgrade` token is present, one header is appended after all the others
//    (so after X-Forwarded-For, which the caller must append first):
//    - request, httpclose: `Connection: close` on HTTP/1.1, nothing on HTTP/1.0 (close is
//      its default);
//    - request, keep-alive: `Connection: keep-alive` on HTTP/1.0 (unless chunked), nothing on HTTP/1.1. The
//      server side stays keep-alive whatever the client asked (its `close` is removed too);
//    - response, client connection kept: `Connection: keep-alive` when the request or the
//      response is HTTP/1.0, else nothing;
//    - response, client connection closed: `Connection: close` on an HTTP/1.1 response.
// HAProxy writes these lower case; we write `Connection: close` (names are case-insensitive
// and the other names are forwarded as received anyway).

/// How a proxy treats connections: `option httpclose`, or HAProxy 2.6's default keep-alive
/// (`option http-keep-alive`).
public enum ConnectionMode: Sendable { case close, keepAlive }

public enum ConnectionPolicy {
    /// Whether the client connection stays open after this exchange.
    /// A request with ambiguous framing (Transfer-Encoding with Content-Length, or in
    /// HTTP/1.0) closes the connection after its response (RFC 9112 §6.1), as 2.6.12 does.
    public static func clientKeepsAlive(_ request: RequestHead, mode: ConnectionMode) -> Bool {
        mode == .keepAlive && !request.wantsClose && !request.framingForcesClose
    }

    /// The `connection:` header for a response HAProxy generates itself (ErrorPages).
    public static func replyConnection(for request: RequestHead, clientKeepsAlive: Bool) -> ReplyConnection {
        clientKeepsAlive ? (request.versionMinor == 0 ? .keepAlive : .none) : .close
    }

    /// Edits the request's Connection headers for the server side.
    public static func rewriteRequest(head: RequestHead, rewrite: HeadRewrite, mode: ConnectionMode) {
        let upgrade = stripCloseAndKeepAlive(head, rewrite)
        if upgrade && !head.dropUpgrade { return }                 // (an upgrade with a body is none)
        switch mode {
        case .close where head.versionMinor == 1:
            rewrite.appendHeader(at: head.endOfHeaders, line: "Connection: close\r\n")
        case .keepAlive where head.versionMinor == 0 && !head.framingForcesClose:
            // (2.6.12 does not ask for keep-alive with an HTTP/1.0 chunked request either)
            rewrite.appendHeader(at: head.endOfHeaders, line: "Connection: keep-alive\r\n")
        default:
            break
        }
    }

    /// Edits the response's Connection headers for the client side. `requestMinor` is the
    /// HTTP minor version of the request this response answers.
    public static func rewriteResponse(head: ResponseHead, rewrite: HeadRewrite,
                                       clientKeepsAlive: Bool, requestMinor: Int, tunnel: Bool = false) {
        let upgrade = stripCloseAndKeepAlive(head, rewrite)
        // a tunnel (an upgrade, a 2xx to CONNECT) ends with the connection: nothing to announce
        if upgrade || tunnel { return }
        if clientKeepsAlive {
            if head.versionMinor == 0 || requestMinor == 0 {
                rewrite.appendHeader(at: head.endOfHeaders, line: "Connection: keep-alive\r\n")
            }
        } else if head.versionMinor == 1 {
            rewrite.appendHeader(at: head.endOfHeaders, line: "Connection: close\r\n")
        }
    }

    /// Rule 1 above, exactly as HAProxy 2.6 cleans the value (h1_parse_connection_header
    /// with H1_MF_CLEAN_CONN_HDR): the value is kept as written up to the first `close` or
    /// `keep-alive`, later words are appended after a bare `,`, blank elements after the last
    /// word are dropped (`a,` → `a`), and a header left empty is deleted (`Connection:` too).
    /// Returns whether an `Upgrade` token was seen.
    static func stripCloseAndKeepAlive(_ head: MessageHead, _ rewrite: HeadRewrite) -> Bool {
        var upgrade = false
        var i = 0
        while let k = head.findHeader("connection", from: i) {
            i = k + 1
            let f = head.fields[k]
            // First pass: how much of the value stays as written, and whether words follow.
            var raw = Int(f.value.lo)                     // the value up to here is kept as is
            var appended = false
            walkWords(head, f.value) { word, next, previous in
                if isCloseOrKeepAlive(head, word) { return }
                if head.equalsLowercased(word, "upgrade") { upgrade = true }
                if !appended && raw == previous { raw = next } else { appended = true }
            }
            if !appended && raw == Int(f.value.lo) { rewrite.delete(f.line); continue }   // empty
            if !appended && raw == Int(f.value.hi) { continue }                          // unchanged
            let m = rewrite.mark
            rewrite.put(head.slice(f.name)); rewrite.put(": ")
            rewrite.put(head.slice(ByteRange(Int(f.value.lo), raw)))
            var written = raw > Int(f.value.lo)
            var prefix = true
            walkWords(head, f.value) { word, next, previous in
                if isCloseOrKeepAlive(head, word) { prefix = false; return }
                if prefix && next <= raw { return }                      // already in the raw part
                prefix = false
                if written { rewrite.put(byte: asciiComma) }
                rewrite.put(head.slice(word)); written = true
            }
            rewrite.put("\r\n")
            rewrite.edit(at: Int(f.line.lo), cutTo: Int(f.line.hi), from: m)
        }
        return upgrade
    }

    /// HAProxy's word walk over a Connection value: blanks before a word are skipped, a word
    /// runs to the next comma (trailing blanks trimmed) and may be empty (`a,,b`).
    /// `body(word, next, previous)`: `next` is the comma or end after the word, `previous`
    /// the end of the previous word's element (the value's start for the first).
    @inline(__always)
    static func walkWords(_ head: MessageHead, _ value: ByteRange, _ body: (ByteRange, Int, Int) -> Void) {
        let b = head.bytes
        let end = Int(value.hi)
        var previous = Int(value.lo)
        var w = Int(value.lo)
        while w < end {
            if ByteClass.isBlank(b[w]) { w += 1; continue }
            var n = w
            while n < end && b[n] != asciiComma { n += 1 }
            var e = n
            while e > w && ByteClass.isBlank(b[e - 1]) { e -= 1 }
            body(ByteRange(w, e), n, previous)
            previous = n
            w = n + 1
        }
    }

    @inline(__always) static func isCloseOrKeepAlive(_ head: MessageHead, _ t: ByteRange) -> Bool {
        head.equalsLowercased(t, "close") || head.equalsLowercased(t, "keep-alive")
    }
}
