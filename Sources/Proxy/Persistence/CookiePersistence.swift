// `cookie NAME [insert|rewrite|prefix] [indirect] [nocache] [postonly] [preserve] ...`:
// the configuration in byte form, plus the per-worker scratch the request side needs.
// The request side is in CookieRequestSide.swift, the response side in CookieResponseSide.swift.
//
// One instance per backend per worker (it owns a line buffer), so not Sendable.
//
// `maxidle`/`maxlife` (insert mode): the inserted value carries HAProxy's dates
// (CookieDate.swift); the request side expires cookies idle or alive too long (log E / O),
// the response side refreshes the last-seen date (log U). Duplicate cookies of our name:
// the first one that names a usable server wins (2.6); later ones are not looked at, do not
// change the log character and their dates are not read (HAProxy reads them).

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
    /// `maxidle` / `maxlife` in seconds as HAProxy keeps them (0: off); insert mode only.
    let maxIdleSeconds: Int64
    let maxLifeSeconds: Int64
    /// `option persist`: a cookie naming a DOWN (or disabled) server still goes to it.
    let persist: Bool

    /// Working copy of one Cookie line, edited in place like HAProxy edits its buffer.
    let line: UnsafeMutablePointer<UInt8>
    static let lineCapacity = maxHeadBytes

    public init(config: CookieConfig, servers: [ServerConfig], persist: Bool = false) {
        self.config = config
        self.persist = persist
        name = Array(config.name.utf8)
        serverCookies = servers.map { $0.cookie.map { Array($0.utf8) } }
        insertMode = config.mode == .insert
        rewriteMode = config.mode == .rewrite
        prefixMode = config.mode == .prefix
        stripsRequestCookie = config.mode == .insert && config.indirect
        editsRequests = stripsRequestCookie || prefixMode
        maxIdleSeconds = insertMode ? Int64(config.maxidle ?? 0) / 1000 : 0
        maxLifeSeconds = insertMode ? Int64(config.maxlife ?? 0) / 1000 : 0
        line = .allocate(capacity: Self.lineCapacity)
    }
    deinit { line.deallocate() }
}
