// `option http-restrict-req-hdr-names`: what a proxy does with request header names that hold
// characters outside [A-Za-z0-9-] once its http-request rules have run (FastCGI and some
// servers fold `_` and `-` together, so `X_Forwarded-For` could pass for `X-Forwarded-For`).

/// The policy, as HAProxy 2.6 names it.
public enum HeaderNamePolicy: String, Equatable, Sendable {
    /// Forward such headers (the default).
    case preserve
    /// Remove them from the request.
    case delete
    /// Answer 403, as `http-request deny` does.
    case reject
}

enum HeaderNamePolicyKeywords {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("option http-restrict-req-hdr-names", .proxies, "option http-restrict-req-hdr-names preserve|delete|reject",
                      "Request headers whose name has a character outside [A-Za-z0-9-], after this proxy's http-request rules: forward (preserve, the default), remove (delete) or refuse with 403 (reject).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "option http-restrict-req-hdr-names preserve|delete|reject")
            guard let policy = HeaderNamePolicy(rawValue: line.argument(0)!) else {
                throw line.error("invalid value '\(line.argument(0)!)'; expected 'preserve', 'delete' or 'reject'")
            }
            state.proxy.rules.headerNamePolicy = policy
        },
        ConfigKeyword("use-fcgi-app", .backendSide, "use-fcgi-app NAME", "Send the backend's requests to a FastCGI application (not implemented).") { _, line throws(ConfigError) in
            throw line.error("FastCGI ('use-fcgi-app') is not implemented in ringproxy; its servers must speak HTTP")
        },
    ]
}
