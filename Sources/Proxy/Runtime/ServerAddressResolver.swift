// Server addresses given by host name (`server web1 web1:80`, docker-compose's `web_1`) are
// resolved once, after the configuration is read and before `-c` says it is valid, following
// each server's `init-addr` policy (InitAddrPolicy; default `last,libc`, `-dr` appends `none`).
// `libc` is the system resolver as HAProxy uses it: an IPv4 address first, as its
// gethostbyname, else IPv6; `ipv4@`/`ipv6@` force the family. The configuration then holds the
// address literals; a name that gets no address is an error naming its file and line.
#if canImport(Glibc)
import Glibc
#endif
import CUring       // sys/socket.h's SOCK_STREAM for a debug (per-file) build

package enum ServerAddressResolver {
    /// The configuration with every server, `dispatch` and `addr` host name replaced by its
    /// address. A server whose policy ends in `none` (or with `dontFail`, `-dr`) that gets no
    /// address starts in maintenance, with a warning, as HAProxy does.
    package static func resolved(_ config: Configuration, dontFail: Bool = false) throws(ConfigErrors) -> Configuration {
        var config = config
        let (notices, failures) = InitAddrPolicy.apply(&config, dontFail: dontFail, lookup: lookup)
        config.warnings += notices
        var errors = failures
        for p in config.proxies.indices {
            for s in config.proxies[p].servers.indices {
                let server = config.proxies[p].servers[s]
                guard let a = server.checkAddr else { continue }
                if let literal = literal(a) { config.proxies[p].servers[s].checkAddr = literal }
                else {
                    errors.append(ConfigError(file: server.location.file, line: server.location.line, keyword: "server",
                                              message: "'server \(config.proxies[p].name)/\(server.name)': could not resolve check address '\(a)'"))
                }
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors: errors, warnings: config.warnings) }
        return config
    }

    /// The address literal for `host` (itself when it is one already), nil when it does not resolve.
    package static func literal(_ host: String) -> String? {
        if host.isEmpty || host == "*" || isLiteral(host) { return host }
        return lookup(host, family: nil)
    }

    /// `libc`: getaddrinfo in the forced family (4 or 6), else IPv4 first, then IPv6.
    package static func lookup(_ host: String, family: Int?) -> String? {
        switch family {
        case 4: return lookup(host, family: AF_INET)
        case 6: return lookup(host, family: AF_INET6)
        default: return lookup(host, family: AF_INET) ?? lookup(host, family: AF_INET6)
        }
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
