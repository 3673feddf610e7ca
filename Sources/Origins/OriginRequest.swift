// One HTTP/1.x request as an origin server received it. The origin parses independently of
// the proxy's own parser on purpose: it is the oracle the proxy's output is checked against.

/// A request received by an `AppServer`: request line, headers in order, raw head, body.
public struct OriginRequest: Sendable {
    public struct Header: Sendable, Equatable {
        public let name: String
        public let value: String
    }

    public let method: String
    /// The request target as sent (`/path;param?query`).
    public let target: String
    /// `HTTP/1.1`, `HTTP/1.0`, … as sent.
    public let version: String
    public let headers: [Header]
    /// Request line and header lines exactly as received (line endings included), without the
    /// blank line that ends the head.
    public let rawHead: [UInt8]
    /// The body with any chunked framing removed.
    public var body: [UInt8] = []
    /// The connection's peer address (`127.0.0.1`), set by the server.
    public var peerAddress = ""

    /// Target up to `?` (path parameters such as `;9ai9=ID` included).
    public var path: Substring { target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }

    /// `name=value` pairs of the query string, percent-decoded, in order; a value keeps any
    /// further `=` (so `setck=A=B` is name `setck`, value `A=B`).
    public var query: [(name: String, value: String)] {
        guard let q = target.firstIndex(of: "?") else { return [] }
        return target[target.index(after: q)...].split(separator: "&").map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecoded(parts[0]), parts.count > 1 ? percentDecoded(parts[1]) : "")
        }
    }

    public func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }

    /// All values of header `name` (case-insensitive), in order.
    public func values(of name: String) -> [String] {
        let lower = name.lowercased()
        return headers.filter { $0.name.lowercased() == lower }.map(\.value)
    }

    /// Comma-separated tokens of every `Connection` header, lower-cased.
    var connectionTokens: [String] {
        values(of: "Connection").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingBlanks().lowercased() }
    }

    /// HTTP/1.1 keeps the connection open unless told `close`; HTTP/1.0 closes unless told
    /// `keep-alive` (RFC 9112 §9.3).
    var wantsKeepAlive: Bool {
        let tokens = connectionTokens
        if version == "HTTP/1.0" { return tokens.contains("keep-alive") && !tokens.contains("close") }
        return !tokens.contains("close")
    }

    /// Parses a head (without its blank line). Returns nil when the request line is malformed.
    init?(head: [UInt8]) {
        var lines = head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line -> Substring in
            let text = line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...]
            return Substring(String(decoding: text, as: UTF8.self))
        }
        if lines.last == "" { lines.removeLast() }
        guard let requestLine = lines.first else { return nil }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/") else { return nil }
        method = String(parts[0])
        target = String(parts[1])
        version = String(parts[2])
        var headers: [Header] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers.append(Header(name: String(line[..<colon]),
                                  value: String(line[line.index(after: colon)...].trimmingBlanks())))
        }
        self.headers = headers
        rawHead = head
    }
}

extension Substring {
    func trimmingBlanks() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}

/// `%XX` decoding (no `+` → space: these are path queries, not form posts).
func percentDecoded(_ s: Substring) -> String {
    guard s.contains("%") else { return String(s) }
    var out: [UInt8] = []
    var bytes = Array(s.utf8)[...]
    while let b = bytes.popFirst() {
        if b == UInt8(ascii: "%"), bytes.count >= 2,
           let hi = hexValue(bytes[bytes.startIndex]), let lo = hexValue(bytes[bytes.startIndex + 1]) {
            out.append(hi << 4 | lo)
            bytes.removeFirst(2)
        } else {
            out.append(b)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
    default: return nil
    }
}
