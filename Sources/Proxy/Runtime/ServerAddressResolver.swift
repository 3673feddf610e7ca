// Server addresses given by host name (`server web1 web1:80`, docker-compose's `web_1`) are
// resolved once, after the configuration is read and before `-c` says it is valid, with the libc
// resolver as HAProxy does (an IPv4 address first, as its gethostbyname; else IPv6). The
// configuration then holds the address literals; a name that does not resolve is an error
// naming its file and line.
#if canImport(Glibc)
import Glibc
#endif

package enum ServerAddressResolver {
    /// The configuration with every server and `addr` host name replaced by its address. With
    /// `dontFail` (`-dr`), a name that does not resolve leaves its server in maintenance at
    /// 0.0.0.0, with a warning, as HAProxy does.
    package static func resolved(_ config: Configuration, dontFail: Bool = false) throws(ConfigErrors) -> Configuration {
        var config = config
        var errors: [ConfigError] = []
        for p in config.proxies.indices {
            for s in config.proxies[p].servers.indices {
                let server = config.proxies[p].servers[s]
                let what = "'server \(config.proxies[p].name)/\(server.name)'"
                if let literal = literal(server.host) {
                    config.proxies[p].servers[s].host = literal
                } else if dontFail {
                    config.proxies[p].servers[s].host = "0.0.0.0"
                    config.proxies[p].servers[s].disabled = true
                    config.warnings.append("\(server.location): \(what): could not resolve address '\(server.host)', disabled (-dr)")
                } else {
                    errors.append(ConfigError(file: server.location.file, line: server.location.line, keyword: "server",
                                              message: "\(what): could not resolve address '\(server.host)'"))
                }
                if let a = server.checkAddr {
                    if let literal = literal(a) { config.proxies[p].servers[s].checkAddr = literal }
                    else {
                        errors.append(ConfigError(file: server.location.file, line: server.location.line, keyword: "server",
                                                  message: "\(what): could not resolve check address '\(a)'"))
                    }
                }
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors: errors, warnings: config.warnings) }
        return config
    }

    /// The address literal for `host` (itself when it is one already), nil when it does not resolve.
    package static func literal(_ host: String) -> String? {
        if host.isEmpty || host == "*" || isLiteral(host) { return host }
        return lookup(host, family: AF_INET) ?? lookup(host, family: AF_INET6)
    }

    static func isLiteral(_ host: String) -> Bool {
        var a4 = in_addr(), a6 = in6_addr()
        let h6 = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, h6, &a6) == 1
    }

    private static func lookup(_ host: String, family: Int32) -> String? {
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, nil, &hints, &res) == 0, let ai = res else { return nil }
        defer { freeaddrinfo(res) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok: Bool
        if family == AF_INET {
            ok = ai.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var a = sin.pointee.sin_addr
                return inet_ntop(AF_INET, &a, &text, socklen_t(text.count)) != nil
            }
        } else {
            ok = ai.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                var a = sin6.pointee.sin6_addr
                return inet_ntop(AF_INET6, &a, &text, socklen_t(text.count)) != nil
            }
        }
        return ok ? String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }
}
