// The Connection header on each side, as HAProxy 2.6's HTTP/1 mux writes it
// (h1_process_output, h1_update_req_conn_value / h1_update_res_conn_value), checked on the
// wire with 2.6.12 (HTTPConnectionPolicyTests):
// 1. In every Connection header the `close` and `keep-alive` tokens are removed; other
//    tokens stay (`keep-alive, Upgrade` → `Upgrade`); a header left empty is deleted.
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
        if upgrade { return }
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
                                       clientKeepsAlive: Bool, requestMinor: Int) {
        let upgrade = stripCloseAndKeepAlive(head, rewrite)
        if upgrade { return }
        if clientKeepsAlive {
            if head.versionMinor == 0 || requestMinor == 0 {
                rewrite.appendHeader(at: head.endOfHeaders, line: "Connection: keep-alive\r\n")
            }
        } else if head.versionMinor == 1 {
            rewrite.appendHeader(at: head.endOfHeaders, line: "Connection: close\r\n")
        }
    }

    /// Rule 1 above; returns whether an `Upgrade` token was seen.
    static func stripCloseAndKeepAlive(_ head: MessageHead, _ rewrite: HeadRewrite) -> Bool {
        var upgrade = false
        var i = 0
        while let k = head.findHeader("connection", from: i) {
            i = k + 1
            let f = head.fields[k]
            var kept = 0, dropped = 0
            head.forEachElement(of: f.value) { t in
                if isCloseOrKeepAlive(head, t) { dropped += 1 } else {
                    kept += 1
                    if head.equalsLowercased(t, "upgrade") { upgrade = true }
                }
                return true
            }
            if dropped == 0 { continue }
            if kept == 0 { rewrite.delete(f.line); continue }
            let m = rewrite.mark
            rewrite.put(head.slice(f.name)); rewrite.put(": ")
            var first = true
            head.forEachElement(of: f.value) { t in
                if !isCloseOrKeepAlive(head, t) {
                    if !first { rewrite.put(", ") }
                    rewrite.put(head.slice(t)); first = false
                }
                return true
            }
            rewrite.put("\r\n")
            rewrite.edit(at: Int(f.line.lo), cutTo: Int(f.line.hi), from: m)
        }
        return upgrade
    }

    @inline(__always) static func isCloseOrKeepAlive(_ head: MessageHead, _ t: ByteRange) -> Bool {
        head.equalsLowercased(t, "close") || head.equalsLowercased(t, "keep-alive")
    }
}
