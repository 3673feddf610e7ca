// `cookie NAME [insert|rewrite|prefix] [indirect] [nocache] [postonly] [preserve] ...`:
// the configuration in byte form, plus the per-worker scratch the request side needs.
// The request side is in CookieRequestSide.swift, the response side in CookieResponseSide.swift.
//
// One instance per backend per worker (it owns a line buffer), so not Sendable.
//
// Simplifications (documented): maxidle/maxlife dates are not written; on requests the
// value is cut at the first `|` as 1.4 does, so dated cookies of HAProxy still match, but
// no expiry is enforced. Duplicate cookies of our name: the first one that names a usable
// server wins (2.6); later ones are not looked at and do not change the log character.

public final class CookiePersistence {
    public let config: CookieConfig
    let name: [UInt8]
    /// Each server's cookie value (nil: the server has none).
    let serverCookies: [[UInt8]?]
    let insertMode: Bool
    let rewriteMode: Bool
    let prefixMode: Bool
    /// insert + indirect: our cookie is removed from requests.
    let stripsRequestCookie: Bool
    /// Rewrites Cookie lines at all (insert+indirect or prefix); passive mode never edits.
    let editsRequests: Bool

    /// Working copy of one Cookie line, edited in place like HAProxy edits its buffer.
    let line: UnsafeMutablePointer<UInt8>
    static let lineCapacity = maxHeadBytes

    public init(config: CookieConfig, servers: [ServerConfig]) {
        self.config = config
        name = Array(config.name.utf8)
        serverCookies = servers.map { $0.cookie.map { Array($0.utf8) } }
        insertMode = config.mode == .insert
        rewriteMode = config.mode == .rewrite
        prefixMode = config.mode == .prefix
        stripsRequestCookie = config.mode == .insert && config.indirect
        editsRequests = stripsRequestCookie || prefixMode
        line = .allocate(capacity: Self.lineCapacity)
    }
    deinit { line.deallocate() }
}
