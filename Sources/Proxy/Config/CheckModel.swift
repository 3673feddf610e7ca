// The health-check part of the configuration model, following HAProxy 2.6: a backend runs a
// layer-4 check, or a ruleset of connect/send/expect rules (`tcp-check`, `http-check`, or one
// of the protocol checks HAProxy builds from rules: ssl-hello-chk, smtpchk, mysql-check,
// pgsql-check, redis-check, ldap-check, spop-check).

/// Which check a backend runs (HAProxy's `option …chk` family; the last one wins).
public enum CheckKind: String, Equatable, Sendable {
    case layer4 = ""
    case tcpCheck = "tcp-check"
    case http = "httpchk"
    case sslHello = "ssl-hello-chk"
    case smtp = "smtpchk"
    case mysql = "mysql-check"
    case pgsql = "pgsql-check"
    case redis = "redis-check"
    case ldap = "ldap-check"
    case spop = "spop-check"
}

/// A backend's checks: the kind, its rulesets and the options of `http-check`.
public struct ProxyCheckConfig: Equatable, Sendable {
    public var kind: CheckKind = .layer4
    /// The `http-check` ruleset (with the implicit send rule of `option httpchk`) and the
    /// section it belongs to: a proxy's first own http-check line starts a fresh ruleset, as
    /// HAProxy names rulesets after their proxy (the defaults' is then no longer used).
    public var httpRules: [CheckRule] = []
    public var httpRulesOwner: SourceLocation? = nil
    /// The `tcp-check` ruleset, same ownership rule.
    public var tcpRules: [CheckRule] = []
    public var tcpRulesOwner: SourceLocation? = nil
    /// `option smtpchk [EHLO|HELO domain]`: the greeting command (default `HELO localhost`).
    public var smtpGreeting = "HELO localhost"
    /// `option mysql-check [user U [post-41|pre-41]]`.
    public var mysqlUser: String? = nil
    public var mysqlPost41 = true
    /// `option pgsql-check user U`.
    public var pgsqlUser = ""
    /// `http-check disable-on-404`: a 404 puts an UP server in NOLB (stopping) instead of DOWN.
    public var disableOn404 = false
    /// `http-check send-state`: add `X-Haproxy-Server-State` to HTTP checks.
    public var sendState = false
    public init() {}
}

/// One rule of a check ruleset.
public struct CheckRule: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        case connect(CheckConnect)
        case send(CheckSend)
        case expect(CheckExpect)
        /// A `comment` line: its text goes to the following rules.
        case comment
        case setVar(name: String, expression: CheckExpression)
        case unsetVar(name: String)
    }
    public var action: Action
    public var comment: String?
    /// Position in its ruleset as HAProxy numbers it ("at step index+1").
    public var index: Int
    public var location: SourceLocation
    public init(_ action: Action, comment: String? = nil, index: Int = 0, location: SourceLocation) {
        self.action = action; self.comment = comment; self.index = index; self.location = location
    }
}

/// `tcp-check connect` / `http-check connect` options.
public struct CheckConnect: Equatable, Sendable {
    public var port: Int? = nil
    /// `addr ADDR[:PORT]`.
    public var host: String? = nil
    public var hostPort: Int? = nil
    public var sendProxy = false
    public var linger = false
    /// `via-socks4`: through the server's `socks4` proxy.
    public var viaSocks4 = false
    /// `default`: use the server's check settings (port, addr, check-send-proxy).
    public var useServerSettings = false
    /// Added by ringproxy in front of a ruleset without a connect (HAProxy's implicit connect).
    public var implicit = false
    public init() {}
}

/// A `send` rule.
public enum CheckSend: Equatable, Sendable {
    /// `send STRING` / `send-binary HEX`.
    case bytes([UInt8])
    /// `send-lf FMT` / `send-binary-lf FMT` (the result is hexadecimal text when binary).
    case format(CheckFormat, binary: Bool)
    /// `http-check send …` (or the request of `option httpchk`).
    case http(HTTPCheckSend)
}

/// The request of an HTTP check; nil fields keep the defaults (`OPTIONS / HTTP/1.0`).
public struct HTTPCheckSend: Equatable, Sendable {
    public struct Header: Equatable, Sendable {
        public var name: String
        public var value: CheckFormat
        public init(name: String, value: CheckFormat) { self.name = name; self.value = value }
    }
    public var method: String? = nil
    public var uri: CheckFormat? = nil
    public var version: String? = nil
    public var headers: [Header] = []
    public var body: CheckFormat? = nil
    /// Comes from `option httpchk` (merged with the first explicit `http-check send`).
    public var fromOption = false
    public init() {}
}

/// An `expect` rule.
public struct CheckExpect: Equatable, Sendable {
    public enum Match: Equatable, Sendable {
        case string([UInt8])
        case regex(String)
        case binary([UInt8])
        case binaryRegex(String)
        case stringFormat(CheckFormat)
        case binaryFormat(CheckFormat)
        case httpStatus([ClosedRange<Int>])
        case httpStatusRegex(String)
        case httpHeader(CheckHeaderMatch)
        case httpBody([UInt8])
        case httpBodyRegex(String)
        case httpBodyFormat(CheckFormat)
        case custom(CheckCustomExpect)
    }
    public var match: Match
    public var inverse = false
    /// `min-recv N` (-1: none).
    public var minRecv = -1
    public var okStatus: CheckStatus? = nil
    public var errorStatus: CheckStatus? = nil
    public var timeoutStatus: CheckStatus? = nil
    public var onSuccess: CheckFormat? = nil
    public var onError: CheckFormat? = nil
    /// `status-code EXPR`: the check's code on the result.
    public var statusCode: CheckExpression? = nil
    public init(_ match: Match) { self.match = match }
}

/// `expect [f]hdr name [-m M] N [value [-m M] V]`.
public struct CheckHeaderMatch: Equatable, Sendable {
    public enum Method: String, Equatable, Sendable { case str, beg, end, sub, reg }
    public var nameMethod: Method = .str
    public var name: CheckFormat
    public var valueMethod: Method = .str
    public var value: CheckFormat? = nil
    /// `fhdr`: values are whole lines (not split at commas).
    public var fullValue = false
    public init(name: CheckFormat) { self.name = name }
}

/// Expect functions HAProxy implements in C for its protocol checks.
public enum CheckCustomExpect: String, Equatable, Sendable {
    case mysqlInitialHandshake, mysqlOK, ldapBindResponse, agentReply, spopAgentHello
}

/// A string with `%[EXPR]` parts (HAProxy's log-format, limited to what checks need).
public struct CheckFormat: Equatable, Sendable {
    public enum Part: Equatable, Sendable {
        case text([UInt8])
        case expression(CheckExpression)
    }
    public var parts: [Part]
    public init(_ parts: [Part]) { self.parts = parts }
    public init(literal: String) { parts = literal.isEmpty ? [] : [.text(Array(literal.utf8))] }
    /// The literal text when there is no expression.
    public var literal: [UInt8]? {
        var out: [UInt8] = []
        for p in parts { guard case .text(let t) = p else { return nil }; out += t }
        return out
    }
}

/// A sample expression as checks use them: one fetch and converters.
public struct CheckExpression: Equatable, Sendable {
    public enum Fetch: Equatable, Sendable {
        case variable(String)            // var(check.NAME)
        case string(String)              // str(TEXT)
        case integer(Int)                // int(N)
        case backendName                 // be_name
        case serverName                  // srv_name
        case responseHeader(String, full: Bool)      // res.hdr(NAME) / res.fhdr(NAME)
        case responsePayload(offset: Int, length: Int)   // res.payload(O,L), L=0: to the end
        case date                        // date()
    }
    public enum Converter: Equatable, Sendable {
        case hex, htonl, cutCRLF, lower, upper
        case ltrim([UInt8]), rtrim([UInt8])
    }
    public var fetch: Fetch
    public var converters: [Converter] = []
    public init(_ fetch: Fetch, _ converters: [Converter] = []) { self.fetch = fetch; self.converters = converters }
}
