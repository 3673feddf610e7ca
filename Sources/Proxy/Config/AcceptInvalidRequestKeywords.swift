// `option accept-invalid-http-request`: HAProxy relaxes its request parser (a `#` in the
// target, invalid characters in header names, ...). ringproxy relaxes only the `#` (what
// `http-request normalize-uri fragment-strip|fragment-encode` is for) and says so.

enum AcceptInvalidRequestKeywords {
    static var all: [ConfigKeyword] {
        [ConfigKeyword("option accept-invalid-http-request", .proxies, "option accept-invalid-http-request",
                       "Accept a '#' (fragment) in the request target; other invalid requests are still refused.",
                       negatable: true) { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "option accept-invalid-http-request")
            state.proxy.acceptInvalidHTTPRequest = !line.negated
            if !line.negated {
                state.warn(line.location, "'option accept-invalid-http-request': ringproxy accepts only a '#' in the request target; other invalid characters are still refused")
            }
        }]
    }
}
