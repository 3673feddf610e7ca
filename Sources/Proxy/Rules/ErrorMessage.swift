// An HTTP response the proxy sends itself, as HAProxy 2.6 holds one after parsing it into
// HTX: status line, headers (names are written lower-case), body. Error pages, errorfiles
// and http-errors pages are parsed into this once at start; ReplyWriter turns one (after
// http-after-response rules) into bytes the way HAProxy's H1 mux does.

public struct ErrorMessage: Equatable, Sendable {
    public var versionMinor: Int
    public var status: Int
    public var reason: [UInt8]
    public var headers: [(name: [UInt8], value: [UInt8])]
    public var body: [UInt8]
    /// An empty file: nothing is sent and the connection is closed (HAProxy's `/dev/null` trick).
    public var isEmpty: Bool

    public static func == (a: ErrorMessage, b: ErrorMessage) -> Bool {
        a.versionMinor == b.versionMinor && a.status == b.status && a.reason == b.reason && a.body == b.body
            && a.isEmpty == b.isEmpty && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }

    /// Parses a raw response (an errorfile); nil with `problem` set when HAProxy would refuse it.
    public static func parse(_ raw: [UInt8]) -> ErrorMessage? {
        if raw.isEmpty { return ErrorMessage(versionMinor: 1, status: 0, reason: [], headers: [], body: [], isEmpty: true) }
        return parseChecked(raw).0
    }

    public static func problem(_ raw: [UInt8]) -> String? { raw.isEmpty ? nil : parseChecked(raw).1 }

    static func parseChecked(_ raw: [UInt8]) -> (ErrorMessage?, String?) {
        // Lines end with LF (CR optional), the head ends at an empty line.
        var lines: [ArraySlice<UInt8>] = []
        var i = 0
        var bodyStart = -1
        while i < raw.count {
            guard let lf = raw[i...].firstIndex(of: 10) else { return (nil, "unabled to parse headers (error offset: \(i))") }
            var end = lf
            if end > i && raw[end - 1] == 13 { end -= 1 }
            if end == i { bodyStart = lf + 1; break }
            lines.append(raw[i..<end])
            i = lf + 1
        }
        guard bodyStart >= 0, let first = lines.first else { return (nil, "unabled to parse headers (error offset: \(raw.count))") }
        let sl = Array(first)
        guard sl.count >= 12, sl.starts(with: Array("HTTP/".utf8)), sl[6] == UInt8(ascii: "."), sl[8] == 32,
              (sl[5] >= 48 && sl[5] <= 57), (sl[7] >= 48 && sl[7] <= 57),
              sl[9...11].allSatisfy({ $0 >= 48 && $0 <= 57 }), sl.count == 12 || sl[12] == 32 else {
            return (nil, "unabled to parse headers (error offset: 0)")
        }
        let minor = (sl[5] > 49 || (sl[5] == 49 && sl[7] >= 49)) ? 1 : 0
        let status = Int(sl[9] - 48) * 100 + Int(sl[10] - 48) * 10 + Int(sl[11] - 48)
        if status < 200 && (status == 100 || status >= 102) {
            return (nil, "invalid http status code for an error message (\(status))")
        }
        let reason = sl.count > 13 ? Array(sl[13...]) : []
        var headers: [(name: [UInt8], value: [UInt8])] = []
        var contentLength: Int? = nil
        for l in lines.dropFirst() {
            guard let colon = l.firstIndex(of: UInt8(ascii: ":")), colon > l.startIndex else {
                return (nil, "unabled to parse headers (error offset: \(l.startIndex))")
            }
            let name = l[l.startIndex..<colon].map { Bytes.lower($0) }
            var v = Array(l[(colon + 1)...])
            while let f = v.first, f == 32 || f == 9 { v.removeFirst() }
            while let e = v.last, e == 32 || e == 9 { v.removeLast() }
            if name == Array("content-length".utf8) { contentLength = Int(String(decoding: v, as: UTF8.self)) }
            if name == Array("transfer-encoding".utf8) { return (nil, "chunk-encoded payload not supported") }
            headers.append((name, v))
        }
        let body = Array(raw[bodyStart...])
        let bodyless = status == 204 || status == 304 || contentLength == 0
        if bodyless && !body.isEmpty { return (nil, "message payload not expected") }
        return (ErrorMessage(versionMinor: minor, status: status, reason: reason, headers: headers, body: body, isEmpty: false), nil)
    }

    /// HAProxy's built-in page for a status (http_err_msgs), if it has one.
    public static func builtIn(_ status: Int) -> ErrorMessage? {
        guard let raw = ErrorPageTexts.raw(status) else { return nil }
        return parse(Array(raw.utf8))
    }
}

/// The raw texts of HAProxy 2.6's built-in error messages (http.c http_err_msgs).
public enum ErrorPageTexts {
    public static let handledStatuses: Set<Int> = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504]

    static func page(_ line: String, _ title: String, _ text: String, close: Bool = false) -> String {
        let body = "<html><body><h1>\(title)</h1>\n\(text)\n</body></html>\n"
        return "HTTP/1.1 \(line)\r\nContent-length: \(body.utf8.count)\r\nCache-Control: no-cache\r\n"
            + (close ? "Connection: close\r\n" : "") + "Content-Type: text/html\r\n\r\n" + body
    }

    public static func raw(_ status: Int) -> String? {
        switch status {
        case 200: return page("200 OK", "200 OK", "Service ready.")
        case 400: return page("400 Bad request", "400 Bad request", "Your browser sent an invalid request.", close: true)
        case 401: return page("401 Unauthorized", "401 Unauthorized", "You need a valid user and password to access this content.")
        case 403: return page("403 Forbidden", "403 Forbidden", "Request forbidden by administrative rules.")
        case 404: return page("404 Not Found", "404 Not Found", "The resource could not be found.")
        case 405: return page("405 Method Not Allowed", "405 Method Not Allowed", "A request was made of a resource using a request method not supported by that resource")
        case 407: return page("407 Unauthorized", "407 Unauthorized", "You need a valid user and password to access this content.")
        case 408: return page("408 Request Time-out", "408 Request Time-out", "Your browser didn't send a complete request in time.", close: true)
        case 410: return page("410 Gone", "410 Gone", "The resource is no longer available and will not be available again.")
        case 413: return page("413 Payload Too Large", "413 Payload Too Large", "The request entity exceeds the maximum allowed.")
        case 421: return page("421 Misdirected Request", "421 Misdirected Request", "Request sent to a non-authoritative server.")
        case 422: return page("422 Unprocessable Content", "422 Unprocessable Content", "The server cannot process the contained instructions.")
        case 425: return page("425 Too Early", "425 Too Early", "Your browser sent early data.")
        case 429: return page("429 Too Many Requests", "429 Too Many Requests", "You have sent too many requests in a given amount of time.")
        case 500: return page("500 Internal Server Error", "500 Internal Server Error", "An internal server error occurred.")
        case 501: return page("501 Not Implemented", "501 Not Implemented", ".The server does not support the functionality required to fulfill the request.")
        case 502: return page("502 Bad Gateway", "502 Bad Gateway", "The server returned an invalid or incomplete response.")
        case 503: return page("503 Service Unavailable", "503 Service Unavailable", "No server is available to handle this request.")
        case 504: return page("504 Gateway Time-out", "504 Gateway Time-out", "The server didn't respond in time.")
        default: return nil
        }
    }

    /// HAProxy's http_get_reason: the reason phrase for a status it sets itself.
    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"; case 101: "Switching Protocols"; case 102: "Processing"
        case 200: "OK"; case 201: "Created"; case 202: "Accepted"; case 203: "Non-Authoritative Information"
        case 204: "No Content"; case 205: "Reset Content"; case 206: "Partial Content"; case 207: "Multi-Status"
        case 210: "Content Different"; case 226: "IM Used"
        case 300: "Multiple Choices"; case 301: "Moved Permanently"; case 302: "Moved Temporarily"; case 303: "See Other"
        case 304: "Not Modified"; case 305: "Use Proxy"; case 307: "Temporary Redirect"; case 308: "Permanent Redirect"
        case 310: "Too many Redirects"
        case 400: "Bad Request"; case 401: "Unauthorized"; case 402: "Payment Required"; case 403: "Forbidden"
        case 404: "Not Found"; case 405: "Method Not Allowed"; case 406: "Not Acceptable"
        case 407: "Proxy Authentication Required"; case 408: "Request Time-out"; case 409: "Conflict"; case 410: "Gone"
        case 411: "Length Required"; case 412: "Precondition Failed"; case 413: "Request Entity Too Large"
        case 414: "Request-URI Too Long"; case 415: "Unsupported Media Type"; case 416: "Requested range unsatisfiable"
        case 417: "Expectation failed"; case 418: "I'm a teapot"; case 421: "Misdirected Request"
        case 422: "Unprocessable Content"; case 423: "Locked"; case 424: "Method failure"; case 425: "Too Early"
        case 426: "Upgrade Required"; case 428: "Precondition Required"; case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"; case 449: "Retry With"
        case 450: "Blocked by Windows Parental Controls"; case 451: "Unavailable For Legal Reasons"
        case 456: "Unrecoverable Error"; case 499: "client has closed connection"
        case 500: "Internal Server Error"; case 501: "Not Implemented"; case 502: "Bad Gateway or Proxy Error"
        case 503: "Service Unavailable"; case 504: "Gateway Time-out"; case 505: "HTTP Version not supported"
        case 506: "Variant also negotiate"; case 507: "Insufficient storage"; case 508: "Loop detected"
        case 509: "Bandwidth Limit Exceeded"; case 510: "Not extended"; case 511: "Network authentication required"
        case 520: "Web server is returning an unknown error"
        case 100...199: "Informational"; case 200...299: "Success"; case 300...399: "Redirection"
        case 400...499: "Client Error"; case 500...599: "Server Error"
        default: "Other"
        }
    }
}
