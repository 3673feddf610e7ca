/// A server-state file as HAProxy 2.6 reads it (server_state.c): `show servers state`
/// output saved before a reload — a version line (`1`), then one line per server with 20 to
/// 25 blank-separated fields. Lines are stored by "backend server" name; a corrupted line
/// makes the whole file unusable (HAProxy's warning says at which line); duplicated keys
/// keep the first line. Each server's line is validated when applied (`ServerStateLine`).
public struct ServerStateFile: Sendable {
    public private(set) var lines: [String: [String]] = [:]
    /// HAProxy's warnings about the file as a whole.
    public private(set) var warnings: [String] = []
    public private(set) var usable = false

    static let minFields = 20, maxFields = 25

    /// Reads `text`, the content of `path` (named in warnings). `backend`: only lines of that
    /// backend (a local file; matched by name, or by id with a warning), nil: all (global).
    public init(text: String, path: String, backend: (name: String, id: Int)? = nil, warningPrefix: String = "config: ") {
        var all = text.split(separator: "\n", omittingEmptySubsequences: false)
        let endsWithNewline = text.hasSuffix("\n")
        if endsWithNewline { all.removeLast() }
        guard let first = all.first, let version = Int(first), version == 1, all.count > 1 || endsWithNewline else {
            warnings.append("\(warningPrefix)Can't get version of the\(backend == nil ? " global" : "") server state file '\(path)'.")
            return
        }
        for (n, raw) in all.enumerated().dropFirst() {
            let truncated = n == all.count - 1 && !endsWithNewline
            let trimmed = raw.drop { $0 == " " || $0 == "\t" }
            if !truncated && (trimmed.isEmpty || trimmed.first == "#") { continue }
            let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).prefix(Self.maxFields + 1).map(String.init)
            guard !truncated, fields.count >= Self.minFields, fields.count <= Self.maxFields else {
                warnings.append("\(warningPrefix)corrupted\(backend == nil ? " global" : "") server state file '\(path)' at line \(n).")
                lines = [:]
                return
            }
            if let backend {
                let idMatches = Int(fields[0]) == backend.id, nameMatches = fields[1] == backend.name
                if !idMatches && !nameMatches { continue }
                if !idMatches {
                    warnings.append("Proxy '\(backend.name)': backend ID mismatch: from server state file: '\(fields[0])', from running config '\(backend.id)'")
                } else if !nameMatches {
                    warnings.append("Proxy '\(backend.name)': backend name mismatch: from server state file: '\(fields[1])', from running config '\(backend.name)'")
                    if Int(fields[15]) != 1 { continue }
                }
            }
            let key = (backend?.name ?? fields[1]) + " " + fields[3]
            if lines[key] == nil { lines[key] = Array(fields[4...]) }
        }
        usable = true
    }

    /// The fields after `srv_name` (srv_addr first) for one server, and forgets them.
    public mutating func take(backend: String, server: String) -> [String]? {
        lines.removeValue(forKey: backend + " " + server)
    }
}

/// One server's saved state, validated as HAProxy validates it (srv_state_srv_update): any
/// invalid field and nothing is applied; the warning lists every invalid field.
public struct ServerStateLine: Sendable, Equatable {
    public var address: String
    public var op: ServerOpState
    public var admin: ServerAdminFlags
    public var userWeight: Int
    public var initialWeight: Int
    public var secondsSinceChange: Int
    public var checkStatus: Int
    public var checkResult: Int
    public var checkHealth: Int
    public var checkState: Int
    public var agentState: Int
    public var port: Int?
    public var checkPort: Int?
    public var checkAddress: String?

    /// Parses the fields after `srv_name`; `.failure` carries HAProxy's `, invalid … value '…'` list.
    public static func parse(_ p: [String]) -> Result<ServerStateLine, ServerStateLineError> {
        var errors = ""
        func number(_ i: Int, _ name: String, valid: (Int) -> Bool = { _ in true }) -> Int {
            guard i < p.count, let v = Self.strtol(p[i]), valid(v) else {
                errors += ", invalid \(name) value '\(i < p.count ? p[i] : "")'"
                return 0
            }
            return v
        }
        let op = number(1, "srv_op_state") { (0...3).contains($0) }
        // Inherited and resolution flags are recomputed, not restored.
        var admin = number(2, "srv_admin_state")
        admin &= ~(0x10 | 0x02 | 0x40 | 0x20)
        if ![0, 0x01, 0x04, 0x05, 0x0C, 0x08].contains(admin) { errors += ", invalid srv_admin_state value '\(p[2])'" }
        let uweight = number(3, "srv_uweight") { $0 >= 0 && $0 <= 256 }
        let iweight = number(4, "srv_iweight") { $0 >= 0 && $0 <= 256 }
        let since = number(5, "srv_last_time_change")
        let status = number(6, "srv_check_status") { $0 >= 0 && $0 < 25 }
        let result = number(7, "srv_check_result") { (0...4).contains($0) }
        let health = number(8, "srv_check_health")
        let checkState = number(9, "srv_check_state") { $0 & ~0x1F == 0 }
        let agentState = number(10, "srv_agent_state") { $0 & ~0x1F == 0 }
        _ = number(11, "bk_f_forced_id") { $0 == 0 || $0 == 1 }
        _ = number(12, "srv_f_forced_id") { $0 == 0 || $0 == 1 }
        var port: Int? = nil
        if p.count > 14 {
            let digits = p[14].prefix { $0.isASCII && $0.isNumber }
            let v = Int(digits.prefix(9)) ?? 0
            if v > 65535 { errors += ", invalid srv_port value '\(p[14])'" } else { port = v }
        }
        guard errors.isEmpty else { return .failure(ServerStateLineError(fields: errors)) }
        let checkPort = p.count > 17 && p[17] != "0" ? Int(p[17]) : nil
        let checkAddress = p.count > 18 && p[18] != "-" ? p[18] : nil
        return .success(ServerStateLine(address: p[0], op: ServerOpState(rawValue: UInt8(op))!,
                                        admin: ServerAdminFlags(rawValue: UInt8(admin)), userWeight: uweight,
                                        initialWeight: iweight, secondsSinceChange: since, checkStatus: status,
                                        checkResult: result, checkHealth: health, checkState: checkState,
                                        agentState: agentState, port: port, checkPort: checkPort, checkAddress: checkAddress))
    }

    /// strtol(): optional blanks and sign, digits; nil when no digit.
    static func strtol(_ s: String) -> Int? {
        var t = Substring(s).drop { $0 == " " || $0 == "\t" }
        var sign = 1
        if t.first == "-" || t.first == "+" { sign = t.first == "-" ? -1 : 1; t = t.dropFirst() }
        let digits = t.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else { return nil }
        return (Int(digits.prefix(18)) ?? Int.max) * sign
    }
}

public struct ServerStateLineError: Error, Sendable, Equatable {
    /// `, invalid srv_op_state value 'x', …`
    public var fields: String
}
