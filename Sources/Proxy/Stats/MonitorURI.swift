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

    /// HAProxy 2.6.12's bytes; `connection: close` is appended when the connection will be
    /// closed (HTTP/1.0 client, httpclose), as observed.
    public static let keepAlive: [UInt8] = Array(
        "HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n".utf8)
    public static let closing: [UInt8] = Array(
        "HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n".utf8)
    /// HAProxy 1.4's page (for the 1.4 dialect).
    public static let legacy: [UInt8] = Array(
        "HTTP/1.0 200 OK\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>200 OK</h1>\nHAProxy: service ready.\n</body></html>\n".utf8)

    public static func response(close: Bool) -> [UInt8] { close ? closing : keepAlive }
}
