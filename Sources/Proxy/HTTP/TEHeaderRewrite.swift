// The request's `TE` header toward the server, as HAProxy 2.6 forwards it: a TE line whose
// first `trailers` (case-sensitive) ends the value or an element (`trailers`, `trailers, gzip`,
// `gzip, trailers`) becomes `TE: trailers`; any other TE line (`gzip`, `trailers;q=0.5`,
// `Trailers`) is removed (reg-test http-messaging/http_transfer_encoding.vtc; checked on the
// wire with 2.6.12: TEHeaderRewriteTests).

public enum TEHeaderRewrite {
    public static func apply(head: MessageHead, rewrite: HeadRewrite) {
        var i = 0
        while let k = head.findHeader("te", from: i) {
            i = k + 1
            let f = head.fields[k]
            if let at = firstTrailers(head.slice(f.value)), at.followedByEndOrComma {
                if at.offset == 0 && f.value.count == 8 { continue }        // exactly `trailers`
                let m = rewrite.mark
                rewrite.put(head.slice(f.name)); rewrite.put(": trailers\r\n")
                rewrite.edit(at: Int(f.line.lo), cutTo: Int(f.line.hi), from: m)
            } else {
                rewrite.delete(f.line)
            }
        }
    }

    /// Where `trailers` first occurs in `v`, and whether the end or a comma follows it.
    static func firstTrailers(_ v: UnsafeRawBufferPointer) -> (offset: Int, followedByEndOrComma: Bool)? {
        let word: StaticString = "trailers"
        let n = word.utf8CodeUnitCount
        guard v.count >= n else { return nil }
        let p = word.utf8Start
        outer: for start in 0...(v.count - n) {
            for j in 0..<n where v[start + j] != p[j] { continue outer }
            let end = start + n
            return (start, end == v.count || v[end] == 44)
        }
        return nil
    }
}
