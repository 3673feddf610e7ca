// A stand-in for the reference config's PHP application (session.name = 9ai9), for the demo:
// it hands out a session cookie, counts visits per session and says which server answered.
import Synchronization

/// Session id: from the `9ai9` cookie, else from a `;9ai9=ID` path parameter (appsession's
/// URL form), else a new random 26-character id sent as `Set-Cookie: 9ai9=ID; path=/`. Like
/// PHP without strict mode, an unknown id is adopted, not replaced.
final class PHPSessionResponder: OriginResponder {
    static let sessionName = "9ai9"
    /// PHP's session id alphabet with session.sid_bits_per_character = 5.
    static let idAlphabet = Array("0123456789abcdefghijklmnopqrstuv".utf8)

    private let sessions = Mutex(PHPSessionTable())

    func reply(to request: OriginRequest, serverName: String) -> OriginReply {
        var response = OriginResponse()
        let existing = Self.cookieSessionID(request) ?? Self.pathSessionID(request)
        let id = existing ?? Self.newSessionID()
        let count = sessions.withLock { $0.visit(id) }
        response.headers.append(("X-Server", serverName))
        response.headers.append(("X-Session-Visits", String(count)))
        if existing == nil {
            response.headers.append(("Set-Cookie", "\(Self.sessionName)=\(id); path=/"))
        }
        // What PHP's default session.cache_limiter (nocache) sends with every session page.
        response.headers.append(("Expires", "Thu, 19 Nov 1981 08:52:00 GMT"))
        response.headers.append(("Cache-Control", "no-store, no-cache, must-revalidate"))
        response.headers.append(("Pragma", "no-cache"))
        response.headers.append(("Content-Type", "text/plain; charset=UTF-8"))
        // The client as PHP's REMOTE_ADDR / X-Forwarded-For would show it (`option forwardfor`).
        let client = request.values(of: "X-Forwarded-For").last.map { "\($0) (X-Forwarded-For)" } ?? request.peerAddress
        let text = """
            served by \(serverName)
            session \(Self.sessionName)=\(id)\(existing == nil ? " (new)" : "")
            visits \(count)
            client \(client)

            """
        response.body = .bytes(Array(text.utf8))
        return OriginReply(response: response)
    }

    static func cookieSessionID(_ request: OriginRequest) -> String? {
        for header in request.values(of: "Cookie") {
            for pair in header.split(separator: ";") {
                let kv = pair.trimmingBlanks().split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if kv.count == 2, kv[0] == sessionName, !kv[1].isEmpty { return String(kv[1]) }
            }
        }
        return nil
    }

    static func pathSessionID(_ request: OriginRequest) -> String? {
        for param in request.path.split(separator: ";").dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if kv.count == 2, kv[0] == sessionName, !kv[1].isEmpty { return String(kv[1]) }
        }
        return nil
    }

    static func newSessionID() -> String {
        var rng = SystemRandomNumberGenerator()
        return String(decoding: (0..<26).map { _ in idAlphabet[Int(rng.next() % 32)] }, as: UTF8.self)
    }
}
