// Compiled http-request / http-response / http-after-response rules: a flat list of
// (condition, action) per rule set, actions with everything resolved at load (header names
// as lower-case bytes, regexes compiled, formats compiled, replies prepared).

/// One compiled action.
enum RuleAction {
    case allow
    case reject
    case setTimeout(StreamTimeoutKind, SampleExpr)
    case deny(ReplyProgram)
    case tarpit(ReplyProgram)
    case returnReply(ReplyProgram)
    case redirect(RedirectProgram)
    case auth(realm: StaticBytes)
    case setHeader(name: StaticBytes, lower: [UInt8], LogFormatProgram)
    case addHeader(name: StaticBytes, LogFormatProgram)
    case delHeader(HeaderNameMatcher)
    case replaceHeader(lower: [UInt8], Regex, LogFormatProgram, wholeValue: Bool)
    case setMethod(LogFormatProgram), setPath(LogFormatProgram), setPathQ(LogFormatProgram)
    case setQuery(LogFormatProgram), setURI(LogFormatProgram)
    case replacePath(Regex, LogFormatProgram), replacePathQ(Regex, LogFormatProgram), replaceURI(Regex, LogFormatProgram)
    case setStatus(Int, reason: StaticBytes)
    case setVar(VarSlot, SampleExpr), setVarFormat(VarSlot, LogFormatProgram), unsetVar(VarSlot)
    case setLogLevel(Int)
    case capture(SampleExpr, slot: Int, request: Bool)
    case useService
    case strictMode(Bool)
    case patternFile(PatternFileAction)
    case trackSC(Int, SampleExpr, table: Int)
    case scIncGPC(gpc: Int, counter: Int)
    case scSetGPT0(counter: Int, SampleExpr)
    case normalizeURI(URINormalizer)
    /// `wait-for-body time T at-least N`: its wait happens before the rules run (BodyWaitRules.swift);
    /// in the rule set it does nothing.
    case waitForBody(ms: Int, atLeast: Int)
    case setAddress(AddressOverride.Target, SampleExpr)
    /// http-request cache-use / http-response cache-store: the cache's index (CacheRuleActions).
    case cacheUse(Int), cacheStore(Int)
}

struct CompiledRule {
    let condition: CompiledCondition?
    let action: RuleAction
    /// Where it was written (last_rule_file/line when it ends its rule set).
    var origin = RuleOrigin.none
}

/// How `del-header` picks names.
struct HeaderNameMatcher {
    let name: [UInt8]            // lower-case for exact/beg/end/sub
    let method: HeaderNameMatch
    let regex: Regex?

    /// Names compare without case; a regex sees the name in lower case, as HAProxy's HTX
    /// stores it.
    func matches(_ n: UnsafeRawBufferPointer, _ scratch: RegexScratch, _ arena: SampleArena) -> Bool {
        switch method {
        case .exact: return name.withUnsafeBytes { Bytes.equal(n, $0, ignoreCase: true) }
        case .beginning: return n.count >= name.count && name.withUnsafeBytes { Bytes.equalPrefix(n, 0, $0, ignoreCase: true) }
        case .ending: return n.count >= name.count && name.withUnsafeBytes { Bytes.equalPrefix(n, n.count - name.count, $0, ignoreCase: true) }
        case .substring: return name.withUnsafeBytes { PatternSet.contains($0, in: n, ignoreCase: true) }
        case .regex:
            guard let p = arena.allocate(n.count) else { return false }
            for i in 0..<n.count { p.storeBytes(of: Bytes.lower(n[i]), toByteOffset: i, as: UInt8.self) }
            return regex!.matches(UnsafeRawBufferPointer(start: p, count: n.count), scratch)
        }
    }
}

/// add-acl/del-acl/set-map/del-map: changes to a pattern file from a rule.
struct PatternFileAction {
    enum Kind { case addACL, delACL, setMap, delMap }
    let kind: Kind
    let file: PatternReference
    let key: LogFormatProgram
    let value: LogFormatProgram?
}

/// A reply the proxy makes: status, headers, body (or an error page).
final class ReplyProgram {
    enum Body {
        case none
        case raw(StaticBytes)
        case format(LogFormatProgram)
        /// The whole message is an error page: the proxy's (resolved when sent), or a fixed one.
        case errorPage(ErrorPageChoice)
    }
    let status: Int
    let contentType: StaticBytes?
    let headers: [(name: StaticBytes, value: LogFormatProgram)]
    let body: Body
    init(status: Int, contentType: StaticBytes?, headers: [(name: StaticBytes, value: LogFormatProgram)], body: Body) {
        self.status = status; self.contentType = contentType; self.headers = headers; self.body = body
    }
}

/// Which error page a reply uses.
enum ErrorPageChoice {
    /// The backend's, else the frontend's errorfile for the status, else HAProxy's page.
    case proxyDefault
    case fixed(ErrorPageMessage)
    /// An http-errors section's page for the status, else the proxy default.
    case section([Int: ErrorPageMessage])
}

/// An ErrorMessage prepared for sending: every piece in memory that lives for the process.
final class ErrorPageMessage: @unchecked Sendable {
    // @unchecked: immutable after init.
    let versionMinor: Int
    let status: Int
    let reason: StaticBytes
    let headers: [(name: StaticBytes, value: StaticBytes)]
    let body: StaticBytes
    let isEmpty: Bool
    /// For `errorloc`: a 302/303 to this location (headers/body unused).
    init(_ m: ErrorMessage, pool: ConstantPool) {
        versionMinor = m.versionMinor; status = m.status; reason = StaticBytes(m.reason, in: pool)
        headers = m.headers.map { (StaticBytes($0.name, in: pool), StaticBytes($0.value, in: pool)) }
        body = StaticBytes(m.body, in: pool)
        isEmpty = m.isEmpty
    }
}

final class RedirectProgram {
    let kind: RedirectDef.Kind
    let target: LogFormatProgram
    let code: Int
    let dropQuery: Bool
    let appendSlash: Bool
    let ignoreEmpty: Bool
    let legacy: Bool
    /// The Set-Cookie value (set-cookie / clear-cookie), prebuilt.
    let cookie: StaticBytes?
    init(_ d: RedirectDef, target: LogFormatProgram, pool: ConstantPool) {
        kind = d.kind; self.target = target; code = d.code; dropQuery = d.dropQuery; appendSlash = d.appendSlash
        ignoreEmpty = d.ignoreEmpty
        legacy = d.legacy
        if let c = d.setCookie { cookie = StaticBytes(Array((c + "; path=/;").utf8), in: pool) }
        else if let c = d.clearCookie { cookie = StaticBytes(Array((c + "; path=/; Max-Age=0;").utf8), in: pool) }
        else { cookie = nil }
    }
}

/// Everything rules need for one proxy (frontend, backend, or listen section).
final class ProxyRuleProgram {
    let name: String
    let acls: [CompiledACL]
    let httpRequest: [CompiledRule]
    let httpResponse: [CompiledRule]
    let afterResponse: [CompiledRule]
    let redirects: [CompiledRule]
    let statsRules: [CompiledRule]
    /// The proxy's error pages by status (errorfile, errorloc, errorfiles), and the replies
    /// `http-error` defines (they win over a page for the same status).
    let errorPages: [Int: ErrorPageMessage]
    var errorReplies: [Int: ReplyProgram] = [:]
    let errorLocations: [Int: (code: Int, location: StaticBytes)]
    let realm: StaticBytes
    let tarpitTimeoutMs: Int
    let httpClose: Bool
    /// `option http-restrict-req-hdr-names`, applied after the http-request rules.
    var headerNamePolicy = HeaderNamePolicy.preserve
    /// What `reject` answers: the proxy's 403, as `http-request deny` would.
    let headerNameDeny = ReplyProgram(status: 403, contentType: nil, headers: [], body: .errorPage(.proxyDefault))

    init(name: String, acls: [CompiledACL], httpRequest: [CompiledRule], httpResponse: [CompiledRule],
         afterResponse: [CompiledRule], redirects: [CompiledRule], statsRules: [CompiledRule],
         errorPages: [Int: ErrorPageMessage], errorLocations: [Int: (code: Int, location: StaticBytes)],
         tarpitTimeoutMs: Int, httpClose: Bool, pool: ConstantPool) {
        self.name = name; self.acls = acls; self.httpRequest = httpRequest; self.httpResponse = httpResponse
        self.afterResponse = afterResponse; self.redirects = redirects; self.statsRules = statsRules
        self.errorPages = errorPages; self.errorLocations = errorLocations
        realm = StaticBytes(Array(name.utf8), in: pool)
        self.tarpitTimeoutMs = tarpitTimeoutMs
        self.httpClose = httpClose
    }

    var hasRequestRules: Bool { !httpRequest.isEmpty || !redirects.isEmpty }
    var hasResponseRules: Bool { !httpResponse.isEmpty }
}
