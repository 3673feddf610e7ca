// HTTP heads as the proxy sees them: bytes in a buffer that does not move (the parsers keep
// offsets into it, as into a worker's receive buffer), parsed once into a reusable head.

import Proxy

/// A message's bytes in stable memory, kept alive as long as this object.
public final class MessageBytes {
    public let buffer: UnsafeRawBufferPointer

    public init(_ text: String) {
        let utf8 = Array(text.utf8)
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: utf8.count, alignment: 16)
        storage.copyBytes(from: utf8)
        buffer = UnsafeRawBufferPointer(storage)
    }
    deinit { buffer.deallocate() }
}

public enum Messages {
    /// What a current browser sends for a page of the seed configuration's NOSESSION site:
    /// 8 headers, 395 bytes, with the sticky cookie of COOKIE_srv between two others.
    public static let browserRequest =
        "GET /index.php?page=2&userid=4711 HTTP/1.1\r\n" +
        "Host: nosession.9ai9.net\r\n" +
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
        "Accept-Language: en-US,en;q=0.5\r\n" +
        "Accept-Encoding: gzip, deflate, br, zstd\r\n" +
        "Connection: keep-alive\r\n" +
        "Cookie: a=1; SESSION_COOKIE=12; b=2\r\n" +
        "Upgrade-Insecure-Requests: 1\r\n" +
        "\r\n"

    /// What the seed configuration's PHP application answers: 8 headers (327 bytes), a session cookie.
    public static let phpResponse =
        "HTTP/1.1 200 OK\r\n" +
        "Date: Fri, 27 Nov 2026 05:00:00 GMT\r\n" +
        "Server: Apache/2.4.62 (Debian)\r\n" +
        "X-Powered-By: PHP/8.2.26\r\n" +
        "Set-Cookie: 9ai9=8f1c2b7e4d3a69508f1c2b7e4d3a6950; path=/\r\n" +
        "Expires: Thu, 19 Nov 1981 08:52:00 GMT\r\n" +
        "Cache-Control: no-store, no-cache, must-revalidate\r\n" +
        "Content-Length: 1843\r\n" +
        "Content-Type: text/html; charset=UTF-8\r\n" +
        "\r\n"

    /// `text` parsed by the real parser into a head (the head points into `bytes`).
    public static func request(_ text: String) -> (bytes: MessageBytes, head: RequestHead) {
        let bytes = MessageBytes(text)
        let head = RequestHead()
        guard case .complete = RequestParser.parse(bytes.buffer, into: head) else {
            fatalError("the benchmark request does not parse:\n\(text)")
        }
        return (bytes, head)
    }
}
