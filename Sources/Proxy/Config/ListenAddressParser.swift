// The address part of `bind` and `stats socket` as HAProxy's str2sa_range reads it:
// `[ADDR]:PORT[-PORT]`, `ipv4@…`, `ipv6@…`, `fd@N`, `unix@PATH`, `/PATH`, `abns@NAME`.
// Each comma-separated item is expanded from the environment first (`bind :$PORT`).

enum ListenAddressParser {
    /// The addresses of one item (a port range gives several).
    static func parse(_ text: String) -> Result<[ListenAddress], AddressError> {
        if text.isEmpty { return .failure(AddressError("missing address; expected [ADDR]:PORT, fd@N, unix@PATH or abns@NAME")) }
        if let rest = text.dropPrefix("fd@") {
            guard let fd = ConfigUnits.integer(rest), fd <= Int(Int32.max) else {
                return .failure(AddressError("invalid file descriptor '\(rest)' in '\(text)'; expected fd@N with N a number"))
            }
            return .success([.inheritedFD(Int32(fd))])
        }
        if let path = text.dropPrefix("unix@") ?? (text.hasPrefix("/") ? text : nil) {
            guard !path.isEmpty else { return .failure(AddressError("missing path after 'unix@'")) }
            guard path.utf8.count < 108 else { return .failure(AddressError("UNIX socket path '\(path)' too long (at most 107 bytes)")) }
            return .success([.unixPath(path)])
        }
        if let name = text.dropPrefix("abns@") {
            guard !name.isEmpty else { return .failure(AddressError("missing name after 'abns@'")) }
            guard name.utf8.count < 107 else { return .failure(AddressError("abstract socket name '\(name)' too long (at most 106 bytes)")) }
            return .success([.abstractNamespace(name)])
        }
        var family = 0          // 4, 6 or 0 (either)
        var rest = text
        if let r = text.dropPrefix("ipv4@") { family = 4; rest = r }
        else if let r = text.dropPrefix("ipv6@") { family = 6; rest = r }
        else if let at = text.firstIndex(of: "@") {
            let prefix = String(text[...at])
            let kind = ["udp@", "udp4@", "udp6@", "quic4@", "quic6@", "sockpair@", "uxdg@", "uxst@"].contains(prefix)
                ? "'\(prefix)' addresses are not supported by ringproxy" : "unknown address prefix '\(prefix)'"
            return .failure(AddressError("\(kind); expected ipv4@, ipv6@, unix@, abns@, fd@ or none"))
        }
        let (rawHost, portText) = AddressParser.split(rest)
        guard let portText, !portText.isEmpty else {
            return .failure(AddressError("missing port specification in '\(text)'; expected [ADDR]:PORT"))
        }
        var host = rawHost
        if host == "localhost" { host = family == 6 ? "::1" : "127.0.0.1" }
        if let v4 = AddressParser.normalizedIPv4(host) { host = v4 }
        if host.isEmpty || host == "*" {
            host = family == 6 ? "::" : (family == 4 ? "0.0.0.0" : host)
        } else if AddressParser.isIPv4(host) {
            if family == 6 { return .failure(AddressError("'\(host)' is not an IPv6 address (ipv6@)")) }
        } else if AddressParser.isIPv6(host) {
            if family == 4 { return .failure(AddressError("'\(host)' is not an IPv4 address (ipv4@)")) }
        } else {
            return .failure(AddressError("invalid address '\(host)'; expected an IPv4 or IPv6 address, '*' or nothing before ':PORT'"))
        }
        let range = portText.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var ports: [Int] = []
        for p in range {
            switch AddressParser.port(p) {
            case .success(let n): ports.append(n)
            case .failure(let e): return .failure(e)
            }
        }
        let low = ports[0], high = ports.count > 1 ? ports[1] : ports[0]
        guard low <= high else { return .failure(AddressError("invalid port range '\(portText)'; the first port must not exceed the second")) }
        guard high - low < 1024 else { return .failure(AddressError("port range '\(portText)' too large; ringproxy binds at most 1024 ports per range")) }
        return .success((low...high).map { .tcp(host: host, port: $0) })
    }
}

extension String {
    /// The rest after `prefix`, or nil when the string does not start with it.
    func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
