// HAProxy's `init-addr` policy: how a server named by a host name gets its first address.
// The methods are tried in order (default `last,libc`; `-dr` appends `none`):
// - `last`: the address the server-state file remembers (ringproxy keeps no state file: skipped);
// - `libc`: the system resolver, in the address family `ipv4@`/`ipv6@` forces (else any; as
//   in HAProxy, `resolve-prefer` only guides `resolvers` sections, not this first lookup);
// - `none`: start the server in maintenance, without an address;
// - an IP address: use it.
// Pure: the caller gives the lookup (Runtime/ServerAddressResolver.swift does getaddrinfo),
// so that start-up and `-c` can share it and tests can stub it.

public enum InitAddrPolicy {
    public enum Outcome: Equatable, Sendable {
        /// Use this address (`fellBack`: an earlier method failed and an IP given in init-addr won).
        case address(String, fellBack: Bool)
        /// `none`: the server starts in maintenance.
        case maintenance
        /// No method gave an address.
        case failure
    }

    /// The lookup a caller provides: host name and forced family (4, 6 or nil) → an IP address.
    public typealias Lookup = (_ host: String, _ family: Int?) -> String?

    public static func resolve(host: String, methods: [String], family: Int?, dontFail: Bool, lookup: Lookup) -> Outcome {
        var failed = false
        for method in methods + (dontFail ? ["none"] : []) {
            switch method {
            case "last":
                continue
            case "libc":
                if let a = lookup(host, family) { return .address(a, fellBack: false) }
                failed = true
            case "none":
                return .maintenance
            default:
                return .address(method, fellBack: failed)
            }
        }
        return .failure
    }

    /// Gives every server written with a host name (and every `dispatch` host) an address.
    /// Returns the notices (a fallback, a server parked in maintenance) and the failures,
    /// each naming the server and the configuration line.
    public static func apply(_ configuration: inout Configuration, dontFail: Bool, lookup: Lookup) -> (notices: [String], failures: [ConfigError]) {
        var notices: [String] = [], failures: [ConfigError] = []
        for p in configuration.proxies.indices {
            let proxyName = configuration.proxies[p].name
            for s in configuration.proxies[p].servers.indices {
                var server = configuration.proxies[p].servers[s]
                guard server.options.socket == nil, !server.host.isEmpty, !AddressParser.isIP(server.host) else { continue }
                let name = "\(proxyName)/\(server.name)"
                if server.host.hasPrefix("_"), server.options.resolution?.resolvers.isEmpty == false {
                    // An SRV label: only the resolvers can answer it. The slot waits in
                    // maintenance (resolution) for its record, as in HAProxy.
                    server.options.hostname = server.host
                    server.options.unresolved = true
                    configuration.proxies[p].servers[s] = server
                    continue
                }
                switch resolve(host: server.host, methods: server.options.initAddr, family: server.options.addressFamily,
                               dontFail: dontFail, lookup: lookup) {
                case .address(let a, let fellBack):
                    if fellBack { notices.append("\(server.location): server '\(name)': could not resolve address '\(server.host)', falling back to configured address \(a).") }
                    server.options.hostname = server.host
                    server.host = a
                case .maintenance:
                    notices.append("\(server.location): server '\(name)': could not resolve address '\(server.host)', disabling server (init-addr none).")
                    server.options.hostname = server.host
                    server.options.unresolved = true
                    server.disabled = true          // maintenance, as HAProxy's MAINT (resolution)
                case .failure:
                    failures.append(ConfigError(server.location, "", "server '\(name)': could not resolve address '\(server.host)' (add 'init-addr last,libc,none' to start without it, or run with -dr)."))
                }
                configuration.proxies[p].servers[s] = server
            }
            if let d = configuration.proxies[p].identity.dispatch, !AddressParser.isIP(d.host) {
                if let a = lookup(d.host, nil) {
                    configuration.proxies[p].identity.dispatch?.host = a
                } else {
                    failures.append(ConfigError(d.location, "", "'dispatch' of proxy '\(proxyName)': could not resolve address '\(d.host)'."))
                }
            }
        }
        return (notices, failures)
    }
}
