// `option originalto [except NET] [header NAME]`: X-Original-To with the address the client
// connected to (after the request rules: set-dst), as HAProxy 2.6. Same shape as forwardfor.

enum OriginalToKeywords {
    static var all: [ConfigKeyword] {
        [ConfigKeyword("option originalto", .proxies, "option originalto [except NET] [header NAME]",
                       "Append X-Original-To with the destination address the client connected to.", negatable: true) { state, line throws(ConfigError) in
            if line.negated {
                try line.expectArguments(0...0, "no option originalto")
                state.proxy.originalTo = nil
                return
            }
            var base = ForwardForConfig()
            base.header = "X-Original-To"
            let c = try OptionKeywords.forwardingOptions(line, base, allowIfNone: false)
            state.proxy.originalTo = c
        }]
    }
}
