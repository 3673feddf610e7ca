// Content-Length lines the parser marked with `dropContentLength`: with chunked framing
// (or a response body delimited by close) they all go (RFC 9112 §6.3, HAProxy 2.6);
// with several equal values (`Content-Length: 5` twice, or `5, 5`) one line
// `<name>: 5` stays where the first one was, as HAProxy 2.6 forwards a single value.

public enum ContentLengthRewrite {
    public static func apply(head: MessageHead, rewrite: HeadRewrite) {
        guard head.dropContentLength else { return }
        var keepOne: Int64 = -1
        if case .contentLength(let n) = head.framing { keepOne = n }
        var i = 0
        while let k = head.findHeader("content-length", from: i) {
            let f = head.fields[k]
            if keepOne >= 0 {
                let m = rewrite.mark
                rewrite.put(head.slice(f.name)); rewrite.put(": "); rewrite.put(decimal: Int(keepOne)); rewrite.put("\r\n")
                rewrite.edit(at: Int(f.line.lo), cutTo: Int(f.line.hi), from: m)
                keepOne = -1
            } else {
                rewrite.delete(f.line)
            }
            i = k + 1
        }
    }
}
