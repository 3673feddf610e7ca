// `option X` keywords (and `no option X` to cancel one inherited from defaults).

enum OptionKeywords {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("option httplog", .frontendSide, "option httplog", "HAProxy's HTTP log line for each request.", negatable: true) { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "option httplog ('clf' is not supported)")
            state.proxy.httpLog = !line.negated
            // One log format per proxy, as in HAProxy: this replaces an earlier or inherited log-format.
            if !line.negated { state.proxy.rules.logFormatText = nil }
        },
        ConfigKeyword("option dontlognull", .frontendSide, "option dontlognull",
                      "Do not log connections that sent no data.", negatable: true) { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "option dontlognull")
            state.proxy.dontLogNull = !line.negated
        },
        ConfigKeyword("option redispatch", .backendSide, "option redispatch",
                      "On the last retry, give up persistence and pick another server.", negatable: true) { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "option redispatch (the retry interval argument is not supported)")
            state.proxy.redispatch = !line.negated
        },
        ConfigKeyword("option abortonclose", .backendSide, "option abortonclose",
                      "Abort queued or connecting requests whose client has closed.", negatable: true) { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "option abortonclose")
            state.proxy.abortOnClose = !line.negated
        },
        connectionMode("option httpclose", .close, "Close both sides after each response (HAProxy 1.4 behaviour).", modern: nil),
        connectionMode("option http-server-close", .serverClose, "Keep the client connection, close the server one after each response.", modern: nil),
        connectionMode("option http-keep-alive", .keepAlive, "Keep-alive on both sides (the 2.x default).", modern: nil),
        connectionMode("option forceclose", .close, "Legacy spelling of `option httpclose`.", modern: "option httpclose"),
        ConfigKeyword("option forwardfor", .proxies, "option forwardfor [except NET] [header NAME] [if-none]",
                      "Append X-Forwarded-For with the client address.", negatable: true) { state, line throws(ConfigError) in
            if line.negated {
                try line.expectArguments(0...0, "no option forwardfor")
                state.proxy.forwardFor = nil
                return
            }
            let ff = try forwardingOptions(line, ForwardForConfig(), allowIfNone: true)
            state.proxy.forwardFor = ff
        },
    ]

    /// The words `option forwardfor` and `option originalto` share (`except NET`, `header
    /// NAME`; forwardfor also `if-none`), applied to `base`.
    static func forwardingOptions(_ line: KeywordLine, _ base: ForwardForConfig, allowIfNone: Bool) throws(ConfigError) -> ForwardForConfig {
        var c = base
        var i = 0
        while let word = line.argument(i) {
            switch word {
            case "except":
                guard let net = line.argument(i + 1) else { throw line.error("missing network after 'except'; expected e.g. 'except 127.0.0.0/8'") }
                guard AddressParser.isNetwork(net) else { throw line.error("invalid network '\(net)' after 'except'; expected ADDR[/MASK]") }
                c.exceptNetwork = net; i += 2
            case "header":
                guard let name = line.argument(i + 1), !name.isEmpty else { throw line.error("missing header name after 'header'") }
                c.header = name; i += 2
            case "if-none" where allowIfNone:
                c.ifNone = true; i += 1
            default:
                throw line.error(EditDistance.unknownMessage("option", word, allowIfNone ? ["except", "header", "if-none"] : ["except", "header"]))
            }
        }
        return c
    }

    static func connectionMode(_ name: String, _ mode: HttpConnectionMode, _ summary: String, modern: String?) -> ConfigKeyword {
        ConfigKeyword(name, .proxies, name, summary, modern: modern, negatable: modern == nil) { state, line throws(ConfigError) in
            try line.expectArguments(0...0, name)
            if line.negated {
                if state.proxy.connectionMode == mode { state.proxy.connectionMode = .keepAlive }
                return
            }
            state.proxy.connectionMode = mode
            if let modern { state.note(line.location, "'\(name)' is legacy (removed in HAProxy 2.0); HAProxy 2.x spells it '\(modern)'") }
        }
    }
}
