// The sample fetches and converters ringproxy knows, with what HAProxy 2.6 says about each:
// arguments, output type, where it may be used and the ACL match method it implies. The
// configuration parser checks expressions against this table (errors name file:line); the
// rule compiler (Sources/Proxy/Rules) evaluates the kinds.

/// A sample fetch.
public enum FetchKind: String, Sendable, CaseIterable {
    // constants and process
    case alwaysTrue = "always_true", alwaysFalse = "always_false", env, date, hostname, nbproc, proc, thread, nbthread, pid
    case rand, uuid, str, bool, int, ipv4, ipv6, bin, meth, variable = "var", stopping
    // connection and proxies
    case src, srcPort = "src_port", dst, dstPort = "dst_port", soID = "so_id", soName = "so_name"
    case fcSrc = "fc_src", fcSrcPort = "fc_src_port", fcDst = "fc_dst", fcDstPort = "fc_dst_port"
    case feName = "fe_name", feID = "fe_id", beName = "be_name", beID = "be_id", srvName = "srv_name", srvID = "srv_id"
    case beServerTimeout = "be_server_timeout", beTunnelTimeout = "be_tunnel_timeout"
    case curServerTimeout = "cur_server_timeout", curTunnelTimeout = "cur_tunnel_timeout", feClientTimeout = "fe_client_timeout"
    case srvSessRate = "srv_sess_rate", srvConn = "srv_conn", srvIsUp = "srv_is_up"   // ServerFetches.swift
    case feConn = "fe_conn", feSessRate = "fe_sess_rate", feReqRate = "fe_req_rate"   // ProxyCounterFetches.swift
    case beConn = "be_conn", beSessRate = "be_sess_rate"
    case nbsrv, sslFC = "ssl_fc", sslCUsed = "ssl_c_used", sslFCHasSNI = "ssl_fc_has_sni", sslFCSNI = "ssl_fc_sni"
    // request
    case method, path, pathq, query, url, base, baseq, base32, url32, urlIP = "url_ip", urlPort = "url_port"
    case urlParam = "url_param", urlParamVal = "urlp_val"
    case hdr                                   // request or response, by direction
    case reqHdr = "req.hdr", reqFhdr = "req.fhdr", reqHdrCnt = "req.hdr_cnt", reqFhdrCnt = "req.fhdr_cnt"
    case reqHdrIP = "req.hdr_ip", reqHdrVal = "req.hdr_val", reqHdrNames = "req.hdr_names"
    case reqCook = "req.cook", reqCookCnt = "req.cook_cnt", reqCookVal = "req.cook_val", reqVer = "req.ver"
    case cookie                                // request or response cookie, by direction
    case httpAuth = "http_auth", httpAuthGroup = "http_auth_group", httpAuthType = "http_auth_type"
    case httpAuthUser = "http_auth_user", httpAuthPass = "http_auth_pass", httpFirstReq = "http_first_req"
    case reqProtoHTTP = "req.proto_http"
    case reqBody = "req.body", reqBodyLen = "req.body_len", reqBodySize = "req.body_size", reqBodyParam = "req.body_param"
    // the request buffer of a TCP stream (a TLS ClientHello: TLSClientHello.swift)
    case reqSSLSNI = "req.ssl_sni", reqSSLHelloType = "req.ssl_hello_type", reqSSLVer = "req.ssl_ver"
    case reqSSLALPN = "req.ssl_alpn", reqSSLECExt = "req.ssl_ec_ext", reqSSLSTExt = "req.ssl_st_ext"
    case reqRDPCookie = "req.rdp_cookie", reqRDPCookieCnt = "req.rdp_cookie_cnt"   // RDPCookie.swift
    case captureReqHdr = "capture.req.hdr", captureReqMethod = "capture.req.method"
    case captureReqURI = "capture.req.uri", captureReqVer = "capture.req.ver"
    case uniqueID = "unique-id"
    // response
    case status, resHdr = "res.hdr", resFhdr = "res.fhdr", resHdrCnt = "res.hdr_cnt", resFhdrCnt = "res.fhdr_cnt"
    case resHdrIP = "res.hdr_ip", resHdrVal = "res.hdr_val", resHdrNames = "res.hdr_names"
    case resCook = "res.cook", resCookCnt = "res.cook_cnt", resCookVal = "res.cook_val", resVer = "res.ver"
    case captureResHdr = "capture.res.hdr", captureResVer = "capture.res.ver"
    case resCacheHit = "res.cache_hit", resCacheName = "res.cache_name"
    // stick counters: sc_*, scN_*, src_* (StickSampleSyntax; the name says which)
    case stickCounter = "sc_*"
    // layer-6 contents (BufferFetch.swift): the bytes of the request / response buffer
    case reqLen = "req.len", reqPayload = "req.payload", reqPayloadLV = "req.payload_lv"
    case resBody = "res.body", resBodyLen = "res.body_len", resBodySize = "res.body_size"
    case resLen = "res.len", resPayload = "res.payload", resPayloadLV = "res.payload_lv"
    case waitEnd = "wait_end"
    // the last rule that ended a rule set (HAProxy 2.6's last_rule_file / last_rule_line)
    case lastRuleFile = "last_rule_file", lastRuleLine = "last_rule_line"
    // the TLVs of the client's PROXY v2 header
    case fcPPAuthority = "fc_pp_authority", fcPPUniqueID = "fc_pp_unique_id"
}

/// A converter.
public enum ConverterKind: String, Sendable, CaseIterable {
    case lower, upper, length, base64, b64dec, ub64enc, ub64dec, hex, hex2i, json, bool, not, odd, even
    case and, or, xor, cpl, add, sub, mul, div, mod, neg, ipmask, field, word, regsub, concat, strcmp
    case bytes, ltrim, rtrim, cutCRLF = "cut_crlf", urlDec = "url_dec", urlEnc = "url_enc"
    case crc32, djb2, sdbm, wt6, ltime, utime, httpDate = "http_date", iif, addItem = "add_item"
    case setVar = "set-var", unsetVar = "unset-var", captureReq = "capture-req", captureRes = "capture-res"
    case map                                   // map_<match>[_<output>] and map(); see MapSpec
    case stickTable = "table_*"                // table_<data>(T) and in_table(T); see StickSampleSyntax
    case sha1, sha2, digest, hmac, crc32c, xxh32, xxh64, xxh3, secureMemcmp = "secure_memcmp", be2dec, be2hex
    case jsonQuery = "json_query"
    case fixIsValid = "fix_is_valid", fixTagValue = "fix_tag_value"   // FIXMessage.swift
    case mqttIsValid = "mqtt_is_valid", mqttFieldValue = "mqtt_field_value"   // MQTTPacket.swift
}

/// Where a fetch may be used (HAProxy's SMP_USE_* groups, reduced to what rules need).
public enum SampleUsage: Sendable {
    case anywhere
    case requestHeaders          // HTTP request rules only
    case requestBuffer           // the request's first bytes: tcp-request content rules (and HTTP request rules)
    case requestPermanent        // request rules, response rules and logs (method, captures)
    case responseHeaders         // HTTP response rules only
    case responsePermanent       // response rules and logs (status)
    case eitherDirection         // hdr, cookie: the message being processed
    case server                  // once a server is chosen: response rules and logs
    case backend                 // once a backend is chosen: not in a frontend's request rules
    case requestContent          // the request's bytes (HAProxy's L6REQ): content rules onwards
    case responseContent         // the response's bytes (L6RES): response rules only
}

/// Where an expression is evaluated.
public enum SampleContext: Sendable {
    /// request: rules of a section with a backend side; frontendRequest: a frontend's.
    case request, frontendRequest, response, log

    func allows(_ u: SampleUsage) -> Bool {
        switch (u, self) {
        case (.anywhere, _): return true
        case (.backend, .frontendRequest): return false
        case (.backend, _): return true
        case (.requestHeaders, .frontendRequest), (.eitherDirection, .frontendRequest): return true
        case (.requestHeaders, .request), (.eitherDirection, .request), (.eitherDirection, .response): return true
        case (.requestBuffer, .frontendRequest), (.requestBuffer, .request): return true
        case (.requestPermanent, _): return true
        case (.responseHeaders, .response), (.responsePermanent, .response), (.responsePermanent, .log): return true
        case (.server, .response), (.server, .log): return true
        case (.requestContent, .request), (.requestContent, .frontendRequest), (.requestContent, .response): return true
        case (.responseContent, .response): return true
        default: return false
        }
    }

    /// HAProxy's wording for what a fetch needs.
    static func need(_ u: SampleUsage) -> String {
        switch u {
        case .requestHeaders, .requestPermanent: return "HTTP request headers"
        case .responseHeaders, .responsePermanent: return "HTTP response headers"
        case .eitherDirection: return "HTTP headers"
        case .requestBuffer: return "request buffer"
        case .server: return "a server"
        case .backend: return "backend"
        case .requestContent: return "L6 request contents"
        case .responseContent: return "L6 response contents"
        case .anywhere: return "nothing"
        }
    }
}

/// What an argument must be.
public enum SampleArgKind: Sendable {
    case string, integer, ipv4, ipv6, mask4, mask6, regex, userlist, table, backend, variable, file, dateUnit
    /// `[BACKEND/]SERVER` (a bare name is a server of the proxy the expression is in).
    case server
    /// A variable name, or empty for none (concat's and add_item's middle argument).
    case optionalVariable
}

public struct FetchSpec: Sendable {
    public let kind: FetchKind
    public let args: [SampleArgKind]
    public let required: Int
    public let output: SampleType
    public let usage: SampleUsage
    /// The match method an ACL uses when none is given.
    public let defaultMatch: AclMatch
}

public struct ConverterSpec: Sendable {
    public let kind: ConverterKind
    public let args: [SampleArgKind]
    public let required: Int
    public let input: SampleType
    public let output: SampleType
}

public enum SampleCatalog {
    static func f(_ k: FetchKind, _ args: [SampleArgKind] = [], _ required: Int = 0, _ out: SampleType, _ use: SampleUsage,
                  _ match: AclMatch? = nil) -> FetchSpec {
        let dflt: AclMatch
        if let match { dflt = match } else {
            switch out {
            case .bool: dflt = .bool
            case .int: dflt = .int
            case .ipv4, .ipv6, .addr: dflt = .ip
            case .binary: dflt = .binary
            default: dflt = .exact
            }
        }
        return FetchSpec(kind: k, args: args, required: required, output: out, usage: use, defaultMatch: dflt)
    }

    /// Every fetch, by every name it is written with.
    public static let fetches: [String: FetchSpec] = {
        let hdrArgs: [SampleArgKind] = [.string, .integer]
        let list: [(String, FetchSpec)] = [
            ("always_true", f(.alwaysTrue, [], 0, .bool, .anywhere)),
            ("always_false", f(.alwaysFalse, [], 0, .bool, .anywhere)),
            ("env", f(.env, [.string], 1, .string, .anywhere)),
            ("date", f(.date, [.integer, .dateUnit], 0, .int, .anywhere)),
            ("hostname", f(.hostname, [], 0, .string, .anywhere)),
            ("nbproc", f(.nbproc, [], 0, .int, .anywhere)),
            ("proc", f(.proc, [], 0, .int, .anywhere)),
            ("thread", f(.thread, [], 0, .int, .anywhere)),
            ("nbthread", f(.nbthread, [], 0, .int, .anywhere)),
            ("pid", f(.pid, [], 0, .int, .anywhere)),
            ("rand", f(.rand, [.integer], 0, .int, .anywhere)),
            ("uuid", f(.uuid, [.integer], 0, .string, .anywhere)),
            ("stopping", f(.stopping, [], 0, .bool, .anywhere)),
            ("str", f(.str, [.string], 1, .string, .anywhere)),
            ("bool", f(.bool, [.string], 1, .bool, .anywhere)),
            ("int", f(.int, [.integer], 1, .int, .anywhere)),
            ("ipv4", f(.ipv4, [.ipv4], 1, .ipv4, .anywhere)),
            ("ipv6", f(.ipv6, [.ipv6], 1, .ipv6, .anywhere)),
            ("bin", f(.bin, [.string], 1, .binary, .anywhere)),
            ("meth", f(.meth, [.string], 1, .method, .anywhere)),
            ("var", f(.variable, [.variable, .string], 1, .any, .anywhere, .exact)),
            ("src", f(.src, [], 0, .addr, .anywhere, .ip)),
            ("src_port", f(.srcPort, [], 0, .int, .anywhere)),
            ("dst", f(.dst, [], 0, .addr, .anywhere, .ip)),
            ("dst_port", f(.dstPort, [], 0, .int, .anywhere)),
            ("fc_src", f(.fcSrc, [], 0, .addr, .anywhere, .ip)),
            ("fc_src_port", f(.fcSrcPort, [], 0, .int, .anywhere)),
            ("fc_dst", f(.fcDst, [], 0, .addr, .anywhere, .ip)),
            ("fc_dst_port", f(.fcDstPort, [], 0, .int, .anywhere)),
            ("so_id", f(.soID, [], 0, .int, .anywhere)),
            ("so_name", f(.soName, [], 0, .string, .anywhere)),
            ("be_server_timeout", f(.beServerTimeout, [], 0, .int, .backend)),
            ("be_tunnel_timeout", f(.beTunnelTimeout, [], 0, .int, .backend)),
            ("cur_server_timeout", f(.curServerTimeout, [], 0, .int, .backend)),
            ("cur_tunnel_timeout", f(.curTunnelTimeout, [], 0, .int, .backend)),
            ("fe_client_timeout", f(.feClientTimeout, [], 0, .int, .anywhere)),
            ("fe_name", f(.feName, [], 0, .string, .anywhere)),
            ("fe_id", f(.feID, [], 0, .int, .anywhere)),
            ("be_name", f(.beName, [], 0, .string, .backend)),
            ("be_id", f(.beID, [], 0, .int, .backend)),
            ("srv_name", f(.srvName, [], 0, .string, .server)),
            ("srv_id", f(.srvID, [], 0, .int, .server)),
            ("nbsrv", f(.nbsrv, [.backend], 0, .int, .anywhere)),
            ("srv_sess_rate", f(.srvSessRate, [.server], 1, .int, .anywhere)),
            ("srv_conn", f(.srvConn, [.server], 1, .int, .anywhere)),
            ("srv_is_up", f(.srvIsUp, [.server], 1, .bool, .anywhere)),
            ("fe_conn", f(.feConn, [.string], 0, .int, .anywhere)),
            ("fe_sess_rate", f(.feSessRate, [.string], 0, .int, .anywhere)),
            ("fe_req_rate", f(.feReqRate, [.string], 0, .int, .anywhere)),
            ("be_conn", f(.beConn, [.backend], 0, .int, .anywhere)),
            ("be_sess_rate", f(.beSessRate, [.backend], 0, .int, .anywhere)),
            ("ssl_fc", f(.sslFC, [], 0, .bool, .anywhere)),
            ("ssl_c_used", f(.sslCUsed, [], 0, .bool, .anywhere)),
            ("ssl_fc_has_sni", f(.sslFCHasSNI, [], 0, .bool, .anywhere)),
            ("ssl_fc_sni", f(.sslFCSNI, [], 0, .string, .anywhere)),
            ("method", f(.method, [], 0, .method, .requestPermanent, .exact)),
            ("path", f(.path, [], 0, .string, .requestHeaders)),
            ("pathq", f(.pathq, [], 0, .string, .requestHeaders)),
            ("query", f(.query, [], 0, .string, .requestHeaders)),
            ("url", f(.url, [], 0, .string, .requestHeaders)),
            ("base", f(.base, [], 0, .string, .requestHeaders)),
            ("baseq", f(.baseq, [], 0, .string, .requestHeaders)),
            ("base32", f(.base32, [], 0, .int, .requestHeaders)),
            ("url32", f(.url32, [], 0, .int, .requestHeaders)),
            ("url_ip", f(.urlIP, [], 0, .ipv4, .requestHeaders)),
            ("url_port", f(.urlPort, [], 0, .int, .requestHeaders)),
            ("url_param", f(.urlParam, [.string, .string], 0, .string, .requestHeaders)),
            ("urlp", f(.urlParam, [.string, .string], 0, .string, .requestHeaders)),
            ("urlp_val", f(.urlParamVal, [.string, .string], 0, .int, .requestHeaders)),
            ("hdr", f(.hdr, hdrArgs, 0, .string, .eitherDirection)),
            ("req.hdr", f(.reqHdr, hdrArgs, 0, .string, .requestHeaders)),
            ("req.fhdr", f(.reqFhdr, hdrArgs, 0, .string, .requestHeaders)),
            ("hdr_cnt", f(.reqHdrCnt, [.string], 0, .int, .requestHeaders)),
            ("req.hdr_cnt", f(.reqHdrCnt, [.string], 0, .int, .requestHeaders)),
            ("req.fhdr_cnt", f(.reqFhdrCnt, [.string], 0, .int, .requestHeaders)),
            ("hdr_ip", f(.reqHdrIP, hdrArgs, 0, .ipv4, .requestHeaders)),
            ("req.hdr_ip", f(.reqHdrIP, hdrArgs, 0, .ipv4, .requestHeaders)),
            ("hdr_val", f(.reqHdrVal, hdrArgs, 0, .int, .requestHeaders)),
            ("req.hdr_val", f(.reqHdrVal, hdrArgs, 0, .int, .requestHeaders)),
            ("req.hdr_names", f(.reqHdrNames, [.string], 0, .string, .requestHeaders)),
            ("cook", f(.reqCook, [.string], 0, .string, .requestHeaders)),
            ("req.cook", f(.reqCook, [.string], 0, .string, .requestHeaders)),
            ("cook_cnt", f(.reqCookCnt, [.string], 0, .int, .requestHeaders)),
            ("req.cook_cnt", f(.reqCookCnt, [.string], 0, .int, .requestHeaders)),
            ("cook_val", f(.reqCookVal, [.string], 0, .int, .requestHeaders)),
            ("req.cook_val", f(.reqCookVal, [.string], 0, .int, .requestHeaders)),
            ("cookie", f(.cookie, [.string], 0, .string, .eitherDirection)),
            ("req.ver", f(.reqVer, [], 0, .string, .requestHeaders)),
            ("req_ver", f(.reqVer, [], 0, .string, .requestHeaders)),
            ("req.proto_http", f(.reqProtoHTTP, [], 0, .bool, .requestPermanent)),
            ("req.body", f(.reqBody, [], 0, .binary, .requestHeaders)),
            ("req.body_len", f(.reqBodyLen, [], 0, .int, .requestHeaders)),
            ("req.body_size", f(.reqBodySize, [], 0, .int, .requestHeaders)),
            ("req.body_param", f(.reqBodyParam, [.string], 0, .string, .requestHeaders)),
            ("req_proto_http", f(.reqProtoHTTP, [], 0, .bool, .requestPermanent)),
            ("req.ssl_sni", f(.reqSSLSNI, [], 0, .string, .requestBuffer)),
            ("req_ssl_sni", f(.reqSSLSNI, [], 0, .string, .requestBuffer)),
            ("req.ssl_hello_type", f(.reqSSLHelloType, [], 0, .int, .requestBuffer)),
            ("req_ssl_hello_type", f(.reqSSLHelloType, [], 0, .int, .requestBuffer)),
            ("req.ssl_ver", f(.reqSSLVer, [], 0, .int, .requestBuffer)),
            ("req_ssl_ver", f(.reqSSLVer, [], 0, .int, .requestBuffer)),
            ("req.ssl_alpn", f(.reqSSLALPN, [], 0, .string, .requestBuffer)),
            ("req.ssl_ec_ext", f(.reqSSLECExt, [], 0, .bool, .requestBuffer)),
            ("req.ssl_st_ext", f(.reqSSLSTExt, [], 0, .int, .requestBuffer)),
            ("req.rdp_cookie", f(.reqRDPCookie, [.string], 0, .string, .requestBuffer)),
            ("rdp_cookie", f(.reqRDPCookie, [.string], 0, .string, .requestBuffer)),
            ("req.rdp_cookie_cnt", f(.reqRDPCookieCnt, [.string], 0, .int, .requestBuffer)),
            ("rdp_cookie_cnt", f(.reqRDPCookieCnt, [.string], 0, .int, .requestBuffer)),
            ("http_auth", f(.httpAuth, [.userlist], 1, .bool, .requestHeaders)),
            ("http_auth_group", f(.httpAuthGroup, [.userlist], 1, .string, .requestHeaders)),
            ("http_auth_type", f(.httpAuthType, [], 0, .string, .requestHeaders)),
            ("http_auth_user", f(.httpAuthUser, [], 0, .string, .requestHeaders)),
            ("http_auth_pass", f(.httpAuthPass, [], 0, .string, .requestHeaders)),
            ("http_first_req", f(.httpFirstReq, [], 0, .bool, .requestPermanent)),
            ("capture.req.hdr", f(.captureReqHdr, [.integer], 1, .string, .requestPermanent)),
            ("capture.req.method", f(.captureReqMethod, [], 0, .string, .requestPermanent)),
            ("capture.req.uri", f(.captureReqURI, [], 0, .string, .requestPermanent)),
            ("capture.req.ver", f(.captureReqVer, [], 0, .string, .requestPermanent)),
            ("unique-id", f(.uniqueID, [], 0, .string, .anywhere)),
            ("status", f(.status, [], 0, .int, .responsePermanent)),
            ("res.hdr", f(.resHdr, hdrArgs, 0, .string, .responseHeaders)),
            ("shdr", f(.resHdr, hdrArgs, 0, .string, .responseHeaders)),
            ("res.fhdr", f(.resFhdr, hdrArgs, 0, .string, .responseHeaders)),
            ("res.hdr_cnt", f(.resHdrCnt, [.string], 0, .int, .responseHeaders)),
            ("shdr_cnt", f(.resHdrCnt, [.string], 0, .int, .responseHeaders)),
            ("res.fhdr_cnt", f(.resFhdrCnt, [.string], 0, .int, .responseHeaders)),
            ("res.hdr_ip", f(.resHdrIP, hdrArgs, 0, .ipv4, .responseHeaders)),
            ("shdr_ip", f(.resHdrIP, hdrArgs, 0, .ipv4, .responseHeaders)),
            ("res.hdr_val", f(.resHdrVal, hdrArgs, 0, .int, .responseHeaders)),
            ("shdr_val", f(.resHdrVal, hdrArgs, 0, .int, .responseHeaders)),
            ("res.hdr_names", f(.resHdrNames, [.string], 0, .string, .responseHeaders)),
            ("res.cook", f(.resCook, [.string], 0, .string, .responseHeaders)),
            ("scook", f(.resCook, [.string], 0, .string, .responseHeaders)),
            ("set-cookie", f(.resCook, [.string], 0, .string, .responseHeaders)),
            ("res.cook_cnt", f(.resCookCnt, [.string], 0, .int, .responseHeaders)),
            ("scook_cnt", f(.resCookCnt, [.string], 0, .int, .responseHeaders)),
            ("res.cook_val", f(.resCookVal, [.string], 0, .int, .responseHeaders)),
            ("scook_val", f(.resCookVal, [.string], 0, .int, .responseHeaders)),
            ("res.ver", f(.resVer, [], 0, .string, .responseHeaders)),
            ("res.cache_hit", f(.resCacheHit, [], 0, .bool, .responseHeaders)),
            ("res.cache_name", f(.resCacheName, [], 0, .string, .responseHeaders)),
            ("resp_ver", f(.resVer, [], 0, .string, .responseHeaders)),
            ("capture.res.hdr", f(.captureResHdr, [.integer], 1, .string, .responsePermanent)),
            ("capture.res.ver", f(.captureResVer, [], 0, .string, .requestPermanent)),
            ("req.len", f(.reqLen, [], 0, .int, .requestContent)),
            ("req_len", f(.reqLen, [], 0, .int, .requestContent)),
            ("req.payload", f(.reqPayload, [.integer, .integer], 2, .binary, .requestContent)),
            ("payload", f(.reqPayload, [.integer, .integer], 2, .binary, .requestContent)),
            ("req.payload_lv", f(.reqPayloadLV, [.integer, .integer, .string], 2, .binary, .requestContent)),
            ("payload_lv", f(.reqPayloadLV, [.integer, .integer, .string], 2, .binary, .requestContent)),
            ("res.len", f(.resLen, [], 0, .int, .responseContent)),
            ("res.body", f(.resBody, [], 0, .binary, .responseHeaders)),
            ("res.body_len", f(.resBodyLen, [], 0, .int, .responseHeaders)),
            ("res.body_size", f(.resBodySize, [], 0, .int, .responseHeaders)),
            ("res.payload", f(.resPayload, [.integer, .integer], 2, .binary, .responseContent)),
            ("res.payload_lv", f(.resPayloadLV, [.integer, .integer, .string], 2, .binary, .responseContent)),
            ("wait_end", f(.waitEnd, [], 0, .bool, .anywhere)),
            ("last_rule_file", f(.lastRuleFile, [], 0, .string, .anywhere)),
            ("last_rule_line", f(.lastRuleLine, [], 0, .int, .anywhere)),
            ("fc_pp_authority", f(.fcPPAuthority, [], 0, .string, .anywhere)),
            ("fc_pp_unique_id", f(.fcPPUniqueID, [], 0, .string, .anywhere)),
        ]
        return Dictionary(list, uniquingKeysWith: { a, _ in a })
    }()

    /// ACL-only names: a fetch with a match method (`hdr_beg(host)` is `hdr(host) -m beg`).
    public static let aclSuffixBases = ["base", "cook", "hdr", "path", "url", "urlp", "scook", "shdr"]
    public static let aclSuffixes: [String: AclMatch] = [
        "beg": .beginning, "dir": .directory, "dom": .domain, "end": .ending, "len": .length,
        "reg": .regex, "sub": .substring,
    ]

    /// The fetch and implied match of an ACL-only name, if `name` is one.
    public static func aclForm(_ name: String) -> (FetchSpec, AclMatch)? {
        guard let us = name.lastIndex(of: "_") else { return nil }
        let base = String(name[..<us]), suffix = String(name[name.index(after: us)...])
        guard aclSuffixBases.contains(base), let m = aclSuffixes[suffix], let spec = fetches[base] else { return nil }
        return (spec, m)
    }

    static func c(_ k: ConverterKind, _ args: [SampleArgKind] = [], _ required: Int = 0, _ input: SampleType, _ output: SampleType) -> ConverterSpec {
        ConverterSpec(kind: k, args: args, required: required, input: input, output: output)
    }

    public static let converters: [String: ConverterSpec] = {
        let list: [(String, ConverterSpec)] = [
            ("lower", c(.lower, [], 0, .string, .string)),
            ("upper", c(.upper, [], 0, .string, .string)),
            ("length", c(.length, [], 0, .string, .int)),
            ("base64", c(.base64, [], 0, .binary, .string)),
            ("b64dec", c(.b64dec, [], 0, .string, .binary)),
            ("ub64enc", c(.ub64enc, [], 0, .binary, .string)),
            ("ub64dec", c(.ub64dec, [], 0, .string, .binary)),
            ("hex", c(.hex, [], 0, .binary, .string)),
            ("hex2i", c(.hex2i, [], 0, .string, .int)),
            ("json", c(.json, [.string], 0, .string, .string)),
            ("bool", c(.bool, [], 0, .int, .bool)),
            ("not", c(.not, [], 0, .int, .bool)),
            ("odd", c(.odd, [], 0, .int, .bool)),
            ("even", c(.even, [], 0, .int, .bool)),
            ("and", c(.and, [.string], 1, .int, .int)),
            ("or", c(.or, [.string], 1, .int, .int)),
            ("xor", c(.xor, [.string], 1, .int, .int)),
            ("cpl", c(.cpl, [], 0, .int, .int)),
            ("add", c(.add, [.string], 1, .int, .int)),
            ("sub", c(.sub, [.string], 1, .int, .int)),
            ("mul", c(.mul, [.string], 1, .int, .int)),
            ("div", c(.div, [.string], 1, .int, .int)),
            ("mod", c(.mod, [.string], 1, .int, .int)),
            ("neg", c(.neg, [], 0, .int, .int)),
            ("ipmask", c(.ipmask, [.mask4, .mask6], 1, .addr, .ipv4)),
            ("field", c(.field, [.integer, .string, .integer], 2, .string, .string)),
            ("word", c(.word, [.integer, .string, .integer], 2, .string, .string)),
            ("regsub", c(.regsub, [.regex, .string, .string], 2, .string, .string)),
            ("concat", c(.concat, [.string, .optionalVariable, .string], 1, .string, .string)),
            ("strcmp", c(.strcmp, [.variable], 1, .string, .int)),
            ("bytes", c(.bytes, [.integer, .integer], 1, .binary, .binary)),
            ("ltrim", c(.ltrim, [.string], 1, .string, .string)),
            ("rtrim", c(.rtrim, [.string], 1, .string, .string)),
            ("cut_crlf", c(.cutCRLF, [], 0, .string, .string)),
            ("url_dec", c(.urlDec, [.integer], 0, .string, .string)),
            ("url_enc", c(.urlEnc, [.string], 0, .string, .string)),
            ("crc32", c(.crc32, [.integer], 0, .binary, .int)),
            ("djb2", c(.djb2, [.integer], 0, .binary, .int)),
            ("sdbm", c(.sdbm, [.integer], 0, .binary, .int)),
            ("wt6", c(.wt6, [.integer], 0, .binary, .int)),
            ("ltime", c(.ltime, [.string, .integer], 1, .int, .string)),
            ("utime", c(.utime, [.string, .integer], 1, .int, .string)),
            ("http_date", c(.httpDate, [.integer, .string], 0, .int, .string)),
            ("iif", c(.iif, [.string, .string], 2, .bool, .string)),
            ("add_item", c(.addItem, [.string, .optionalVariable, .string], 2, .string, .string)),
            ("set-var", c(.setVar, [.variable, .string, .string, .string, .string], 1, .any, .any)),
            ("unset-var", c(.unsetVar, [.variable], 1, .any, .any)),
            ("capture-req", c(.captureReq, [.integer], 1, .string, .string)),
            ("capture-res", c(.captureRes, [.integer], 1, .string, .string)),
            ("sha1", c(.sha1, [], 0, .binary, .binary)),
            ("sha2", c(.sha2, [.integer], 0, .binary, .binary)),
            ("digest", c(.digest, [.string], 1, .binary, .binary)),
            ("hmac", c(.hmac, [.string, .string], 2, .binary, .binary)),
            ("crc32c", c(.crc32c, [.integer], 0, .binary, .int)),
            ("xxh32", c(.xxh32, [.integer], 0, .binary, .int)),
            ("xxh64", c(.xxh64, [.integer], 0, .binary, .int)),
            ("xxh3", c(.xxh3, [.integer], 0, .binary, .int)),
            ("secure_memcmp", c(.secureMemcmp, [.variable], 1, .binary, .bool)),
            ("be2dec", c(.be2dec, [.string, .integer, .integer], 2, .binary, .string)),
            ("be2hex", c(.be2hex, [.string, .integer, .integer], 0, .binary, .string)),
            ("json_query", c(.jsonQuery, [.string, .string], 1, .string, .any)),
            ("fix_is_valid", c(.fixIsValid, [], 0, .binary, .bool)),
            ("fix_tag_value", c(.fixTagValue, [.string], 1, .binary, .string)),
            ("mqtt_is_valid", c(.mqttIsValid, [], 0, .binary, .bool)),
            ("mqtt_field_value", c(.mqttFieldValue, [.string, .string], 2, .binary, .string)),
        ]
        return Dictionary(list, uniquingKeysWith: { a, _ in a })
    }()

    /// `map`, `map_str`, `map_beg_int`, ...: the match method and the output type.
    public static func mapForm(_ name: String) -> MapSpec? {
        if name == "map" { return MapSpec(match: .exact, output: .string, regexBackrefs: false) }
        guard name.hasPrefix("map_") else { return nil }
        let parts = name.dropFirst(4).split(separator: "_").map(String.init)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        let out: SampleType
        if parts.count == 2 {
            switch parts[1] { case "str": out = .string; case "int": out = .int; case "ip": out = .addr; default: return nil }
        } else { out = .string }
        switch parts[0] {
        case "str": return MapSpec(match: .exact, output: out, regexBackrefs: false)
        case "beg": return MapSpec(match: .beginning, output: out, regexBackrefs: false)
        case "sub": return MapSpec(match: .substring, output: out, regexBackrefs: false)
        case "dir": return MapSpec(match: .directory, output: out, regexBackrefs: false)
        case "dom": return MapSpec(match: .domain, output: out, regexBackrefs: false)
        case "end": return MapSpec(match: .ending, output: out, regexBackrefs: false)
        case "reg": return MapSpec(match: .regex, output: out, regexBackrefs: false)
        case "regm": return MapSpec(match: .regex, output: out, regexBackrefs: true)
        case "ip": return MapSpec(match: .ip, output: out, regexBackrefs: false)
        case "int": return MapSpec(match: .int, output: out, regexBackrefs: false)
        case "len": return MapSpec(match: .length, output: out, regexBackrefs: false)
        default: return nil
        }
    }
}

/// A map converter's lookup method and output type.
public struct MapSpec: Equatable, Sendable {
    public var match: AclMatch
    public var output: SampleType
    /// map_regm: the value may use the key regex's captures (\1...).
    public var regexBackrefs: Bool
}
