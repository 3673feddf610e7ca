// The target of a `log` line, in HAProxy's address syntax for datagram loggers.

#if canImport(Glibc)
import Glibc
#endif

enum LogAddressParser {
    static let forms = "ADDR[:PORT], udp@ADDR[:PORT], udp4@…, udp6@…, /PATH, unix@PATH, stdout, stderr, fd@N or ring@NAME"

    static func parse(_ text: String, _ line: KeywordLine) throws(ConfigError) -> LogAddress {
        switch text {
        case "stdout": return .fd(1)
        case "stderr": return .fd(2)
        default: break
        }
        if let name = text.dropPrefix("ring@") {
            guard !name.isEmpty else { throw line.error("missing ring name after 'ring@'") }
            return .ring(name)
        }
        if let n = text.dropPrefix("fd@") {
            guard let fd = ConfigUnits.integer(n), fd <= Int(Int32.max) else {
                throw line.error("invalid file descriptor '\(n)' after 'fd@'; expected a number such as 1 (stdout) or 2 (stderr)")
            }
            return .fd(Int32(fd))
        }
        if text.hasPrefix("/") { return .unix(path: text) }
        if let path = text.dropPrefix("unix@") {
            guard !path.isEmpty else { throw line.error("missing path after 'unix@'") }
            return .unix(path: path)
        }
        for stream in ["tcp@", "tcp4@", "tcp6@"] where text.hasPrefix(stream) {
            throw line.error("'\(stream)' log targets are not supported; declare a 'ring' section with a 'server' line and log to 'ring@NAME'")
        }
        if text.hasPrefix("abns@") || text.hasPrefix("sockpair@") {
            throw line.error("'\(text)' is not a supported log target; expected one of \(forms)")
        }
        var rest = text
        var family: Int32? = nil
        for (prefix, f) in [("udp4@", AF_INET), ("ipv4@", AF_INET), ("udp6@", AF_INET6), ("ipv6@", AF_INET6), ("udp@", 0)] {
            if let r = text.dropPrefix(prefix) { rest = r; family = f == 0 ? nil : Int32(f); break }
        }
        var (host, portText) = AddressParser.split(rest)
        // `:PORT` or `:` (e.g. an unset `${VAR}:${PORT}`): every address, as in HAProxy.
        if host.isEmpty && portText != nil { host = family == Int32(AF_INET6) ? "::" : "0.0.0.0" }
        guard AddressParser.isIP(host) || AddressParser.isHostname(host) else {
            throw line.error("invalid address '\(host)' in log target '\(text)'; expected one of \(forms)")
        }
        if family == Int32(AF_INET), AddressParser.isIPv6(host) { throw line.error("'\(text)': an IPv6 address after an IPv4-only prefix") }
        if family == Int32(AF_INET6), AddressParser.isIPv4(host) { throw line.error("'\(text)': an IPv4 address after an IPv6-only prefix") }
        var port = 514
        if let portText, !portText.isEmpty {
            switch AddressParser.port(portText) {
            case .success(let p): port = p
            case .failure(let e): throw line.error(e.message)
            }
        }
        return .udp(host: host, port: port, family: family)
    }
}
