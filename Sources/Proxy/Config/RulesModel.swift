// The configuration model of HAProxy's rule language: sample expressions, ACL criteria,
// log-format strings, http-request/-response/-after-response rules, replies, captures,
// errorfiles, userlists and http-errors sections. The parser fills it (files such as map
// files and errorfiles are read then, so `-c` reports a missing file with its file:line);
// Sources/Proxy/Rules compiles it into the programs the workers run.

/// A sample expression as written: `req.hdr(host),lower,map_str(/etc/hosts.map)`.
public struct SampleExprDef: Equatable, Sendable {
    public struct Converter: Equatable, Sendable {
        public var kind: ConverterKind
        public var name: String
        public var args: [String]
        /// For map converters: lookup method and output type.
        public var map: MapSpec? = nil
    }
    public var fetch: FetchKind
    public var fetchName: String
    public var args: [String]
    public var converters: [Converter] = []
    public var text: String
    /// Output type of the whole expression (after the converters).
    public var output: SampleType
    public init(fetch: FetchKind, fetchName: String, args: [String], converters: [Converter] = [], text: String, output: SampleType) {
        self.fetch = fetch; self.fetchName = fetchName; self.args = args; self.converters = converters
        self.text = text; self.output = output
    }
}

/// What an ACL line says beyond the legacy fetch/match summary: the whole expression and flags.
public struct AclCriterion: Equatable, Sendable {
    public var expression: SampleExprDef
    /// `-f FILE`: patterns read from these files (contents in `RuleFiles`).
    public var patternFiles: [String] = []
    /// `-M`: the files are maps (the key is the pattern).
    public var patternFilesAreMaps = false
    /// `-n`: no DNS resolution of patterns (ringproxy never resolves names; kept for `show acl`).
    public var noDNS = false
    /// `-u ID`: the unique id of the pattern list.
    public var uniqueID: Int? = nil
    /// ACL keyword used in a context where it never matches (HAProxy warns; the ACL is false).
    public var neverMatches = false
    /// The pattern reference of the inline patterns (index in GlobalRules.patternRefs).
    public var reference: Int? = nil
    public init(expression: SampleExprDef) { self.expression = expression }
}

/// Options of a log-format field (`%{+Q,-E}r`): HAProxy 2.6's M, Q, X and E.
public struct LogFieldOptions: OptionSet, Equatable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let mandatory = LogFieldOptions(rawValue: 1)
    public static let quote = LogFieldOptions(rawValue: 2)
    public static let hex = LogFieldOptions(rawValue: 4)
    public static let escape = LogFieldOptions(rawValue: 8)
}

/// The `%` variables of configuration.txt §8.2.6.
public enum LogField: String, Sendable, CaseIterable {
    case bytesRead = "B", capturedRequestCookie = "CC", capturedResponseCookie = "CS", hostname = "H"
    case uniqueID = "ID", status = "ST", dateGMT = "T", timeActive = "Ta", timeConnect = "Tc", timeHandshake = "Th"
    case timeIdle = "Ti", dateLocal = "Tl", timeQ = "Tq", timeResponse = "Tr", timeRequest = "TR", timeData = "Td"
    case timestamp = "Ts", timeTotal = "Tt", timeUser = "Tu", timeQueue = "Tw", bytesUploaded = "U"
    case actconn = "ac", backend = "b", beconn = "bc", backendIP = "bi", backendPort = "bp", backendQueue = "bq"
    case clientIP = "ci", clientPort = "cp", frontend = "f", feconn = "fc", frontendIP = "fi", frontendPort = "fp"
    case frontendTransport = "ft", logCounter = "lc", requestHeaders = "hr", requestHeadersList = "hrl"
    case responseHeaders = "hs", responseHeadersList = "hsl", method = "HM", httpPath = "HP", httpPathOnly = "HPO"
    case httpQuery = "HQ", httpURI = "HU", httpVersion = "HV", acceptMillis = "ms", pid
    case request = "r", retries = "rc", requestCounter = "rt", server = "s", srvconn = "sc", serverIP = "si"
    case serverPort = "sp", serverQueue = "sq", sslCipher = "sslc", sslVersion = "sslv", date = "t"
    case requestDate = "tr", requestDateGMT = "trg", requestDateLocal = "trl", termination = "ts"
    case terminationCookies = "tsc"

    /// Only meaningful in `mode http` (HAProxy refuses them elsewhere).
    public var httpOnly: Bool {
        switch self {
        case .capturedRequestCookie, .capturedResponseCookie, .timeActive, .timeIdle, .timeQ, .timeResponse,
             .timeRequest, .method, .httpPath, .httpPathOnly, .httpQuery, .httpURI, .httpVersion, .request,
             .requestDate, .requestDateGMT, .requestDateLocal: return true
        default: return false
        }
    }
}

/// One piece of a log-format string.
public enum LogFormatNode: Equatable, Sendable {
    case literal(String)
    /// `%ci`, `%{+Q}r`, ... (the alias name without `%`).
    case field(LogField, LogFieldOptions)
    /// `%[expr]` with options.
    case sample(SampleExprDef, LogFieldOptions)
}

/// A parsed log-format string (also set-header values, return bodies, unique-id-format...).
public struct LogFormatDef: Equatable, Sendable {
    public var text: String
    public var nodes: [LogFormatNode]
    public init(text: String, nodes: [LogFormatNode]) { self.text = text; self.nodes = nodes }
    /// A format with no field and no sample is a constant string.
    public var constant: String? {
        var s = ""
        for n in nodes { guard case .literal(let t) = n else { return nil }; s += t }
        return s
    }
}

/// A variable: `txn.name`, `req.x`...
public struct VariableRef: Equatable, Hashable, Sendable {
    public enum Scope: String, Sendable { case proc, sess, txn, req, res, check }
    public var scope: Scope
    public var name: String
    /// `set-var(SCOPE.NAME,ifset,...)`: when the value is stored (VariableConditions.swift).
    public var conditions: VarConditions = []
    public var text: String { scope.rawValue + "." + name }
}

/// A response the proxy makes itself (deny, return, tarpit, http-error, auth).
public struct ReplyDef: Equatable, Sendable {
    public enum Body: Equatable, Sendable {
        case none
        case string(String)
        case format(LogFormatDef)            // lf-string, lf-file
        case file([UInt8])                   // file: the bytes
        /// errorfile FILE / errorfiles NAME / default-errorfiles: the whole message comes from
        /// the proxy's error pages (or the named file/section) for `status`.
        case errorFile(ErrorPageSource)
    }
    public var status: Int
    public var contentType: String? = nil
    public var body: Body = .none
    public var headers: [(name: String, value: LogFormatDef)] = []
    public init(status: Int) { self.status = status }
    public static func == (a: ReplyDef, b: ReplyDef) -> Bool {
        a.status == b.status && a.contentType == b.contentType && a.body == b.body
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }
}

/// Where an error page comes from.
public enum ErrorPageSource: Equatable, Sendable {
    /// The proxy's own (errorfile/errorfiles settings, else the built-in page).
    case proxyDefault
    /// A file read at start: its raw bytes (an HTTP response).
    case file(path: String, bytes: [UInt8])
    /// An `http-errors` section by name.
    case section(String)
    /// `errorloc`/`errorloc302`/`errorloc303`: a redirect to this location.
    case location(String, code: Int)
}

/// `redirect location|prefix|scheme ...`
public struct RedirectDef: Equatable, Sendable {
    public enum Kind: String, Sendable { case location, prefix, scheme }
    public var kind: Kind
    public var target: LogFormatDef
    public var code = 302
    public var dropQuery = false
    public var appendSlash = false
    public var setCookie: String? = nil      // "NAME=VALUE"
    public var clearCookie: String? = nil    // "NAME"
    public var ignoreEmpty = false
    /// The 1.x `redirect` keyword: the target is a plain string (`prefix /` adds nothing).
    public var legacy = false
    public init(kind: Kind, target: LogFormatDef) { self.kind = kind; self.target = target }
}

/// How `del-header` and friends compare header names.
public enum HeaderNameMatch: String, Equatable, Sendable { case exact = "str", beginning = "beg", ending = "end", substring = "sub", regex = "reg" }

/// One `http-request`/`http-response`/`http-after-response` action.
public enum HTTPActionDef: Equatable, Sendable {
    case allow
    /// http-request reject: the connection is closed, no response.
    case reject
    /// http-request set-timeout server|tunnel VALUE (a time constant is an int() expression).
    case setTimeout(StreamTimeoutKind, SampleExprDef)
    case deny(ReplyDef)
    case tarpit(ReplyDef)
    case returnReply(ReplyDef)
    case redirect(RedirectDef)
    case auth(realm: String?)
    case setHeader(name: String, value: LogFormatDef)
    case addHeader(name: String, value: LogFormatDef)
    case delHeader(name: String, match: HeaderNameMatch)
    case replaceHeader(name: String, regex: String, replacement: LogFormatDef)
    case replaceValue(name: String, regex: String, replacement: LogFormatDef)
    case setMethod(LogFormatDef)
    case setPath(LogFormatDef)
    case setPathQ(LogFormatDef)
    case setQuery(LogFormatDef)
    case setURI(LogFormatDef)
    case replacePath(regex: String, replacement: LogFormatDef)
    case replacePathQ(regex: String, replacement: LogFormatDef)
    case replaceURI(regex: String, replacement: LogFormatDef)
    case setStatus(Int, reason: String?)
    case setVar(VariableRef, SampleExprDef)
    case setVarFormat(VariableRef, LogFormatDef)
    case unsetVar(VariableRef)
    case setLogLevel(Int)                    // -1: silent
    case capture(SampleExprDef, length: Int?, slot: Int?)
    case useService(String)
    case strictMode(Bool)
    case earlyHint(name: String, value: LogFormatDef)
    case addACL(file: String, key: LogFormatDef)
    case delACL(file: String, key: LogFormatDef)
    case setMap(file: String, key: LogFormatDef, value: LogFormatDef)
    case delMap(file: String, key: LogFormatDef)
    /// Stick counters (StickRuleSyntax): track-scN KEY [table T], sc-inc-gpc0/1(N), sc-set-gpt0(N) VALUE.
    case trackSC(Int, SampleExprDef, table: String?)
    case scIncGPC(gpc: Int, counter: Int)
    case scSetGPT0(counter: Int, SampleExprDef)
    /// `normalize-uri NORMALIZER` (URINormalizerSyntax.swift).
    case normalizeURI(URINormalizer)
    /// `set-src|set-src-port|set-dst|set-dst-port EXPR` (AddressOverride.swift).
    case setAddress(AddressOverride.Target, SampleExprDef)
    /// `wait-for-body time T [at-least N]` (WaitForBodySyntax.swift).
    case waitForBody(timeMs: Int, atLeast: Int)
    /// http-request cache-use NAME / http-response cache-store NAME (Cache/).
    case cacheUse(String)
    case cacheStore(String)
}

public enum HTTPRuleSet: String, Sendable { case request = "http-request", response = "http-response", afterResponse = "http-after-response" }

public struct HTTPRuleDef: Equatable, Sendable {
    public var action: HTTPActionDef
    public var condition: Condition?
    public var location: SourceLocation
    /// Written as the 1.x `block` keyword.
    public var isBlock = false
    public init(action: HTTPActionDef, condition: Condition?, location: SourceLocation, isBlock: Bool = false) {
        self.action = action; self.condition = condition; self.location = location; self.isBlock = isBlock
    }
}

/// `capture request header NAME len N`, `capture response header`, `capture cookie`,
/// `declare capture request|response len N`.
public struct CaptureSlots: Equatable, Sendable {
    public struct Header: Equatable, Sendable { public var name: String; public var length: Int }
    /// Request capture slots in order: a header capture or a declared slot (name nil).
    public var request: [Header] = []
    public var response: [Header] = []
    public var cookie: (name: String, length: Int)? = nil
    public init() {}
    public static func == (a: CaptureSlots, b: CaptureSlots) -> Bool {
        a.request == b.request && a.response == b.response && a.cookie?.name == b.cookie?.name && a.cookie?.length == b.cookie?.length
    }
}

/// Everything of the rule language set in one proxy section (and inherited from a named defaults).
public struct ProxyRules: Equatable, Sendable {
    public var httpRequest: [HTTPRuleDef] = []
    public var httpResponse: [HTTPRuleDef] = []
    public var httpAfterResponse: [HTTPRuleDef] = []
    /// Legacy `redirect` rules (evaluated after http-request rules).
    public var redirects: [HTTPRuleDef] = []
    /// `stats http-request` rules.
    public var statsRules: [HTTPRuleDef] = []
    /// errorfile/errorloc by status, and the `errorfiles` references, in the order written.
    public var errorPages: [(status: Int, source: ErrorPageSource, location: SourceLocation)] = []
    /// `http-error status N ...` replies.
    public var errorReplies: [(reply: ReplyDef, location: SourceLocation)] = []
    public var captures = CaptureSlots()
    /// The texts as written (parsed when the section ends, once `mode` is known).
    public var logFormatText: (String, SourceLocation)? = nil
    public var errorLogFormatText: (String, SourceLocation)? = nil
    public var uniqueIDFormatText: (String, SourceLocation)? = nil
    public var logFormat: LogFormatDef? = nil
    public var errorLogFormat: LogFormatDef? = nil
    public var uniqueIDFormat: LogFormatDef? = nil
    public var uniqueIDHeader: String? = nil
    public var tarpitTimeout: Int? = nil
    public var bufferRequest = false
    /// `option http-restrict-req-hdr-names`.
    public var headerNamePolicy = HeaderNamePolicy.preserve
    public init() {}
    public var isEmpty: Bool { self == ProxyRules() }
    public static func == (a: ProxyRules, b: ProxyRules) -> Bool {
        a.httpRequest == b.httpRequest && a.httpResponse == b.httpResponse && a.httpAfterResponse == b.httpAfterResponse
            && a.redirects == b.redirects && a.statsRules == b.statsRules && a.captures == b.captures
            && a.errorPages.map(\.status) == b.errorPages.map(\.status) && a.errorPages.map(\.source) == b.errorPages.map(\.source)
            && a.logFormat == b.logFormat && a.errorLogFormat == b.errorLogFormat && a.uniqueIDFormat == b.uniqueIDFormat
            && a.uniqueIDHeader == b.uniqueIDHeader && a.tarpitTimeout == b.tarpitTimeout && a.bufferRequest == b.bufferRequest
            && a.headerNamePolicy == b.headerNamePolicy
            && a.logFormatText?.0 == b.logFormatText?.0 && a.errorLogFormatText?.0 == b.errorLogFormatText?.0
            && a.uniqueIDFormatText?.0 == b.uniqueIDFormatText?.0
    }
}

/// A `userlist` section.
public struct UserlistDef: Equatable, Sendable {
    public struct User: Equatable, Sendable {
        public var name: String
        public var password: String
        /// `password` (crypt(3) hash) rather than `insecure-password`.
        public var hashed: Bool
        public var groups: [String]
    }
    public var name: String
    public var groups: [String] = []
    public var users: [User] = []
    public var location: SourceLocation
    /// `group G users U` naming a user declared later: resolved at the end of the file.
    public var pendingMembers: [(user: String, group: String)] = []
    public static func == (a: UserlistDef, b: UserlistDef) -> Bool {
        a.name == b.name && a.groups == b.groups && a.users == b.users && a.location == b.location
    }
}

/// An `http-errors` section: error pages by status.
public struct HTTPErrorsDef: Equatable, Sendable {
    public var name: String
    public var pages: [Int: [UInt8]] = [:]
    public var location: SourceLocation
}

/// A file of patterns or map entries, as read at start (the runtime API may change it later).
public struct PatternFileDef: Equatable, Sendable {
    public struct Line: Equatable, Sendable { public var key: String; public var value: String?; public var line: Int }
    public var path: String
    public var lines: [Line]
}

/// A pattern reference as HAProxy lists them (`show acl`, `show map`): a file, shared by
/// every ACL and map that names it, or one ACL's inline patterns. Kept in creation order.
public struct PatternRefDef: Equatable, Sendable {
    /// The file's path; nil for inline patterns.
    public var path: String?
    /// HAProxy's description ("acl 'path_beg' file 'x.cfg' line 12").
    public var display: String
    public var usedByACL: Bool
    public var usedByMap: Bool
    /// A two-column file (keys and values).
    public var hasValues: Bool
    /// `-u ID`.
    public var uniqueID: Int?
}

/// The rule language's global parts: userlists, http-errors sections, files read at start,
/// and references to check once every section has been read.
public struct GlobalRules: Equatable, Sendable {
    public var userlists: [UserlistDef] = []
    public var httpErrors: [HTTPErrorsDef] = []
    public var files: [String: PatternFileDef] = [:]
    /// Every pattern reference, in the order HAProxy creates them.
    public var patternRefs: [PatternRefDef] = []
    /// (kind, name, where): userlists, tables and backends named by expressions.
    public var references: [Reference] = []
    public struct Reference: Equatable, Sendable {
        public enum Kind: String, Sendable { case userlist, table, backend, server, httpErrors = "http-errors" }
        public var kind: Kind
        public var name: String
        public var location: SourceLocation
        public var keyword: String
    }
    public init() {}
}
