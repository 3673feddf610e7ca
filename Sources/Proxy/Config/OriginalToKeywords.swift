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
            var c = ForwardForConfig()
            c.header = "X-Original-To"
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
                default:
                    throw line.error(EditDistance.unknownMessage("option", word, ["except", "header"]))
                }
            }
            state.proxy.originalTo = c
        }]
    }
}
