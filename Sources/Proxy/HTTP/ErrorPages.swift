// The responses HAProxy generates itself, byte for byte. The 2.6 bytes were captured on the
// wire from Debian's HAProxy 2.6.12 (raw socket client, see HTTPErrorPagesTests); the 1.4
// ones come from 1.4.25's http_err_msgs[] (spec §4.3).
//
// HAProxy 2.6 produces them in two ways, and they differ:
// - 400, 408, 413 and 422 come from the HTTP/1 mux (the request could not be parsed):
//   mixed-case headers, `Content-length`, and the connection is always closed afterwards (400
//   and 408 say `Connection: close`; 413 and 422 say nothing but close too).
// - the others go through HTX: lower-case headers, and a last `connection:` header that
//   depends on the client connection (ReplyConnection): `close` when it is being closed,
//   `keep-alive` when it stays open for an HTTP/1.0 client, none when an HTTP/1.1 client
//   keeps it open. The stats 401 closes the connection even without the header.
// The pages are built once, in memory that is never freed, so the engine can send them
// straight from `buffer`.

/// Which HAProxy's pages to imitate.
public enum ErrorPageFlavour: Sendable { case haproxy26, haproxy14 }

/// The `connection:` header HAProxy 2.6 ends its generated responses with.
public enum ReplyConnection: Int, Sendable, CaseIterable { case none, close, keepAlive }

/// A page HAProxy generates (the monitor-uri 200 is one of them).
public enum ErrorPage: Int, Sendable, CaseIterable {
    case monitorReady = 200
    case badRequest = 400
    case forbidden = 403
    case requestTimeout = 408
    case payloadTooLarge = 413
    case unprocessableContent = 422
    case internalError = 500
    case badGateway = 502
    case serviceUnavailable = 503
    case gatewayTimeout = 504
}

/// Bytes that are never written after they are built: the process's own pages (in
/// `ConstantPool.process`) or a compiled configuration's (in its pool, freed with it).
public struct StaticBytes: @unchecked Sendable {
    // @unchecked: the memory is written once before publication and never written again.
    public let buffer: UnsafeRawBufferPointer
    init(_ bytes: [UInt8], in pool: ConstantPool) { buffer = pool.copy(bytes) }
    public var count: Int { buffer.count }
    /// A copy as an array (tests, tools).
    public var array: [UInt8] { Array(buffer) }
}

public enum ErrorPages {
    /// The page HAProxy sends for `page`. `connection` only matters for the 2.6 pages made
    /// through HTX (see above); 1.4 pages always say `Connection: close`.
    public static func bytes(_ page: ErrorPage, connection: ReplyConnection = .close,
                             flavour: ErrorPageFlavour = .haproxy26) -> StaticBytes {
        switch flavour {
        case .haproxy26: return pages26[index(page) * 3 + connection.rawValue]
        case .haproxy14: return pages14[index(page)]
        }
    }

    /// The stats page's 401 with `WWW-Authenticate: Basic realm="<realm>"`. Built once per
    /// configured realm by the caller (it allocates).
    public static func unauthorized(realm: String, connection: ReplyConnection = .close,
                                    flavour: ErrorPageFlavour = .haproxy26) -> [UInt8] {
        let body = "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n"
        let auth = "Basic realm=\"\(realm)\""
        switch flavour {
        case .haproxy26:
            return htx(status: "401 Unauthorized", extra: "www-authenticate: \(auth)\r\n", body: body, connection: connection)
        case .haproxy14:
            return legacy(status: "401 Unauthorized", extra: "WWW-Authenticate: \(auth)\r\n", body: body)
        }
    }

    // MARK: texts

    /// The position of `page` in `allCases` (the order the tables are built in), without
    /// building the allCases array on the hot path.
    private static func index(_ page: ErrorPage) -> Int {
        switch page {
        case .monitorReady: return 0
        case .badRequest: return 1
        case .forbidden: return 2
        case .requestTimeout: return 3
        case .payloadTooLarge: return 4
        case .unprocessableContent: return 5
        case .internalError: return 6
        case .badGateway: return 7
        case .serviceUnavailable: return 8
        case .gatewayTimeout: return 9
        }
    }

    private static func body(_ title: String, _ text: String) -> String {
        "<html><body><h1>\(title)</h1>\n\(text)\n</body></html>\n"
    }

    /// (status line text, body) for 2.6.
    private static func text26(_ page: ErrorPage) -> (String, String) {
        switch page {
        case .monitorReady: return ("200 OK", "Service ready.")
        case .badRequest: return ("400 Bad request", "Your browser sent an invalid request.")
        case .forbidden: return ("403 Forbidden", "Request forbidden by administrative rules.")
        case .requestTimeout: return ("408 Request Time-out", "Your browser didn't send a complete request in time.")
        case .payloadTooLarge: return ("413 Payload Too Large", "The request entity exceeds the maximum allowed.")
        case .unprocessableContent: return ("422 Unprocessable Content", "The server cannot process the contained instructions.")
        case .internalError: return ("500 Internal Server Error", "An internal server error occurred.")
        case .badGateway: return ("502 Bad Gateway", "The server returned an invalid or incomplete response.")
        case .serviceUnavailable: return ("503 Service Unavailable", "No server is available to handle this request.")
        case .gatewayTimeout: return ("504 Gateway Time-out", "The server didn't respond in time.")
        }
    }

    /// 1.4.25's texts: HTTP/1.0, "Server Error" (and its "occured"), "HAProxy: service ready.".
    /// 1.4 has no 413 or 422 (it forwarded those requests): its 400 page stands in.
    private static func text14(_ page: ErrorPage) -> (String, String) {
        switch page {
        case .monitorReady: return ("200 OK", "HAProxy: service ready.")
        case .internalError: return ("500 Server Error", "An internal server error occured.")
        case .unprocessableContent, .payloadTooLarge: return text14(.badRequest)
        default: return text26(page)
        }
    }

    private static func htx(status: String, extra: String, body: String, connection: ReplyConnection) -> [UInt8] {
        var s = "HTTP/1.1 \(status)\r\ncontent-length: \(body.utf8.count)\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\(extra)"
        switch connection {
        case .none: break
        case .close: s += "connection: close\r\n"
        case .keepAlive: s += "connection: keep-alive\r\n"
        }
        return Array((s + "\r\n" + body).utf8)
    }

    private static func mux(status: String, body: String, close: Bool) -> [UInt8] {
        let s = "HTTP/1.1 \(status)\r\nContent-length: \(body.utf8.count)\r\nCache-Control: no-cache\r\n"
            + (close ? "Connection: close\r\n" : "") + "Content-Type: text/html\r\n\r\n" + body
        return Array(s.utf8)
    }

    private static func legacy(status: String, extra: String, body: String) -> [UInt8] {
        Array("HTTP/1.0 \(status)\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\(extra)\r\n\(body)".utf8)
    }

    // Three entries per page, in ReplyConnection order (none, close, keepAlive).
    private static let pages26: [StaticBytes] = ErrorPage.allCases.flatMap { page in
        ReplyConnection.allCases.map { connection in
            let (status, text) = text26(page)
            let b = body(status, text)
            switch page {
            case .badRequest, .requestTimeout: return StaticBytes(mux(status: status, body: b, close: true), in: .process)
            case .unprocessableContent, .payloadTooLarge: return StaticBytes(mux(status: status, body: b, close: false), in: .process)
            default: return StaticBytes(htx(status: status, extra: "", body: b, connection: connection), in: .process)
            }
        }
    }

    private static let pages14: [StaticBytes] = ErrorPage.allCases.map { page in
        let (status, text) = text14(page)
        return StaticBytes(legacy(status: status, extra: "", body: body(status, text)), in: .process)
    }
}
