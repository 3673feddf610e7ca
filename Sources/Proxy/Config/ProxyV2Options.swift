// `server … proxy-v2-options OPT[,OPT]*` (configuration.txt 5.2): the TLVs a PROXY v2 header
// carries. ringproxy has no TLS, so the options that describe a TLS connection (ssl, cert-cn,
// ssl-cipher, cert-sig, cert-key) are an error; authority (the one the client's own PROXY
// header carried: without TLS there is no SNI), crc32c and unique-id (the frontend's
// unique-id-format) are sent as HAProxy 2.6's make_proxy_line_v2 sends them.

public struct ProxyV2Options: Equatable, Sendable {
    public var crc32c = false
    public var authority = false
    public var uniqueID = false
    public init() {}

    static let tlsOnly: Set<String> = ["ssl", "cert-cn", "ssl-cipher", "cert-sig", "cert-key"]
    static let known = ["ssl", "cert-cn", "ssl-cipher", "cert-sig", "cert-key", "authority", "crc32c", "unique-id"]

    static func parse(_ value: String, _ line: KeywordLine) throws(ConfigError) -> ProxyV2Options {
        var o = ProxyV2Options()
        for word in value.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            switch word {
            case "crc32c": o.crc32c = true
            case "authority": o.authority = true
            case "unique-id": o.uniqueID = true
            default:
                if tlsOnly.contains(word) {
                    throw line.error("'proxy-v2-options \(word)' describes a TLS connection; ringproxy has no TLS")
                }
                throw line.error("'proxy-v2-options' : unknown option '\(word)' (expected one of \(known.joined(separator: ", ")))")
            }
        }
        return o
    }
}
