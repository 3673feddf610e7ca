// The `resolvers NAME` section as HAProxy 2.6 reads it: `nameserver`, `parse-resolv-conf`,
// `resolve_retries`, `timeout resolve|retry`, `hold STATUS PERIOD`, `accepted_payload_size`.
// Any other keyword is an error (the registry's "unknown keyword in a 'resolvers' section").
#if canImport(Glibc)
import Glibc
#endif
import Foundation

enum ResolversKeywords {
    static func open(_ words: [String], at location: SourceLocation, state: inout ParseState) {
        guard words.count >= 2, !words[1].isEmpty else {
            state.errors.append(ConfigError(location, "resolvers", "missing name for resolvers section; expected 'resolvers NAME'"))
            state.config.resolvers.append(ResolversConfig(name: "", location: location))
            return
        }
        let name = words[1]
        if words.count > 2 { state.errors.append(ConfigError(location, "resolvers", "unexpected argument '\(words[2])'; expected 'resolvers NAME'")) }
        if let other = state.config.resolvers.first(where: { $0.name == name }) {
            state.errors.append(ConfigError(location, "resolvers", "Parsing [resolvers \(name)]: resolvers '\(name)' has the same name as another resolvers (declared at \(other.location))"))
        }
        state.config.resolvers.append(ResolversConfig(name: name, location: location))
    }

    static func last(_ state: inout ParseState) -> Int { state.config.resolvers.count - 1 }

    static let statuses = ["nx", "other", "refused", "timeout", "valid", "obsolete"]

    static let all: [ConfigKeyword] = [
        ConfigKeyword("nameserver", .resolvers, "nameserver NAME ADDR[:PORT]",
                      "Resolvers: a name server queried over UDP (IPv4; default port 53).") { state, line throws(ConfigError) in
            try line.expectArguments(2...2, "nameserver NAME ADDR[:PORT]")
            let name = line.argument(0)!
            let r = last(&state)
            if let other = state.config.resolvers[r].nameservers.first(where: { $0.name == name }) {
                throw line.error("nameserver '\(name)' already exists in resolvers '\(state.config.resolvers[r].name)' (declared at \(other.location))")
            }
            let (host, port) = try nameserverAddress(state.environment.expandInAddress(line.argument(1)!), line)
            state.config.resolvers[r].nameservers.append(.init(name: name, host: host, port: port, location: line.location))
        },
        ConfigKeyword("parse-resolv-conf", .resolvers, "parse-resolv-conf",
                      "Resolvers: adds the IPv4 name servers of /etc/resolv.conf, in its order.") { state, line throws(ConfigError) in
            try line.expectArguments(0...0, "parse-resolv-conf")
            let r = last(&state)
            state.config.resolvers[r].parseResolvConf = true
            let text = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
            for (ip, n) in resolvConfNameservers(text).enumerated().map({ ($0.element, $0.offset + 1) }) {
                if AddressParser.isIPv4(ip) {
                    state.config.resolvers[r].nameservers.append(.init(name: "resolvconf\(n)", host: ip, port: 53, location: line.location))
                } else {
                    state.warn(line.location, "parse-resolv-conf: name server '\(ip)' of /etc/resolv.conf skipped: ringproxy queries IPv4 name servers only")
                }
            }
        },
        ConfigKeyword("resolve_retries", .resolvers, "resolve_retries N",
                      "Resolvers: queries sent before a resolution gives up (default 3).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "resolve_retries N")
            state.config.resolvers[last(&state)].resolveRetries = try line.integer(0, "resolve_retries", in: 1...100)
        },
        ConfigKeyword("timeout resolve", .resolvers, "timeout resolve TIME",
                      "Resolvers: how often resolutions are considered (default 1s).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "timeout resolve TIME")
            state.config.resolvers[last(&state)].timeoutResolve = max(1, try line.time(0, "timeout resolve"))
        },
        ConfigKeyword("timeout retry", .resolvers, "timeout retry TIME",
                      "Resolvers: time between two queries without a valid answer (default 1s).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "timeout retry TIME")
            state.config.resolvers[last(&state)].timeoutRetry = max(1, try line.time(0, "timeout retry"))
        },
        ConfigKeyword("hold", .resolvers, "hold nx|other|refused|timeout|valid|obsolete PERIOD",
                      "Resolvers: `hold valid` is how long an answer is used before the name is resolved again; the others how long a valid answer outlives an error.") { state, line throws(ConfigError) in
            try line.expectArguments(2...2, "hold STATUS PERIOD")
            let status = try line.oneOf(0, "hold status", statuses)
            state.config.resolvers[last(&state)].hold[status] = try line.time(1, "hold \(status)")
        },
        ConfigKeyword("accepted_payload_size", .resolvers, "accepted_payload_size N",
                      "Resolvers: the largest answer accepted, 512 to 65535 (above 512, EDNS0 is announced).") { state, line throws(ConfigError) in
            try line.expectArguments(1...1, "accepted_payload_size N")
            state.config.resolvers[last(&state)].acceptedPayloadSize = try line.integer(0, "accepted_payload_size", in: 512...65535)
        },
    ]

    /// `[udp@|udp4@|ipv4@]IP[:PORT]` (a host name is resolved now, as HAProxy does).
    static func nameserverAddress(_ written: String, _ line: KeywordLine) throws(ConfigError) -> (String, Int) {
        var text = written
        for p in ["udp@", "udp4@", "ipv4@"] { if let rest = text.dropPrefix(p) { text = rest; break } }
        if text.hasPrefix("tcp") || text.hasPrefix("stream@") {
            throw line.error("name servers over TCP ('\(written)') are not implemented yet in ringproxy; use a UDP address")
        }
        if text.hasPrefix("udp6@") || text.hasPrefix("ipv6@") || text.hasPrefix("[") || text.filter({ $0 == ":" }).count > 1 {
            throw line.error("IPv6 name servers ('\(written)') are not implemented yet in ringproxy; use an IPv4 address")
        }
        if text.contains("@") { throw line.error("invalid address '\(written)' for a name server; expected IP:PORT") }
        let (host, portText) = AddressParser.split(text)
        var port = 53
        if let portText, !portText.isEmpty {
            switch AddressParser.port(portText) {
            case .success(let p): port = p
            case .failure(let e): throw line.error("\(e.message) in '\(written)'")
            }
        }
        // HAProxy reads an empty address (`${DNS}:53` with DNS unset) as 0.0.0.0.
        if host.isEmpty || host == "*" { return ("0.0.0.0", port) }
        if AddressParser.isIPv4(host) { return (AddressParser.normalizedIPv4(host) ?? host, port) }
        guard AddressParser.isHostname(host), let ip = PeersKeywords.resolve(host), AddressParser.isIPv4(ip) else {
            throw line.error("invalid name server address '\(host)' in '\(written)'")
        }
        return (ip, port)
    }

    /// The `nameserver` lines of a resolv.conf text.
    static func resolvConfNameservers(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { l -> String? in
            let w = l.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return w.count >= 2 && w[0] == "nameserver" ? String(w[1]) : nil
        }
    }

    /// Servers name existing sections; a section has a name server (HAProxy's errors).
    static func checkReferences(_ state: inout ParseState) {
        for r in state.config.resolvers where r.nameservers.isEmpty && !r.name.isEmpty {
            if r.parseResolvConf {
                state.warn(r.location, "resolvers '\(r.name)': no usable name server in /etc/resolv.conf")
            } else {
                state.errors.append(ConfigError(r.location, "resolvers", "resolvers '\(r.name)': no nameserver configured (add 'nameserver NAME IP:PORT' or 'parse-resolv-conf')"))
            }
        }
        for p in state.config.proxies where p.kind != .defaults {
            for s in p.servers {
                guard let want = s.options.resolution?.resolvers, !want.isEmpty else { continue }
                if !state.config.resolvers.contains(where: { $0.name == want }) {
                    state.errors.append(ConfigError(s.location, "server", "unable to find required resolvers '\(want)' for server '\(p.name)/\(s.name)'"))
                }
            }
        }
    }
}
