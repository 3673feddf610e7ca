// Turns the configuration's rule language (RulesModel) into the programs workers run:
// expressions with resolved arguments, ACLs grouped by name, conditions as indexes, actions
// with their formats and replies, error pages per proxy, pattern files shared by path.
// Everything that can fail was checked by the parser; what remains (a file that vanished,
// a map entry the parser could not see) is an error naming the configuration line.

import Synchronization

public struct RuleCompileError: Error, CustomStringConvertible {
    public let description: String
}

/// Every compiled rule program of a configuration, shared by all workers.
public final class CompiledRules: @unchecked Sendable {
    // @unchecked: immutable after compile; runtime-mutable parts (pattern files, process
    // variables) synchronise themselves.
    let configuration: Configuration
    let tables: RuleTables
    /// Per configuration proxy: its ACLs (every proxy, rules or not: use_backend uses them).
    let acls: [ACLTable]
    /// Per configuration proxy: the compiled names of dynamic `use_backend %[...]` rules, in
    /// the order of its use_backend rules (nil for a static name).
    let dynamicBackends: [[LogFormatProgram?]]
    /// Per configuration proxy (index in Configuration.proxies); nil when it has no rules.
    let proxies: [ProxyRuleProgram?]
    public let files: PatternReferences
    /// Per configuration proxy: the capture slots a frontend declares.
    let captures: [CaptureLayout]
    /// Per configuration proxy: log-format and unique-id.
    let logFormats: [LogFormatProgram?]
    let uniqueIDFormats: [LogFormatProgram?]
    let uniqueIDHeaders: [StaticBytes?]
    /// Request header captures (`capture request header`) by frontend: names (lower-case) → slot.
    let headerCaptures: [[(name: [UInt8], slot: Int)]]
    let responseHeaderCaptures: [[(name: [UInt8], slot: Int)]]
    /// Anything at all: when false, the stream layer skips the rule machinery entirely.
    public let isActive: Bool
    /// Per configuration proxy: its tcp-request / tcp-response rules (nil: none).
    let tcp: [TCPRuleProgram?]
    /// HAProxy's request counter (`%rt`, the stream's unique id): one per request, process-wide.
    let requestCounter = Atomic<Int>(0)
    /// The configuration needs per-connection rule state (variables, captures...).
    let needsSlotState: Bool
    /// Some fetch or log field reads the local address (the stream layer asks the socket then).
    let usesLocalAddress: Bool
    /// Some fetch reads the request body (the stream layer hands the buffered bytes over then).
    let usesRequestBody: Bool
    /// The `cache` sections' stores, shared by every worker (Cache/HTTPCache.swift).
    public let caches: [HTTPCache]

    init(configuration: Configuration, tables: RuleTables, acls: [ACLTable], dynamicBackends: [[LogFormatProgram?]], proxies: [ProxyRuleProgram?], files: PatternReferences, captures: [CaptureLayout],
         logFormats: [LogFormatProgram?], uniqueIDFormats: [LogFormatProgram?], uniqueIDHeaders: [StaticBytes?],
         headerCaptures: [[(name: [UInt8], slot: Int)]], responseHeaderCaptures: [[(name: [UInt8], slot: Int)]],
         usesLocalAddress: Bool = false, usesRequestBody: Bool = false, tcp: [TCPRuleProgram?] = []) {
        self.usesLocalAddress = usesLocalAddress; self.usesRequestBody = usesRequestBody
        self.tcp = tcp
        self.configuration = configuration; self.acls = acls; self.dynamicBackends = dynamicBackends
        self.tables = tables; self.proxies = proxies; self.files = files; self.captures = captures
        self.logFormats = logFormats; self.uniqueIDFormats = uniqueIDFormats; self.uniqueIDHeaders = uniqueIDHeaders
        self.headerCaptures = headerCaptures; self.responseHeaderCaptures = responseHeaderCaptures
        caches = configuration.caches.map { HTTPCache(config: $0) }
        isActive = proxies.contains { $0 != nil } || dynamicBackends.contains { $0.contains { $0 != nil } } || logFormats.contains { $0 != nil } || captures.contains { !$0.request.isEmpty || !$0.response.isEmpty }
            || uniqueIDFormats.contains { $0 != nil } || tcp.contains { $0 != nil }
        needsSlotState = isActive
    }

    public func makeContext(worker: Int) -> RuleContext {
        let c = RuleContext(tables: tables, worker: worker)
        // by frontend (the context's `frontend` index: frontends in configuration order), not by proxy
        let frontends = configuration.proxies.indices.filter { configuration.proxies[$0].isFrontend }
        c.uniqueIDFormats = frontends.map { uniqueIDFormats[$0] }
        c.uniqueIDHeaders = frontends.map { uniqueIDHeaders[$0] }
        c.caches = caches
        return c
    }
}

/// A proxy's compiled ACLs and how conditions name them.
final class ACLTable {
    let acls: [CompiledACL]
    let index: [String: Int]
    init(acls: [CompiledACL]) {
        self.acls = acls
        var d: [String: Int] = [:]
        for (i, a) in acls.enumerated() { d[a.name] = i }
        index = d
    }
    func condition(_ c: Condition, _ loc: SourceLocation) throws -> CompiledCondition {
        CompiledCondition(unless: c.unless, alternatives: try c.alternatives.map { and in
            try and.map { t in
                guard let i = index[t.acl] else { throw RuleCompileError(description: "\(loc): no such ACL '\(t.acl)'") }
                return ConditionTerm(acl: i, negated: t.negated)
            }
        })
    }
}

public enum RuleCompiler {
    public static func compile(_ config: Configuration, topology: Topology, states: ServerStateTable?, workers: Int,
                               stickTables: StickTableSet? = nil) throws -> CompiledRules {
        var c = Compiler(config: config, topology: topology, stick: stickTables ?? StickTableSet(configuration: config))
        return try c.run(states: states, workers: workers)
    }

    /// Compiles once and reports the first problem (for `-c`).
    public static func check(_ config: Configuration) -> String? {
        do { _ = try compile(config, topology: Topology(config), states: nil, workers: 1); return nil }
        catch { return "\(error)" }
    }
}

struct Compiler {
    let config: Configuration
    let topology: Topology
    let variables = VariableTable()
    /// The constants the compiled rules point at; the compiled rules keep it alive.
    let pool = ConstantPool()
    var files: PatternReferences
    var userlistIndex: [String: Int] = [:]
    var userlists: [Userlist] = []
    var httpErrors: [String: [Int: ErrorPageMessage]] = [:]
    let stick: StickTableSet
    /// Some rule tracks or reads stick counters.
    var usesStick = false
    /// Some fetch or log field reads the accepted connection's local address (dst, %fi...).
    var usesLocalAddress = false
    /// Some fetch reads the request body (req.body...).
    var usesRequestBody = false
    /// Rule file names, one constant each (RuleOrigin).
    let origins = RuleOriginTable()

    init(config: Configuration, topology: Topology, stick: StickTableSet) {
        self.config = config
        self.stick = stick
        self.topology = topology
        files = PatternReferences(config.rules.patternRefs, files: config.rules.files)
        for (i, u) in config.rules.userlists.enumerated() { userlistIndex[u.name] = i; userlists.append(Userlist(u)) }
        for h in config.rules.httpErrors {
            var pages: [Int: ErrorPageMessage] = [:]
            for (status, bytes) in h.pages { if let m = ErrorMessage.parse(bytes) { pages[status] = ErrorPageMessage(m, pool: pool) } }
            httpErrors[h.name] = pages
        }
    }

    mutating func run(states: ServerStateTable?, workers: Int) throws -> CompiledRules {
        let initialVariables = try processVariableStart()
        var programs: [ProxyRuleProgram?] = []
        var tables_: [ACLTable] = []
        var dynamic: [[LogFormatProgram?]] = []
        var captures: [CaptureLayout] = []
        var logFormats: [LogFormatProgram?] = []
        var uidFormats: [LogFormatProgram?] = []
        var uidHeaders: [StaticBytes?] = []
        var hdrCaptures: [[(name: [UInt8], slot: Int)]] = []
        var resCaptures: [[(name: [UInt8], slot: Int)]] = []
        var tcp: [TCPRuleProgram?] = []
        for p in config.proxies {
            let table = try aclTable(p)
            tables_.append(table)
            tcp.append(try tcpProgram(p, table))
            dynamic.append(try p.useBackends.map { r in try r.dynamic.map { try format($0, p) } })
            programs.append(try program(p, table))
            var layout = CaptureLayout()
            var req: [(name: [UInt8], slot: Int)] = []
            var res: [(name: [UInt8], slot: Int)] = []
            for (i, h) in p.rules.captures.request.enumerated() {
                layout.request.append(h.length)
                if !h.name.isEmpty { req.append((Array(h.name.lowercased().utf8), i)) }
            }
            for (i, h) in p.rules.captures.response.enumerated() {
                layout.response.append(h.length)
                if !h.name.isEmpty { res.append((Array(h.name.lowercased().utf8), i)) }
            }
            captures.append(layout)
            hdrCaptures.append(req)
            resCaptures.append(res)
            logFormats.append(try p.rules.logFormat.map { try format($0, p, http: false, mandatory: true) })
            uidFormats.append(try p.rules.uniqueIDFormat.map { try format($0, p, http: true) })
            uidHeaders.append(p.rules.uniqueIDHeader.map { StaticBytes(Array($0.utf8), in: pool) })
        }
        let tables = RuleTables(
            frontendNames: topology.frontends.map(\.name),
            frontendIDs: topology.frontends.map { $0.proxy + 1 },
            backendNames: topology.backends.map(\.name),
            backendIDs: topology.backends.map { $0.proxy + 1 },
            serverNames: topology.backends.map { b in config.proxies[b.proxy].servers.map(\.name) },
            serverBase: topology.backends.map { $0.servers.lowerBound },
            variables: variables.refs, userlists: userlists, states: states, workers: workers, pool: pool,
            stick: usesStick ? stick : nil,
            listenerNames: config.proxies.filter(\.isFrontend).flatMap { $0.binds.map(\.options.name) },
            listenerIDs: config.proxies.filter(\.isFrontend).flatMap { StatsListener.listenerIDs($0.binds) },
            timeouts: ProxyTimeoutTable(frontendClient: topology.frontends.map { config.proxies[$0.proxy].timeouts.client ?? 0 },
                                        backendServer: topology.backends.map { config.proxies[$0.proxy].timeouts.server ?? 0 },
                                        backendTunnel: topology.backends.map { config.proxies[$0.proxy].timeouts.tunnel ?? 0 },
                                        frontendServer: topology.frontends.map { config.proxies[$0.proxy].timeouts.server ?? 0 },
                                        frontendTunnel: topology.frontends.map { config.proxies[$0.proxy].timeouts.tunnel ?? 0 }))
        RuleContext(tables: tables, worker: 0).applyProcessVariables(initialVariables)
        return CompiledRules(configuration: config, tables: tables, acls: tables_, dynamicBackends: dynamic, proxies: programs, files: files, captures: captures,
                             logFormats: logFormats, uniqueIDFormats: uidFormats, uniqueIDHeaders: uidHeaders,
                             headerCaptures: hdrCaptures, responseHeaderCaptures: resCaptures,
                             usesLocalAddress: usesLocalAddress, usesRequestBody: usesRequestBody, tcp: tcp)
    }

    // MARK: proxies

    /// A proxy's ACLs by name, in order of first declaration.
    mutating func aclTable(_ p: ProxyConfig) throws -> ACLTable {
        var names: [String] = []
        var tests: [String: [AclTest]] = [:]
        for a in p.acls {
            if tests[a.name] == nil { names.append(a.name); tests[a.name] = [] }
            tests[a.name]!.append(try aclTest(a, p))
        }
        return ACLTable(acls: names.map { CompiledACL(name: $0, tests: tests[$0]!) })
    }

    mutating func program(_ p: ProxyConfig, _ table: ACLTable) throws -> ProxyRuleProgram? {
        let r = p.rules
        let hasRules = !r.httpRequest.isEmpty || !r.httpResponse.isEmpty || !r.httpAfterResponse.isEmpty
            || !r.redirects.isEmpty || !r.statsRules.isEmpty || !r.errorPages.isEmpty || !r.errorReplies.isEmpty
            || r.headerNamePolicy != .preserve
            || p.connection.checkCache      // its check reads the response view (CheckCacheStage.swift)
        guard hasRules else { return nil }
        let acls = table.acls
        func cond(_ c: Condition?, _ loc: SourceLocation) throws -> CompiledCondition? {
            guard let c else { return nil }
            return try table.condition(c, loc)
        }
        func rules(_ list: [HTTPRuleDef], _ set: HTTPRuleSet) throws -> [CompiledRule] {
            try list.map { d in
                CompiledRule(condition: try cond(d.condition, d.location), action: try action(d, p, set),
                             origin: origins.origin(d.location, pool))
            }
        }
        var pages: [Int: ErrorPageMessage] = [:]
        for e in r.errorPages {
            switch e.source {
            case .file(_, let bytes):
                guard let m = ErrorMessage.parse(bytes) else { throw RuleCompileError(description: "\(e.location): invalid error page") }
                pages[e.status] = ErrorPageMessage(m, pool: pool)
            case .section(let name):
                guard let sec = httpErrors[name] else { throw RuleCompileError(description: "\(e.location): no http-errors section named '\(name)'") }
                if e.status == 0 { for (s, m) in sec { pages[s] = m } }
                else if let m = sec[e.status] { pages[e.status] = m }
            case .location(let url, let code):
                let text = (code == 303 ? "HTTP/1.1 303 See Other\r\n" : "HTTP/1.1 302 Found\r\n")
                    + "Cache-Control: no-cache\r\nContent-length: 0\r\nLocation: \(url)\r\n\r\n"
                pages[e.status] = ErrorPageMessage(ErrorMessage.parse(Array(text.utf8))!, pool: pool)
            case .proxyDefault:
                pages[e.status] = nil
            }
        }
        var replies: [Int: ReplyProgram] = [:]
        for (r, _) in r.errorReplies { replies[r.status] = try reply(r, p) }
        let program = ProxyRuleProgram(
            name: p.name, acls: acls, httpRequest: try rules(r.httpRequest, .request), httpResponse: try rules(r.httpResponse, .response),
            afterResponse: try rules(r.httpAfterResponse, .afterResponse), redirects: try rules(r.redirects, .request),
            statsRules: try rules(r.statsRules, .request),
            errorPages: pages, errorLocations: [:],
            tarpitTimeoutMs: r.tarpitTimeout ?? p.timeouts.tarpit ?? p.timeouts.connect ?? 0,
            httpClose: p.connectionMode == .close, pool: pool)
        program.errorReplies = replies
        program.headerNamePolicy = r.headerNamePolicy
        return program
    }

    // MARK: ACLs

    mutating func aclTest(_ a: AclDefinition, _ p: ProxyConfig) throws -> AclTest {
        let crit = a.criterion ?? Self.legacyCriterion(a)
        let e = try expr(crit.expression, p)
        if crit.neverMatches { return AclTest(expr: e, kind: .never, castTo: .any) }
        if crit.expression.fetch == .httpAuthGroup, let l = userlistIndex[crit.expression.args.first ?? ""] {
            return AclTest(expr: e, kind: .authGroup(userlist: l, groups: userlists[l].groupMask(a.patterns)), castTo: .string)
        }
        switch a.match {
        case .found: return AclTest(expr: e, kind: .found, castTo: .any)
        case .bool: return AclTest(expr: e, kind: .bool, castTo: .bool)
        default: break
        }
        let cast: SampleType
        switch a.match {
        case .int: cast = .int
        case .ip: cast = .addr
        case .binary: cast = .binary
        default: cast = .string
        }
        let inline: PatternView
        if let ref = crit.reference {
            // The ACL's own reference: its inline patterns, changeable by the runtime API.
            let r = files.definition(ref)
            r.seed(a.patterns)
            inline = try r.view(method: a.match, ignoreCase: a.ignoreCase, output: nil)
        } else {
            inline = try PatternView(PatternSet(method: a.match, ignoreCase: a.ignoreCase, keys: a.patterns), output: nil)
        }
        var fileViews: [PatternView] = []
        for path in crit.patternFiles {
            guard let f = files.file(path) else { throw RuleCompileError(description: "\(a.location): pattern file '\(path)' was not loaded") }
            fileViews.append(try f.view(method: a.match, ignoreCase: a.ignoreCase, output: nil))
        }
        return AclTest(expr: e, kind: .patterns(inline, fileViews), castTo: cast)
    }

    /// An ACL made without a criterion (predefined, stats prometheus-uri, tests).
    static func legacyCriterion(_ a: AclDefinition) -> AclCriterion {
        let e: SampleExprDef
        switch a.fetch {
        case .header(let h): e = SampleExprDef(fetch: .hdr, fetchName: "hdr", args: [h], text: "hdr(\(h))", output: .string)
        case .path: e = SampleExprDef(fetch: .path, fetchName: "path", args: [], text: "path", output: .string)
        case .url: e = SampleExprDef(fetch: .url, fetchName: "url", args: [], text: "url", output: .string)
        case .source: e = SampleExprDef(fetch: .src, fetchName: "src", args: [], text: "src", output: .addr)
        case .method: e = SampleExprDef(fetch: .method, fetchName: "method", args: [], text: "method", output: .method)
        case .always, .expression: e = SampleExprDef(fetch: .alwaysTrue, fetchName: "always_true", args: [], text: "always_true", output: .bool)
        }
        return AclCriterion(expression: e)
    }

    // MARK: expressions

    mutating func expr(_ d: SampleExprDef, _ p: ProxyConfig) throws -> SampleExpr {
        let f = d.fetch == .stickCounter ? try stickFetch(d, p) : try fetch(d, p)
        return SampleExpr(fetch: f, converters: try d.converters.map { try converter($0) }, output: d.output, text: d.text)
    }

    /// `p`: the proxy the expression is written in (server fetches name its servers bare).
    mutating func fetch(_ d: SampleExprDef, _ p: ProxyConfig) throws -> Fetch {
        let a = d.args
        func str(_ i: Int) -> String? { i < a.count ? a[i] : nil }
        func int(_ i: Int) -> Int64? { str(i).flatMap { Int64($0) } }
        func lowerName(_ i: Int) -> [UInt8]? { str(i).flatMap { $0.isEmpty ? nil : Array($0.lowercased().utf8) } }
        switch d.fetch {
        case .alwaysTrue: return .constant(.bool(true))
        case .alwaysFalse: return .constant(.bool(false))
        case .env:
            guard let v = getenvString(a[0]) else { return .missing }
            return .constant(.string(StaticBytes(Array(v.utf8), in: pool).buffer))
        case .date:
            let unit = str(1) == "ms" ? 1 : (str(1) == "us" ? 2 : 0)
            return .date(offset: int(0) ?? 0, unit: unit)
        case .hostname: return .constant(.string(LogIdentity.hostname.buffer))
        case .nbproc, .proc: return .constant(.int(1))
        case .thread: return .thread
        case .nbthread: return .nbthread
        case .pid: return .constant(.int(Int64(LogIdentity.pid)))
        case .rand: return .rand(int(0) ?? 0)
        case .uuid: return .uuid
        case .stopping: return .constant(.bool(false))
        case .str: return .constant(.string(StaticBytes(ConfigBytes.bytes(a[0]), in: pool).buffer))
        case .bool:
            let v = a[0].lowercased()
            return .constant(.bool(v == "true" || v == "1"))
        case .int: return .constant(.int(Int64(a[0]) ?? 0))
        case .ipv4, .ipv6: return .constant(TextAddress.parse(a[0]) ?? .int(0))
        case .bin:
            var bytes: [UInt8] = []
            var it = a[0].utf8.makeIterator()
            while let h = it.next(), let l = it.next() {
                bytes.append((URLCoding.hexVal(h) ?? 0) << 4 | (URLCoding.hexVal(l) ?? 0))
            }
            return .constant(.binary(StaticBytes(bytes, in: pool).buffer))
        case .meth:
            var s = Sample(type: .method); s.bytes = StaticBytes(Array(a[0].utf8), in: pool).buffer
            return .constant(s)
        case .variable:
            let v = SampleSyntax.variable(a[0])!
            var dflt: Sample? = nil
            if let t = str(1) { dflt = .string(StaticBytes(Array(t.utf8), in: pool).buffer) }
            return .variable(VarSlot(scope: v.scope, index: variables.slot(v)), dflt)
        case .src: return .src
        case .srcPort: return .srcPort
        case .dst: usesLocalAddress = true; return .dst
        case .dstPort: usesLocalAddress = true; return .dstPort
        case .fcSrc: return .connectionAddress(.src)
        case .fcSrcPort: return .connectionAddress(.srcPort)
        case .fcDst: usesLocalAddress = true; return .connectionAddress(.dst)
        case .fcDstPort: usesLocalAddress = true; return .connectionAddress(.dstPort)
        case .reqBody: usesRequestBody = true; return .requestBody
        case .reqBodyLen: usesRequestBody = true; return .requestBodyLength
        case .reqBodySize: usesRequestBody = true; return .requestBodySize
        case .resBody: return .responseBody
        case .resBodyLen: return .responseBodyLength
        case .resBodySize: return .responseBodySize
        case .reqBodyParam:
            usesRequestBody = true
            return .requestBodyParam(name: Array((str(0) ?? "").utf8), caseInsensitive: str(1) == "i")
        case .soID: return .soID
        case .soName: return .soName
        case .beServerTimeout: return .timeout(.beServer)
        case .beTunnelTimeout: return .timeout(.beTunnel)
        case .curServerTimeout: return .timeout(.curServer)
        case .curTunnelTimeout: return .timeout(.curTunnel)
        case .feClientTimeout: return .timeout(.feClient)
        case .feName: return .feName
        case .feID: return .feID
        case .beName: return .beName
        case .beID: return .beID
        case .srvName: return .srvName
        case .srvID: return .srvID
        case .nbsrv:
            if let n = str(0), !n.isEmpty { return .nbsrv(topology.backendByName[n] ?? -1) }
            return .nbsrv(-1)
        case .sslFC, .sslCUsed, .sslFCHasSNI: return .constant(.bool(false))
        case .sslFCSNI: return .missing
        case .method: return .method
        case .path: return .path
        case .pathq: return .pathq
        case .query: return .query
        case .url: return .url
        case .base: return .base(withQuery: false)
        case .baseq: return .base(withQuery: true)
        case .base32: return .base32
        case .url32: return .url32
        case .urlIP: return .urlIP
        case .urlPort: return .urlPort
        case .urlParam, .urlParamVal:
            let delim = str(1).flatMap { $0.utf8.first } ?? UInt8(ascii: "?")
            return .urlParam(name: Array((str(0) ?? "").utf8), delim: delim, int: d.fetch == .urlParamVal)
        case .hdr: return .header(.current, name: lowerName(0), occurrence: Int(int(1) ?? 0), full: false, kind: .text)
        case .reqHdr: return .header(.request, name: lowerName(0), occurrence: Int(int(1) ?? 0), full: false, kind: .text)
        case .reqFhdr: return .header(.request, name: lowerName(0), occurrence: Int(int(1) ?? 0), full: true, kind: .text)
        case .resHdr: return .header(.response, name: lowerName(0), occurrence: Int(int(1) ?? 0), full: false, kind: .text)
        case .resFhdr: return .header(.response, name: lowerName(0), occurrence: Int(int(1) ?? 0), full: true, kind: .text)
        case .reqHdrIP: return .header(.request, name: lowerName(0), occurrence: Int(int(1) ?? 0), full: false, kind: .address)
        case .resHdrIP: return .header(.response, name: lowerName(0), occurrence: Int(int(1) ?? 0), full: false, kind: .address)
        case .reqHdrVal: return .header(.request, name: lowerName(0), occurrence: Int(int(1) ?? 0), full: false, kind: .integer)
        case .resHdrVal: return .header(.response, name: lowerName(0), occurrence: Int(int(1) ?? 0), full: false, kind: .integer)
        case .reqHdrCnt: return .headerCount(.request, name: lowerName(0), full: false)
        case .reqFhdrCnt: return .headerCount(.request, name: lowerName(0), full: true)
        case .resHdrCnt: return .headerCount(.response, name: lowerName(0), full: false)
        case .resFhdrCnt: return .headerCount(.response, name: lowerName(0), full: true)
        case .reqHdrNames: return .headerNames(.request, delim: Array((str(0) ?? ",").utf8))
        case .resHdrNames: return .headerNames(.response, delim: Array((str(0) ?? ",").utf8))
        case .reqCook: return .cookie(.request, name: str(0).flatMap { $0.isEmpty ? nil : Array($0.utf8) }, kind: .text)
        case .reqCookVal: return .cookie(.request, name: str(0).flatMap { $0.isEmpty ? nil : Array($0.utf8) }, kind: .integer)
        case .reqCookCnt: return .cookieCount(.request, name: str(0).flatMap { $0.isEmpty ? nil : Array($0.utf8) })
        case .resCook: return .cookie(.response, name: str(0).flatMap { $0.isEmpty ? nil : Array($0.utf8) }, kind: .text)
        case .resCookVal: return .cookie(.response, name: str(0).flatMap { $0.isEmpty ? nil : Array($0.utf8) }, kind: .integer)
        case .resCookCnt: return .cookieCount(.response, name: str(0).flatMap { $0.isEmpty ? nil : Array($0.utf8) })
        case .cookie: return .cookie(.current, name: str(0).flatMap { $0.isEmpty ? nil : Array($0.utf8) }, kind: .text)
        case .reqVer: return .version(.request)
        case .resVer: return .version(.response)
        case .resCacheHit: return .cacheHit
        case .resCacheName: return .cacheName
        case .httpAuth, .httpAuthGroup:
            guard let l = userlistIndex[a[0]] else { throw RuleCompileError(description: "unknown userlist '\(a[0])' in '\(d.text)'") }
            return d.fetch == .httpAuth ? .httpAuth(l) : .httpAuthGroup(l)
        case .httpAuthType: return .httpAuthType
        case .httpAuthUser: return .httpAuthUser
        case .httpAuthPass: return .httpAuthPass
        case .httpFirstReq: return .httpFirstReq
        case .reqProtoHTTP: return .protoHTTP
        case .reqSSLSNI: return .tlsHello(.serverName)
        case .reqSSLHelloType: return .tlsHello(.helloType)
        case .reqSSLVer: return .tlsHello(.version)
        case .reqSSLALPN: return .tlsHello(.alpn)
        case .reqSSLECExt: return .tlsHello(.supportedGroups)
        case .reqSSLSTExt: return .tlsHello(.sessionTicket)
        case .reqRDPCookie, .reqRDPCookieCnt:
            return .rdpCookie(name: str(0).flatMap { $0.isEmpty ? nil : Array($0.utf8) }, count: d.fetch == .reqRDPCookieCnt)
        case .captureReqHdr: return .captureReqHdr(Int(int(0) ?? 0))
        case .captureResHdr: return .captureResHdr(Int(int(0) ?? 0))
        case .captureReqMethod: return .captureReqMethod
        case .captureReqURI: return .captureReqURI
        case .captureReqVer: return .captureReqVer
        case .captureResVer: return .captureResVer
        case .uniqueID: return .uniqueID
        case .status: return .status
        case .stickCounter: return try stickFetchWithoutProxy()
        case .srvSessRate, .srvConn, .srvIsUp: return try serverFetch(d, p)
        case .feConn, .feSessRate, .feReqRate, .beConn, .beSessRate: return try proxyCounterFetch(d, p)
        case .reqLen, .reqPayload, .reqPayloadLV, .resLen, .resPayload, .resPayloadLV, .waitEnd, .lastRuleFile, .lastRuleLine, .fcPPAuthority, .fcPPUniqueID:
            return .content(try ContentFetch.compile(d.fetch, a))
        }
    }

    mutating func converter(_ d: SampleExprDef.Converter) throws -> Converter {
        let a = d.args
        func int(_ i: Int) -> Int64? { i < a.count ? Int64(a[i]) : nil }
        func operand() -> IntOperand {
            if let v = Int64(a[0]) { return .constant(v) }
            let v = SampleSyntax.variable(a[0])!
            return .variable(VarSlot(scope: v.scope, index: variables.slot(v)))
        }
        func varSlot(_ i: Int) -> VarSlot? {
            guard i < a.count, !a[i].isEmpty, let v = SampleSyntax.variable(a[i]) else { return nil }
            return VarSlot(scope: v.scope, index: variables.slot(v))
        }
        func bytes(_ i: Int) -> [UInt8] { i < a.count ? ConfigBytes.bytes(a[i]) : [] }
        switch d.kind {
        case .lower: return .lower
        case .upper: return .upper
        case .length: return .length
        case .base64: return .base64(url: false)
        case .ub64enc: return .base64(url: true)
        case .b64dec: return .b64dec(url: false)
        case .ub64dec: return .b64dec(url: true)
        case .hex: return .hex
        case .hex2i: return .hex2i
        case .json:
            let modes = ["", "ascii", "utf8", "utf8s", "utf8p", "utf8ps"]
            let m = modes.firstIndex(of: a.first ?? "") ?? 0
            return .json(max(0, m - 1))
        case .bool: return .bool
        case .not: return .not
        case .odd: return .odd
        case .even: return .even
        case .and: return .and(operand())
        case .or: return .or(operand())
        case .xor: return .xor(operand())
        case .add: return .add(operand())
        case .sub: return .sub(operand())
        case .mul: return .mul(operand())
        case .div: return .div(operand())
        case .mod: return .mod(operand())
        case .cpl: return .cpl
        case .neg: return .neg
        case .ipmask: return .ipmask(IPMask.v4(a[0]) ?? ~0, a.count > 1 ? IPMask.v6(a[1]) : nil)
        case .field: return .field(int(0) ?? 1, bytes(1), int(2) ?? 1)
        case .word: return .word(int(0) ?? 1, bytes(1), int(2) ?? 1)
        case .regsub:
            let flags = a.count > 2 ? a[2] : ""
            return .regsub(try Regex(a[0], caseless: flags.contains("i")), bytes(1), global: flags.contains("g"))
        case .concat: return .concat(bytes(0), varSlot(1), bytes(2))
        case .addItem: return .addItem(bytes(0), varSlot(1), bytes(2))
        case .strcmp: return .strcmp(varSlot(0)!)
        case .bytes: return .bytes(int(0) ?? 0, int(1))
        case .ltrim: return .ltrim(bytes(0))
        case .rtrim: return .rtrim(bytes(0))
        case .cutCRLF: return .cutCRLF
        case .urlDec: return .urlDec(query: (int(0) ?? 0) != 0)
        case .urlEnc: return .urlEnc(query: a.first == "query")
        case .crc32: return .crc32((int(0) ?? 0) != 0)
        case .djb2: return .djb2((int(0) ?? 0) != 0)
        case .sdbm: return .sdbm((int(0) ?? 0) != 0)
        case .wt6: return .wt6((int(0) ?? 0) != 0)
        case .ltime: return .ltime(a[0].utf8CString.map { $0 }, int(1) ?? 0)
        case .utime: return .utime(a[0].utf8CString.map { $0 }, int(1) ?? 0)
        case .httpDate:
            let unit = a.count > 1 ? (a[1] == "ms" ? 1 : (a[1] == "us" ? 2 : 0)) : 0
            return .httpDate(int(0) ?? 0, unit)
        case .iif: return .iif(StaticBytes(bytes(0), in: pool), StaticBytes(bytes(1), in: pool))
        case .setVar:
            var v = varSlot(0)!
            if case .success(let c) = VarConditions.parse(a.dropFirst()) { v.conditions = c }   // checked by the parser
            return .setVar(v)
        case .unsetVar: return .unsetVar(varSlot(0)!)
        case .captureReq: return .captureReq(Int(int(0) ?? 0))
        case .captureRes: return .captureRes(Int(int(0) ?? 0))
        case .sha1, .sha2, .digest, .hmac, .crc32c, .xxh32, .xxh64, .xxh3, .secureMemcmp, .be2dec, .be2hex:
            return .hashing(try HashConverter.compile(d.kind, a, varSlot))
        case .fixIsValid: return .fixIsValid
        case .fixTagValue: return .fixTagValue(FIXMessage.tagID(a[0])!)   // checked by the parser
        case .mqttIsValid: return .mqttIsValid
        case .mqttFieldValue:
            let type = MQTTPacket.typeID(a[0])!                                 // checked by the parser
            return .mqttFieldValue(type: type, MQTTPacket.field(a[1], type: type)!)
        case .jsonQuery:
            guard let path = JSONPath(a[0], integer: a.count > 1 && a[1] == "int") else {
                throw RuleCompileError(description: "converter 'json_query': unsupported JSON path '\(a[0])'")
            }
            return .jsonQuery(path)
        case .stickTable:
            usesStick = true
            return .stickTable(try stickTable(a[0]), StickSampleSyntax.converterData[d.name]!)
        case .map:
            let spec = d.map!
            guard let f = files.file(a[0]) else { throw RuleCompileError(description: "map file '\(a[0])' was not loaded") }
            let view: PatternView
            do { view = try f.view(method: spec.match, ignoreCase: false, output: spec.output) }
            catch { throw RuleCompileError(description: "map file '\(a[0])': \(error)") }
            var dflt: Sample? = nil
            if a.count > 1 {
                switch spec.output {
                case .int: dflt = .int(Int64(a[1]) ?? 0)
                case .addr, .ipv4, .ipv6: dflt = TextAddress.parse(a[1])
                default: dflt = .string(StaticBytes(Array(a[1].utf8), in: pool).buffer)
                }
            }
            return .map(view, spec, dflt)
        }
    }

    // MARK: formats and actions

    mutating func format(_ d: LogFormatDef, _ p: ProxyConfig, http: Bool = true, mandatory: Bool = false) throws -> LogFormatProgram {
        LogFormatProgram(nodes: try d.nodes.map { n in
            switch n {
            case .literal(let t): return .literal(StaticBytes(ConfigBytes.bytes(t), in: pool))
            case .field(let f, let o):
                if f == .frontendIP || f == .frontendPort { usesLocalAddress = true }
                return .field(f, mandatory ? o.union(.mandatory) : o)
            case .sample(let e, let o): return .sample(try expr(e, p), mandatory ? o.union(.mandatory) : o)
            }
        }, http: http, pool: pool)
    }

    mutating func reply(_ r: ReplyDef, _ p: ProxyConfig) throws -> ReplyProgram {
        let body: ReplyProgram.Body
        switch r.body {
        case .none: body = .none
        case .string(let s): body = .raw(StaticBytes(Array(s.utf8), in: pool))
        case .file(let b): body = .raw(StaticBytes(b, in: pool))
        case .format(let f): body = .format(try format(f, p))
        case .errorFile(let src):
            switch src {
            case .proxyDefault: body = .errorPage(.proxyDefault)
            case .file(let path, let bytes):
                guard let m = ErrorMessage.parse(bytes) else { throw RuleCompileError(description: "invalid errorfile '\(path)'") }
                body = .errorPage(.fixed(ErrorPageMessage(m, pool: pool)))
            case .section(let name):
                guard let sec = httpErrors[name] else { throw RuleCompileError(description: "no http-errors section named '\(name)'") }
                body = .errorPage(.section(sec))
            case .location(let url, let code):
                let text = (code == 303 ? "HTTP/1.1 303 See Other\r\n" : "HTTP/1.1 302 Found\r\n")
                    + "Cache-Control: no-cache\r\nContent-length: 0\r\nLocation: \(url)\r\n\r\n"
                body = .errorPage(.fixed(ErrorPageMessage(ErrorMessage.parse(Array(text.utf8))!, pool: pool)))
            }
        }
        return ReplyProgram(status: r.status, contentType: r.contentType.map { StaticBytes(Array($0.utf8), in: pool) },
                            headers: try r.headers.map { (StaticBytes(Array($0.name.utf8), in: pool), try format($0.value, p)) }, body: body)
    }

    mutating func action(_ d: HTTPRuleDef, _ p: ProxyConfig, _ set: HTTPRuleSet) throws -> RuleAction {
        func lower(_ s: String) -> [UInt8] { Array(s.lowercased().utf8) }
        func slot(_ v: VariableRef) -> VarSlot { VarSlot(scope: v.scope, index: variables.slot(v), conditions: v.conditions) }
        switch d.action {
        case .allow: return .allow
        case .reject: return .reject
        case .setTimeout(let k, let e): return .setTimeout(k, try expr(e, p))
        case .deny(let r): return .deny(try reply(r, p))
        case .tarpit(let r): return .tarpit(try reply(r, p))
        case .returnReply(let r): return .returnReply(try reply(r, p))
        case .redirect(let r): return .redirect(RedirectProgram(r, target: try format(r.target, p), pool: pool))
        case .auth(let realm): return .auth(realm: StaticBytes(Array((realm ?? "").utf8), in: pool))
        case .setHeader(let n, let v): return .setHeader(name: StaticBytes(Array(n.utf8), in: pool), lower: lower(n), try format(v, p))
        case .addHeader(let n, let v): return .addHeader(name: StaticBytes(Array(n.utf8), in: pool), try format(v, p))
        case .earlyHint: throw RuleCompileError(description: "\(d.location): 'early-hint' is not supported by ringproxy")
        case .delHeader(let n, let m):
            return .delHeader(HeaderNameMatcher(name: lower(n), method: m, regex: m == .regex ? try Regex(n) : nil))
        case .replaceHeader(let n, let re, let f): return .replaceHeader(lower: lower(n), try Regex(re), try format(f, p), wholeValue: true)
        case .replaceValue(let n, let re, let f): return .replaceHeader(lower: lower(n), try Regex(re), try format(f, p), wholeValue: false)
        case .setMethod(let f): return .setMethod(try format(f, p))
        case .setPath(let f): return .setPath(try format(f, p))
        case .setPathQ(let f): return .setPathQ(try format(f, p))
        case .setQuery(let f): return .setQuery(try format(f, p))
        case .setURI(let f): return .setURI(try format(f, p))
        case .replacePath(let re, let f): return .replacePath(try Regex(re), try format(f, p))
        case .replacePathQ(let re, let f): return .replacePathQ(try Regex(re), try format(f, p))
        case .replaceURI(let re, let f): return .replaceURI(try Regex(re), try format(f, p))
        case .setStatus(let code, let reason):
            return .setStatus(code, reason: reason.map { StaticBytes(Array($0.utf8), in: pool) } ?? StaticBytes(Array(ErrorPageTexts.reason(code).utf8), in: pool))
        case .setVar(let v, let e): return .setVar(slot(v), try expr(e, p))
        case .setVarFormat(let v, let f): return .setVarFormat(slot(v), try format(f, p))
        case .unsetVar(let v): return .unsetVar(slot(v))
        case .setLogLevel(let l): return .setLogLevel(l)
        case .capture(let e, _, let s):
            return .capture(try expr(e, p), slot: s ?? 0, request: set == .request)
        case .useService: return .useService
        case .strictMode(let on): return .strictMode(on)
        case .addACL(let f, let k): return .patternFile(PatternFileAction(kind: .addACL, file: try file(f), key: try format(k, p), value: nil))
        case .delACL(let f, let k): return .patternFile(PatternFileAction(kind: .delACL, file: try file(f), key: try format(k, p), value: nil))
        case .setMap(let f, let k, let v): return .patternFile(PatternFileAction(kind: .setMap, file: try file(f), key: try format(k, p), value: try format(v, p)))
        case .delMap(let f, let k): return .patternFile(PatternFileAction(kind: .delMap, file: try file(f), key: try format(k, p), value: nil))
        case .trackSC(let n, let key, let table):
            usesStick = true
            return .trackSC(n, try expr(key, p), table: try stickTable(table ?? p.name))
        case .scIncGPC(let gpc, let n): usesStick = true; return .scIncGPC(gpc: gpc, counter: n)
        case .scSetGPT0(let n, let e): usesStick = true; return .scSetGPT0(counter: n, try expr(e, p))
        case .normalizeURI(let n): return .normalizeURI(n)
        case .waitForBody(let ms, let n): return .waitForBody(ms: ms, atLeast: n)
        case .cacheUse(let n), .cacheStore(let n):
            guard let i = config.caches.firstIndex(where: { $0.name == n }) else {
                throw RuleCompileError(description: "\(d.location): unable to find the cache '\(n)'")
            }
            if case .cacheUse = d.action { return .cacheUse(i) }
            return .cacheStore(i)
        case .setAddress(let t, let e):
            if t == .dst || t == .dstPort { usesLocalAddress = true }
            return .setAddress(t, try expr(e, p))
        }
    }

    /// Stick-counter fetches are compiled by `expr`, which knows the proxy.
    func stickFetchWithoutProxy() throws -> Fetch {
        throw RuleCompileError(description: "internal: stick-counter fetch compiled without its proxy")
    }

    /// A stick table by configuration name (a proxy, or `SECTION/NAME` of a peers section).
    func stickTable(_ name: String) throws -> Int {
        guard let i = stick.byName[name] else { throw RuleCompileError(description: "unable to find stick table '\(name)'") }
        return i
    }

    /// sc_X(N[,T]), scN_X([T]), src_X([T]).
    mutating func stickFetch(_ d: SampleExprDef, _ p: ProxyConfig) throws -> Fetch {
        usesStick = true
        let name = StickSampleSyntax.fetchName(d.fetchName)!
        let args = d.args
        switch name.counter {
        case -1:
            let t = args.first.flatMap { $0.isEmpty ? nil : $0 } ?? p.name
            return .stick(StickQuery(source: .client(table: try stickTable(t)), datum: name.datum))
        case nil:
            let n = Int(args[0]) ?? 0
            let other = args.count > 1 && !args[1].isEmpty ? try stickTable(args[1]) : nil
            return .stick(StickQuery(source: .counter(n, table: other), datum: name.datum))
        case let n?:
            let other = args.first.flatMap { $0.isEmpty ? nil : $0 }.map { try? stickTable($0) } ?? nil
            if let t = args.first, !t.isEmpty, other == nil { _ = try stickTable(t) }
            return .stick(StickQuery(source: .counter(n, table: other), datum: name.datum))
        }
    }

    func file(_ path: String) throws -> PatternReference {
        guard let f = files.file(path) else { throw RuleCompileError(description: "pattern file '\(path)' was not loaded") }
        return f
    }
}

func getenvString(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}

#if canImport(Glibc)
import Glibc
#endif
