// Addresses as HAProxy writes them: `IP:PORT`, `:PORT`, `*:PORT`, `[v6]:PORT` or `v6:PORT`
// (the last colon separates the port), plus hostnames for servers and loggers.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum AddressParser {
    struct HostPort { var host: String; var port: Int? }

    /// Splits `text` at the last colon; `[v6]` brackets are removed. The port is nil when absent.
    static func split(_ text: String) -> (host: String, port: String?) {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            return (host, rest.hasPrefix(":") ? String(rest.dropFirst()) : (rest.isEmpty ? nil : String(rest)))
        }
        guard let colon = text.lastIndex(of: ":") else { return (text, nil) }
        let host = String(text[..<colon])
        // A bare IPv6 address without a port ("::1") has several colons and no port.
        if host.contains(":"), isIPv6(text) { return (text, nil) }
        return (host, String(text[text.index(after: colon)...]))
    }

    static func isIPv4(_ text: String) -> Bool {
        var addr = in_addr()
        return inet_pton(AF_INET, text, &addr) == 1
    }

    static func isIPv6(_ text: String) -> Bool {
        var addr = in6_addr()
        return inet_pton(AF_INET6, text, &addr) == 1
    }

    static func isIP(_ text: String) -> Bool { isIPv4(text) || isIPv6(text) }

    /// Short and classic IPv4 forms the C resolver accepts (`10.10.188` is 10.10.0.188,
    /// `127.1` is 127.0.0.1), as dotted quads; nil for anything else. HAProxy accepts them
    /// because it hands addresses to the resolver.
    static func normalizedIPv4(_ text: String) -> String? {
        guard !text.isEmpty, text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }),
              text.utf8.contains(UInt8(ascii: ".")), !isIPv4(text) else { return nil }
        var addr = in_addr()
        guard inet_aton(text, &addr) != 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A host name: labels of letters, digits, '-' and '_' (Docker and Kubernetes service names
    /// have them; the resolver accepts them), with at least one letter (so "300.1.1.1" is not one).
    static func isHostname(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 253, text.unicodeScalars.contains(where: { $0.properties.isAlphabetic }) else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
        }
    }

    /// A port 1..65535, or an error message.
    static func port(_ text: String) -> Result<Int, AddressError> {
        guard let value = ConfigUnits.integer(text) else { return .failure(AddressError("invalid port '\(text)'; expected a number 1..65535")) }
        guard (1...65535).contains(value) else { return .failure(AddressError("port \(value) out of range; expected 1..65535")) }
        return .success(value)
    }

    /// A network `IP[/MASK]` as used by `src` ACLs and `forwardfor except`.
    static func isNetwork(_ text: String) -> Bool {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard isIP(parts[0]) else { return false }
        guard parts.count == 2 else { return true }
        if let bits = ConfigUnits.integer(parts[1]) { return bits <= (isIPv4(parts[0]) ? 32 : 128) }
        return isIPv4(parts[0]) && isIPv4(parts[1])
    }
}

struct AddressError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
