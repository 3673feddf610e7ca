/// `monitor-uri` (spec §17): the exact URI gets HAProxy's 200 page from the proxy itself;
/// never forwarded, never logged.
public enum MonitorURI {
    /// Exact, case-sensitive byte compare of the whole request target (query included:
    /// `/site_status?x=1` does not match, observed on 2.6.0 and 2.6.12). Allocation-free.
    @inline(__always)
    public static func matches(target: UnsafeRawBufferPointer, uri: UnsafeRawBufferPointer) -> Bool {
        guard target.count == uri.count else { return false }
        for i in 0..<uri.count where target[i] != uri[i] { return false }
        return true
    }

    /// HAProxy 2.6's rule (http_wait_for_request): the whole target equals the URI, or the
    /// URI starts with `/` and equals the target's path and query, so that
    /// `GET http://host/health` matches `monitor-uri /health` (reg-test
    /// checks/http-monitor-uri.vtc).
    @inline(__always)
    public static func matches(_ head: RequestHead, uri: UnsafeRawBufferPointer) -> Bool {
        if matches(target: head.slice(head.target), uri: uri) { return true }
        guard uri.count > 0, uri[0] == 47, let authority = head.absoluteAuthority else { return false }
        return matches(target: head.slice(ByteRange(Int(authority.hi), Int(head.target.hi))), uri: uri)
    }

    /// HAProxy 2.6.12's bytes (ErrorPages holds them): `connection: close` is appended when the
    /// connection will be closed (HTTP/1.0 client, httpclose), as observed.
    public static var keepAlive: [UInt8] { ErrorPages.bytes(.monitorReady, connection: .none).array }
    public static var closing: [UInt8] { ErrorPages.bytes(.monitorReady, connection: .close).array }
    /// HAProxy 1.4's page (for the 1.4 dialect).
    public static var legacy: [UInt8] { ErrorPages.bytes(.monitorReady, flavour: .haproxy14).array }

    public static func response(close: Bool) -> [UInt8] { close ? closing : keepAlive }
}
