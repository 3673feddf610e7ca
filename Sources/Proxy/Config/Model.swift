// The typed model of a HAProxy-dialect configuration. The parser (ConfigParser) fills it;
// the runtime builds its decision objects (Router, balancers, persistence) from it.
// Times are milliseconds; nil means "not set" (HAProxy: infinite, with a warning).

/// Where a piece of configuration came from, for error messages and notes.
public struct SourceLocation: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) { self.file = file; self.line = line }
    public var description: String { "\(file):\(line)" }
}

public struct Configuration: Sendable {
    public var global = GlobalSettings()
    /// Every frontend, backend and listen section, in file order.
    public var proxies: [ProxyConfig] = []
    /// Notes for `-c` (legacy keywords and their modern spelling), warnings (U+00A0, ...).
    public var notes: [String] = []
    public var warnings: [String] = []
    /// Environment and diagnostics of the preprocessor (variables, `.if` blocks, `.diag`).
    public var preprocessor = PreprocessorOutcome()
    /// `ring` sections (see LogModel.swift).
    public var rings: [RingConfig] = []
    /// `peers` sections and the local peer name (added by the peers work).
    public var peers = PeersConfiguration()
    /// Userlists, http-errors sections and files of the rule language (added by the rules engine).
    public var rules = GlobalRules()
    /// `program` sections (ProgramModel.swift), run by the master in master-worker mode.
    public var programs: [ProgramConfig] = []
    /// `resolvers` sections (ResolversModel.swift).
    public var resolvers: [ResolversConfig] = []
    /// `log-forward` sections (LogForwardModel.swift): syslog relays.
    public var logForwards: [LogForwardConfig] = []
    /// `cache` sections (CacheModel.swift).
    public var caches: [CacheConfig] = []
    public init() {}
    public func proxy(named name: String) -> ProxyConfig? { proxies.first { $0.name == name } }
}

public struct GlobalSettings: Sendable {
    public var loggers: [LoggerConfig] = []
    public var maxconn: Int? = nil
    public var user: String? = nil
    public var group: String? = nil
    public var daemon = false
    public var nbproc: Int? = nil
    public var nbthread: Int? = nil
    public var pidfile: String? = nil
    public var logTag: String? = nil
    /// `stats socket` lines, for the runtime API (ListenerModel.swift).
    public var statsSockets: [StatsSocketConfig] = []
    /// `stats timeout`, `stats maxconn` (the runtime API).
    public var runtimeAPI = RuntimeAPISettings()
    /// `master-worker`, `hard-stop-after`, `grace`, `server-state-file`, `server-state-base`.
    public var reload = ReloadSettings()
    /// `cpu-map` lines, in order (CPUMapKeywords.swift).
    public var cpuMap: [CPUMapEntry] = []
    /// `tune.bufsize`, `tune.maxrewrite`, `tune.http.maxhdr`.
    public var tune = TuneSettings()
    /// `log-send-hostname` (added by the logging engineer; see LogModel.swift).
    public var logging = GlobalLogOptions()
    /// uid/gid, node, description, strict-limits, zero-warning (ProcessSettings.swift).
    public var process = ProcessSettings()
    /// `expose-experimental-directives` (URINormalizerSyntax.swift).
    public var exposeExperimentalDirectives = false
    /// `set-var`/`set-var-fmt` lines: proc variables set at start (ProcessVariableKeywords).
    public var processVariables: [ProcessVariableSetting] = []
    public init() {}
}

public enum ProxyKind: String, Sendable { case frontend, backend, listen, defaults }

public enum ProxyMode: String, Sendable { case http, tcp }

public struct BindConfig: Equatable, Sendable {
    public var host: String              // "0.0.0.0", "127.0.0.1", "::" ; "" or "*" = all ("" for non-TCP)
    public var port: Int                 // 0 for non-TCP addresses
    public var location: SourceLocation
    /// The address as written (TCP, fd@N, unix@PATH, abns@NAME) and the bind options (ListenerModel.swift).
    public var address: ListenAddress
    public var options = BindOptions()
    public init(host: String, port: Int, location: SourceLocation) {
        self.host = host; self.port = port; self.location = location; self.address = .tcp(host: host, port: port)
    }
    public init(address: ListenAddress, options: BindOptions, location: SourceLocation) {
        self.address = address; self.options = options; self.location = location
        if case .tcp(let h, let p) = address { host = h; port = p } else { host = ""; port = 0 }
    }
}

public struct Timeouts: Equatable, Sendable {
    public var connect: Int? = nil
    public var client: Int? = nil
    public var server: Int? = nil
    public var queue: Int? = nil
    public var check: Int? = nil
    public var httpRequest: Int? = nil
    public var httpKeepAlive: Int? = nil
    /// `timeout tunnel` (added by the config parser).
    public var tunnel: Int? = nil
    /// `timeout client-fin`, `timeout server-fin` (half-closed connections), `timeout tarpit`.
    public var clientFin: Int? = nil
    public var serverFin: Int? = nil
    public var tarpit: Int? = nil
    public init() {}
}

public enum BalanceAlgorithm: Equatable, Sendable {
    case roundRobin
    case staticRoundRobin
    case leastConn
    case source
    case uri
    case urlParam(String)
    case header(String)
    /// `balance random[(DRAWS)]`: the least loaded of DRAWS random servers (default 2).
    case random(draws: Int)
    /// `balance first`: the first server by id with a free slot below its maxconn.
    case first
    /// `balance rdp-cookie[(NAME)]`: hash of the RDP cookie NAME (default mstshash) in the
    /// stream's first bytes (mode tcp).
    case rdpCookie(String)
}

public enum HashType: String, Equatable, Sendable { case mapBased = "map-based", consistent }

public enum CookieMode: String, Equatable, Sendable { case passive, insert, rewrite, prefix }

public struct CookieConfig: Equatable, Sendable {
    public var name: String
    public var mode: CookieMode = .passive
    public var indirect = false
    public var nocache = false
    public var postonly = false
    public var preserve = false
    public var httponly = false
    public var secure = false
    public var domains: [String] = []
    public var maxidle: Int? = nil       // ms
    public var maxlife: Int? = nil       // ms
    public var attrs: [String] = []
    public init(name: String) { self.name = name }
}

public enum AppSessionMode: String, Equatable, Sendable { case pathParameters = "path-parameters", queryString = "query-string" }

public struct AppSessionConfig: Equatable, Sendable {
    public var cookieName: String
    public var length: Int
    public var timeout: Int              // ms
    public var requestLearn = false
    public var prefix = false
    public var mode: AppSessionMode = .pathParameters
    public init(cookieName: String, length: Int, timeout: Int) { self.cookieName = cookieName; self.length = length; self.timeout = timeout }
}

/// HAProxy 2.x stick tables, the modern form of appsession.
public struct StickTableConfig: Equatable, Sendable {
    public var type: String = "string"
    /// Characters kept of a string key (HAProxy: `len N`, else 31: a 32-byte key with its NUL)
    /// or bytes of a binary key (`len N`, else 32).
    public var length: Int = 31
    public var size: Int = 0
    public var expire: Int? = nil        // ms
    /// `peers NAME`: the peers section the table is shared with.
    public var peers: String? = nil
    /// `srvkey name|addr`: how a server is named in the table (and to peers).
    public var serverKey: String = "name"
    /// `store ...`: the counters an entry carries (StickStoreSyntax).
    public var store: [StickStoreItem] = []
    public init() {}
}

/// What a `stick` rule fetches.
public enum StickFetch: Equatable, Sendable {
    case requestCookie(String)           // req.cook(NAME)
    case responseCookie(String)          // res.cook(NAME)
    case urlParam(String, delimiter: String?)   // urlp(NAME[,DELIM]) / url_param
    case source                          // src
}

public enum StickRuleKind: String, Equatable, Sendable {
    case on, match, storeRequest = "store-request", storeResponse = "store-response"
}

public struct StickRule: Equatable, Sendable {
    public var kind: StickRuleKind
    public var fetch: StickFetch
    public var table: String? = nil
    /// `stick ... if|unless COND` (added by the config parser).
    public var condition: Condition? = nil
    public init(kind: StickRuleKind, fetch: StickFetch) { self.kind = kind; self.fetch = fetch }
}

public struct ServerConfig: Equatable, Sendable {
    public var name: String
    public var host: String
    public var port: Int
    public var cookie: String? = nil
    public var check = false
    public var inter: Int = 2000
    public var fastinter: Int? = nil
    public var downinter: Int? = nil
    public var rise: Int = 2
    public var fall: Int = 3
    public var weight: Int = 1
    public var maxconn: Int? = nil
    public var backup = false
    public var disabled = false
    public var checkPort: Int? = nil
    public var checkAddr: String? = nil
    public var slowstart: Int? = nil     // ms
    public var location: SourceLocation
    /// check-send-proxy and the agent check (ServerCheckOptions.swift).
    public var checkSettings = ServerCheckSettings()
    /// Addresses, limits, pools, actions, tracking, source (ServerModel.swift).
    public var options = ServerOptions()
    public init(name: String, host: String, port: Int, location: SourceLocation) {
        self.name = name; self.host = host; self.port = port; self.location = location
    }
}

// MARK: ACLs and conditions

/// The sample an ACL fetches.
public enum AclFetch: Equatable, Sendable {
    case header(String)                  // hdr(name) family; name lower-cased
    case path
    case url
    case source
    case method
    case always                          // TRUE / FALSE pseudo-ACLs use `.always` with a flag
    /// Any other expression: see `AclDefinition.criterion` (added by the rules engine).
    case expression
}

/// How an ACL compares the fetched sample with its patterns (`-m` or the fetch suffix).
public enum AclMatch: String, Equatable, Sendable {
    case exact = "str", beginning = "beg", ending = "end", substring = "sub", regex = "reg"
    case domain = "dom", ip = "ip", found = "found", length = "len"
    /// Added by the rules engine: HAProxy's other match methods.
    case directory = "dir", int = "int", bool = "bool", binary = "bin"
}

public struct AclDefinition: Equatable, Sendable {
    public var name: String
    public var fetch: AclFetch
    public var match: AclMatch
    public var ignoreCase = false
    public var patterns: [String]
    public var location: SourceLocation
    /// The whole criterion and flags (added by the rules engine); nil: `fetch` says it all.
    public var criterion: AclCriterion? = nil
    public init(name: String, fetch: AclFetch, match: AclMatch, ignoreCase: Bool, patterns: [String], location: SourceLocation) {
        self.name = name; self.fetch = fetch; self.match = match; self.ignoreCase = ignoreCase; self.patterns = patterns; self.location = location
    }
}

/// A condition: OR of AND-terms; each term is an ACL name, possibly negated. An anonymous
/// ACL (`{ path /metrics }`) is stored in the proxy's ACL list under a generated name.
public struct Condition: Equatable, Sendable {
    public struct Term: Equatable, Sendable {
        public var acl: String
        public var negated: Bool
        public init(acl: String, negated: Bool) { self.acl = acl; self.negated = negated }
    }
    public var unless = false
    public var alternatives: [[Term]]    // OR of ANDs
    public init(unless: Bool = false, alternatives: [[Term]]) { self.unless = unless; self.alternatives = alternatives }
}

public struct BackendSwitchRule: Equatable, Sendable {
    public var backend: String
    public var condition: Condition?
    public var location: SourceLocation
    /// `use_backend %[...]`: the name is a log-format string (added by the rules engine).
    public var dynamic: LogFormatDef? = nil
    public init(backend: String, condition: Condition?, location: SourceLocation) { self.backend = backend; self.condition = condition; self.location = location }
}

public struct ForwardForConfig: Equatable, Sendable {
    public var exceptNetwork: String? = nil   // "127.0.0.0/8"
    public var header: String = "X-Forwarded-For"
    public var ifNone = false
    public init() {}
}

public struct StatsConfig: Equatable, Sendable {
    public var enabled = false
    public var uri: String = "/haproxy?stats"
    public var realm: String = "HAProxy Statistics"
    public var auths: [(user: String, password: String)] = []
    public var refresh: Int? = nil            // ms
    public var hideVersion = false
    public var showLegends = false
    /// `stats show-node [NAME]` ("": the global `node`, else the host name) and
    /// `stats show-desc [TEXT]` ("": the global `description`).
    public var showNode: String? = nil
    public var showDescription: String? = nil
    public var adminCondition: Condition? = nil
    /// `stats scope NAME|.`: the page shows only these proxies (empty: all).
    public var scopes: [String] = []
    public init() {}
    public static func == (a: StatsConfig, b: StatsConfig) -> Bool {
        a.enabled == b.enabled && a.uri == b.uri && a.realm == b.realm && a.refresh == b.refresh && a.scopes == b.scopes &&
        a.hideVersion == b.hideVersion && a.showLegends == b.showLegends && a.adminCondition == b.adminCondition &&
        a.showNode == b.showNode && a.showDescription == b.showDescription &&
        a.auths.map { $0.user + ":" + $0.password } == b.auths.map { $0.user + ":" + $0.password }
    }
}

public enum HttpConnectionMode: String, Equatable, Sendable {
    case keepAlive = "http-keep-alive", close = "httpclose", serverClose = "http-server-close"
}

/// One frontend, backend or listen section (defaults already applied).
public struct ProxyConfig: Sendable {
    public var kind: ProxyKind
    public var name: String
    public var location: SourceLocation
    public var mode: ProxyMode = .tcp
    public var binds: [BindConfig] = []
    public var maxconn: Int? = nil
    public var timeouts = Timeouts()
    public var retries: Int = 3
    public var redispatch = false
    public var abortOnClose = false
    public var httpLog = false
    public var dontLogNull = false
    public var connectionMode: HttpConnectionMode = .keepAlive
    public var forwardFor: ForwardForConfig? = nil
    public var httpReuse: String? = nil
    public var loggers: [LoggerConfig] = []
    public var balance: BalanceAlgorithm = .roundRobin
    public var hashType: HashType = .mapBased
    /// `persist rdp-cookie[(NAME)]`: the RDP cookie (default msts) naming the server's address.
    public var rdpPersistCookie: String? = nil
    public var cookie: CookieConfig? = nil
    public var appSession: AppSessionConfig? = nil
    public var stickTable: StickTableConfig? = nil
    public var stickRules: [StickRule] = []
    public var servers: [ServerConfig] = []
    public var acls: [AclDefinition] = []
    public var useBackends: [BackendSwitchRule] = []
    public var defaultBackend: String? = nil
    /// Where `default_backend` was written (added by the config parser, for messages).
    public var defaultBackendLocation: SourceLocation? = nil
    public var stats = StatsConfig()
    public var monitorURI: String? = nil
    /// `http-request use-service prometheus-exporter if COND` or ringproxy's `stats prometheus`.
    public var prometheus: Condition? = nil
    public var prometheusURI: String? = nil
    /// `load-server-state-from-file`, `server-state-file-name`.
    public var serverState = ProxyServerStateConfig()
    /// log-tag, log-format-sd, tcplog, dontlog-normal, log-separate-errors, log-health-checks (LogModel.swift).
    public var logging = ProxyLogOptions()
    /// option httpchk/tcp-check/…chk, http-check and tcp-check rules (CheckModel.swift).
    public var checks = ProxyCheckConfig()
    /// Parameters of the balancing algorithm and backup use (BalanceOptions.swift).
    public var balancing = BalanceOptions()
    /// Connection-level options: keep-alive probes, linger, splice, … (ProxyOptions.swift).
    public var connection = ConnectionOptions()
    /// `id`, `description`, `fullconn`, `dispatch` (ProxyOptions.swift).
    public var identity = ProxyIdentity()
    /// `compression algo/type/offload`: read, not applied (CompressionKeywords.swift).
    public var compression = CompressionSettings()
    /// http-request/-response rules, captures, errorfiles, log-format (added by the rules engine).
    public var rules = ProxyRules()
    /// `filter cache NAME` lines (the caches must exist; CacheKeywords).
    public var cacheFilters: [(name: String, location: SourceLocation)] = []
    /// tcp-request / tcp-response rules and inspect delays (TCPRulesModel.swift).
    public var tcpRules = TCPRuleSets()
    /// `option originalto [except NET] [header NAME]` (OriginalToKeywords.swift).
    public var originalTo: ForwardForConfig? = nil
    /// `option accept-invalid-http-request` (AcceptInvalidRequestKeywords.swift).
    public var acceptInvalidHTTPRequest = false
    /// `use-server NAME if|unless COND` rules, in order (UseServerKeywords.swift).
    public var useServers: [UseServerRule] = []
    public init(kind: ProxyKind, name: String, location: SourceLocation) { self.kind = kind; self.name = name; self.location = location }
    public var isFrontend: Bool { kind == .frontend || kind == .listen }
    public var isBackend: Bool { kind == .backend || kind == .listen }
}
