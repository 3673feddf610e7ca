// The request line and Host as HAProxy 2.6 forwards them: its scheme-based normalisation
// (RequestTarget.normalise, checkConnect) sends `GET http://h:80/x` as `GET http://h/x` with
// `Host: h`, and a CONNECT's `Host: h:443` as `Host: h` (reg-test
// http-messaging/h1_host_normalization.vtc); the line goes with single spaces; and a request
// asking for a protocol upgrade while it has a body loses its Upgrade headers
// (h1_postparse_req_hdrs: the body would otherwise be read as the new protocol).
// A request that needs none of this, nearly all of them, costs three tests.

enum RequestNormalisation {
    static func apply(head: RequestHead, rewrite: HeadRewrite) {
        if !head.extraSpaceBeforeTarget.isEmpty { rewrite.delete(head.extraSpaceBeforeTarget) }
        if !head.targetPortCut.isEmpty { rewrite.delete(head.targetPortCut) }
        if !head.extraSpaceBeforeVersion.isEmpty { rewrite.delete(head.extraSpaceBeforeVersion) }
        if head.dropUpgrade {
            var u = 0
            while let k = head.findHeader("upgrade", from: u) { rewrite.delete(head.fields[k].line); u = k + 1 }
        }
        if !head.hostPortCut.isEmpty { rewrite.delete(head.hostPortCut) }
    }
}
