// The options after the address of a `bind` or `stats socket` line. Every option HAProxy 2.6
// knows is recognised (so that its value is skipped and the rest of the line still checked);
// each one ringproxy does not implement is its own error, so one run lists them all.

enum BindOptionParser {
    enum Use { case bind, statsSocket }

    /// HAProxy 2.6's bind options and whether they take a value.
    static let takesValue: [String: Bool] = [
        "accept-netscaler-cip": true, "accept-proxy": false, "allow-0rtt": false, "alpn": true, "backlog": true,
        "curves": true, "ecdhe": true, "ca-file": true, "ca-ignore-err": true, "ca-sign-file": true,
        "ca-sign-pass": true, "ca-verify-file": true, "ciphers": true, "ciphersuites": true, "crl-file": true,
        "crt": true, "crt-ignore-err": true, "crt-list": true, "defer-accept": false, "expose-fd": true,
        "force-sslv3": false, "force-tlsv10": false, "force-tlsv11": false, "force-tlsv12": false, "force-tlsv13": false,
        "generate-certificates": false, "gid": true, "group": true, "id": true, "interface": true, "level": true,
        "severity-output": true, "maxconn": true, "mode": true, "mss": true, "name": true, "namespace": true,
        "nice": true, "no-ca-names": false, "no-sslv3": false, "no-tls-tickets": false, "no-tlsv10": false,
        "no-tlsv11": false, "no-tlsv12": false, "no-tlsv13": false, "npn": true, "prefer-client-ciphers": false,
        "process": true, "proto": true, "quic-cc-algo": true, "quic-force-retry": false, "shards": true, "ssl": false,
        "ssl-max-ver": true, "ssl-min-ver": true, "strict-sni": false, "tcp-ut": true, "tfo": false, "thread": true,
        "tls-ticket-keys": true, "transparent": false, "v4v6": false, "v6only": false, "uid": true, "user": true,
        "verify": true,
    ]

    static let tlsOptions: Set<String> = [
        "allow-0rtt", "alpn", "curves", "ecdhe", "ca-file", "ca-ignore-err", "ca-sign-file", "ca-sign-pass",
        "ca-verify-file", "ciphers", "ciphersuites", "crl-file", "crt", "crt-ignore-err", "crt-list", "force-sslv3",
        "force-tlsv10", "force-tlsv11", "force-tlsv12", "force-tlsv13", "generate-certificates", "no-ca-names",
        "no-sslv3", "no-tls-tickets", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "npn",
        "prefer-client-ciphers", "ssl", "ssl-max-ver", "ssl-min-ver", "strict-sni", "tls-ticket-keys", "verify",
        "quic-cc-algo", "quic-force-retry",
    ]

    struct Parsed {
        var options = BindOptions()
        var level: String? = nil
        var severityOutput: String? = nil
        var exposeListeners = false
        var errors: [ConfigError] = []
        var warnings: [String] = []
    }

    /// Reads the options from argument `start` to the end of the line.
    static func parse(_ line: KeywordLine, from start: Int, use: Use) -> Parsed {
        var out = Parsed()
        var i = start
        while let option = line.argument(i) {
            guard let hasValue = takesValue[option] else {
                let known = takesValue.keys.filter { !tlsOptions.contains($0) }.sorted()
                out.errors.append(line.error(EditDistance.unknownMessage("bind option", option, among: known,
                                                                         see: "the bind options are listed in section 5.1 of HAProxy's configuration manual")))
                i += 1
                continue
            }
            let value = hasValue ? line.argument(i + 1) : nil
            i += hasValue ? 2 : 1
            if hasValue && (value == nil || value!.isEmpty) {
                out.errors.append(line.error("'\(option)' expects a value"))
                continue
            }
            if let problem = apply(option, value, to: &out, use: use, line) { out.errors.append(line.error(problem)) }
        }
        return out
    }

    /// Applies one option; returns an error message for an unsupported option or a bad value.
    static func apply(_ option: String, _ value: String?, to out: inout Parsed, use: Use, _ line: KeywordLine) -> String? {
        let v = value ?? ""
        func number(_ range: ClosedRange<Int>) -> Int? {
            guard let n = ConfigUnits.integer(v), range.contains(n) else { return nil }
            return n
        }
        if tlsOptions.contains(option) {
            return "bind option '\(option)' needs TLS, which ringproxy does not have (terminate TLS in front of ringproxy, or pass it through with 'mode tcp')"
        }
        switch option {
        case "name": out.options.name = v
        case "id":
            guard let n = number(1...Int(Int32.max)) else { return "invalid id '\(v)'; expected a positive integer" }
            out.options.id = n
        case "interface": out.options.interface = v
        case "backlog":
            guard let n = number(1...Int(Int32.max)) else { return "invalid backlog '\(v)'; expected a positive integer" }
            out.options.backlog = n
        case "maxconn":
            guard let n = number(0...10_000_000) else { return "invalid maxconn '\(v)'; expected an integer" }
            out.options.maxconn = n
        case "mss":
            guard let n = number(1...65535) else { return "invalid mss '\(v)'; expected 1..65535" }
            out.options.mss = n
        case "tcp-ut":
            guard case .value(let t, let trailing) = ConfigUnits.time(v) else { return "invalid tcp-ut '\(v)'; expected a time such as 30s" }
            if trailing != nil { out.warnings.append("\(line.location): 'tcp-ut \(v)' read as \(t) ms (unexpected characters after the unit)") }
            out.options.tcpUserTimeout = t
        case "defer-accept": out.options.deferAccept = true
        case "tfo": out.options.tfo = true
        case "transparent": out.options.transparent = true
        case "v4v6": out.options.v6only = false
        case "v6only": out.options.v6only = true
        case "mode":
            guard !v.isEmpty, v.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }), let m = UInt32(v, radix: 8), m <= 0o7777 else {
                return "invalid mode '\(v)'; expected octal permissions such as 600 or 0660"
            }
            out.options.mode = m
        case "user": out.options.user = v
        case "group": out.options.group = v
        case "uid":
            guard let n = ConfigUnits.integer(v), n <= Int(UInt32.max) else { return "invalid uid '\(v)'; expected a number" }
            out.options.uid = UInt32(n)
        case "gid":
            guard let n = ConfigUnits.integer(v), n <= Int(UInt32.max) else { return "invalid gid '\(v)'; expected a number" }
            out.options.gid = UInt32(n)
        case "accept-proxy":
            out.options.acceptProxy = true
        case "level":
            guard ["user", "operator", "admin"].contains(v) else { return "invalid level '\(v)'; expected user, operator or admin" }
            if use == .bind { out.warnings.append("\(line.location): bind option 'level \(v)' ignored: it only applies to 'stats socket'") }
            out.level = v
        case "severity-output":
            guard ["none", "number", "string"].contains(v) else { return "invalid severity-output '\(v)'; expected none, number or string" }
            if use == .bind { out.warnings.append("\(line.location): bind option 'severity-output' ignored: it only applies to 'stats socket'") }
            out.severityOutput = v
        case "expose-fd":
            guard v == "listeners" else { return "'expose-fd' only supports 'listeners'" }
            if use == .bind { out.warnings.append("\(line.location): bind option 'expose-fd listeners' ignored: it only applies to 'stats socket'") }
            out.exposeListeners = true
        case "process", "thread", "shards":
            out.warnings.append("\(line.location): bind option '\(option) \(v)' ignored: every ringproxy worker thread accepts on every listener")
        case "nice":
            out.warnings.append("\(line.location): bind option 'nice \(v)' ignored: ringproxy does not prioritise listeners")
        case "proto":
            guard v == "h1" else { return "bind option 'proto \(v)' is not supported: ringproxy speaks HTTP/1.x only" }
        case "namespace":
            return "bind option 'namespace' (network namespaces) is not supported by ringproxy"
        case "accept-netscaler-cip":
            return "bind option 'accept-netscaler-cip' is not supported by ringproxy"
        default:
            return "bind option '\(option)' is not supported by ringproxy"
        }
        return nil
    }
}
