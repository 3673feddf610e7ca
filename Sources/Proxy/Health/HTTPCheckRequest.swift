/// The bytes of an HTTP check request, as HAProxy 2.6.12's H1 layer writes them (observed on
/// the wire): the request line; the headers in order with lower-case names (`Content-Length`
/// and `Transfer-Encoding` are dropped, `Connection: close` left to the end); the server
/// state header; `content-length` when there is a body; `connection: close` for HTTP/1.1
/// unless another Connection header was given; the body.
enum HTTPCheckRequest {
    static func bytes(_ send: HTTPCheckSend, evaluator: CheckEvaluator, input: [UInt8], serverState: String?) -> [UInt8] {
        let method = send.method ?? "OPTIONS"
        var uri = send.uri.map { evaluator.render($0, input: input, response: nil) } ?? []
        if uri.isEmpty { uri = [UInt8(ascii: "/")] }
        let version = send.version ?? "HTTP/1.0"
        let v = Array(version.utf8)
        // HAProxy's test: "HTTP/2", or "HTTP/x.y" with x.y >= 1.1.
        let http11 = (v.count == 6 && v[5] == UInt8(ascii: "2"))
            || (v.count == 8 && (v[5] > UInt8(ascii: "1") || (v[5] == UInt8(ascii: "1") && v[7] >= UInt8(ascii: "1"))))
        var out = Array("\(method) ".utf8) + uri + [32] + v + [13, 10]
        var connectionGiven = false
        for h in send.headers {
            let value = evaluator.render(h.value, input: input, response: nil)
            if value.isEmpty { continue }            // HAProxy skips a header whose value is empty
            let name = Array(h.name.utf8).map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
            if name == Array("connection".utf8) {
                connectionGiven = true
                // `close` is the H1 layer's business (added last for 1.1, implied by 1.0).
                if value.map({ $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }) == Array("close".utf8) {
                    connectionGiven = false
                    continue
                }
            }
            out += name + Array(": ".utf8) + value + [13, 10]
        }
        if let serverState { out += Array("x-haproxy-server-state: \(serverState)\r\n".utf8) }
        let body = send.body.map { evaluator.render($0, input: input, response: nil) } ?? []
        if !body.isEmpty { out += Array("content-length: \(body.count)\r\n".utf8) }
        if http11 && !connectionGiven { out += Array("connection: close\r\n".utf8) }
        out += [13, 10]
        out += body
        return out
    }
}
