// `show table [NAME [data.TYPE OP VALUE]... | key K]`, `clear table NAME [...]`,
// `set table NAME key K [data.TYPE VALUE]...` on the session tables (a backend's stick-table,
// or the table behind `appsession`). ringproxy's tables store the server only: `server_id`
// (and `server_key`, always `-`); any other HAProxy data type is "not stored in this table".

extension RuntimeControl {
    enum TableAction { case show, clear, set }

    /// HAProxy 2.6's stick-table data type names.
    static let tableDataTypes: Set<String> = [
        "server_id", "gpt0", "gpc0", "gpc0_rate", "conn_cnt", "conn_rate", "conn_cur", "sess_cnt", "sess_rate",
        "http_req_cnt", "http_req_rate", "http_err_cnt", "http_err_rate", "bytes_in_cnt", "bytes_in_rate",
        "bytes_out_cnt", "bytes_out_rate", "gpc1", "gpc1_rate", "server_key", "http_fail_cnt", "http_fail_rate",
        "gpt", "gpc", "gpc_rate",
    ]

    struct SessionTableRef {
        let name: String
        let backend: BackendPlanInfo
        let table: AppSessionTable
        let type: String
        let size: Int
    }

    /// Every session table, in configuration order.
    var sessionTables: [SessionTableRef] {
        handler.backendPlans.compactMap { b in
            guard let session = b.plan.session else { return nil }
            let p = configuration.proxy(named: b.name)
            let type = p?.stickTable?.type ?? "string"
            return SessionTableRef(name: b.name, backend: b, table: session.table, type: type == "ip" ? "ip" : type,
                                   size: p?.stickTable.map { $0.size > 0 ? $0.size : session.table.capacity } ?? session.table.capacity)
        }
    }

    func tableHead(_ t: SessionTableRef, now: Int64) -> String {
        "# table: \(t.name), type: \(t.type), size:\(t.size), used:\(t.table.snapshot(now: now).count)\n"
    }

    func keyText(_ t: SessionTableRef, _ key: [UInt8]) -> String {
        if t.type == "ip" && key.count == 4 {
            // Keys are kept in HAProxy's (and the peers protocol's) form: network order.
            return key.map(String.init).joined(separator: ".")
        }
        var s = ""
        for b in key {
            if b >= 0x20 && b < 0x7f && b != UInt8(ascii: "\\") { s.unicodeScalars.append(UnicodeScalar(b)) }
            else { s += "\\x" + String(b, radix: 16, uppercase: false).leftPadded(2) }
        }
        return s
    }

    func keyBytes(_ t: SessionTableRef, _ text: String) -> [UInt8]? {
        if t.type == "ip" {
            let parts = text.split(separator: ".").compactMap { UInt32($0) }
            guard parts.count == 4, parts.allSatisfy({ $0 < 256 }) else { return nil }
            return parts.map { UInt8($0) }          // network order, as the tables keep it
        }
        return Array(text.utf8.prefix(t.table.keyLength))
    }

    func entryLine(_ t: SessionTableRef, _ e: AppSessionTable.Snapshot) -> String {
        "0x\(String(0x5000_0000_0000 + e.id * 64, radix: 16)): key=\(keyText(t, e.key)) use=0 exp=\(min(e.expiresInMs, Int64(Int32.max))) server_id=\(e.server + 1) server_key=-\n"
    }

    func tableCommand(_ r: CLIRequest, _ s: CLISession, action: TableAction) -> CLIReply {
        let now = MonotonicClock.nowMs()
        guard !r[2].isEmpty else {
            guard action == .show else { return tableUsage(action) }
            return .dump(sessionTables.map { tableHead($0, now: now) }.joined())
        }
        guard let t = sessionTables.first(where: { $0.name == r[2] }) else { return .error("No such table\n") }
        if r[3] == "key" { return tableEntry(t, r, s, action: action, now: now) }
        var filters: [(type: String, op: String, value: Int)] = []
        if r[3].hasPrefix("data.") {
            guard action != .set else {
                return .error("content-based lookup is only supported with the \"show\" and \"clear\" actions\n")
            }
            var i = 0
            while i < 4 {
                let base = 3 + 3 * i
                if i > 0 && r[base].isEmpty { break }
                let type = String(r[base].dropFirst(5))
                guard r[base].hasPrefix("data."), Self.tableDataTypes.contains(type) else {
                    return .error("Filter entry #\(i + 1): Unknown data type\n")
                }
                guard type == "server_id" else { return .error("Filter entry #\(i + 1): Data type not stored in this table\n") }
                guard ["eq", "ne", "le", "ge", "lt", "gt"].contains(r[base + 1]) else {
                    return .error("Filter entry #\(i + 1): Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n")
                }
                guard let v = Int(r[base + 2]) else { return .error("Filter entry #\(i + 1): Require a valid integer value to compare against\n") }
                filters.append((type, r[base + 1], v))
                i += 1
            }
            if !r[3 + 3 * i].isEmpty {
                return .error("Detected extra data in filter, \(3 + 3 * i + 1)th word of input, after '\(r[2 + 3 * i])'\n")
            }
        } else if !r[3].isEmpty {
            return tableUsage(action)
        }
        let entries = t.table.snapshot(now: now).filter { e in
            filters.allSatisfy { f in
                let v = e.server + 1
                switch f.op {
                case "eq": return v == f.value
                case "ne": return v != f.value
                case "le": return v <= f.value
                case "ge": return v >= f.value
                case "lt": return v < f.value
                default: return v > f.value
                }
            }
        }
        switch action {
        case .show:
            var out = tableHead(t, now: now)
            guard s.level >= .operator else { return .dump(out + "# contents not dumped due to insufficient privileges\n") }
            for e in entries { out += entryLine(t, e) }
            return .dump(out)
        case .clear:
            guard s.level >= .operator else { return .permissionDenied }
            if filters.isEmpty { t.table.removeAll() } else { for e in entries { t.table.remove(e.key) } }
            return .none
        case .set:
            return tableUsage(action)
        }
    }

    func tableUsage(_ action: TableAction) -> CLIReply {
        switch action {
        case .show: return .error("Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n")
        case .clear: return .error("Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>\n")
        case .set: return .error("Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n")
        }
    }

    func tableEntry(_ t: SessionTableRef, _ r: CLIRequest, _ s: CLISession, action: TableAction, now: Int64) -> CLIReply {
        guard !r[4].isEmpty else { return .error("Key value expected\n") }
        guard let key = keyBytes(t, r[4]) else { return .error("Invalid key\n") }
        guard s.level >= .operator else { return .permissionDenied }
        switch action {
        case .show:
            guard let e = t.table.snapshot(now: now).first(where: { $0.key == key }) else { return .none }
            return .dump(tableHead(t, now: now) + entryLine(t, e))
        case .clear:
            t.table.remove(key)
            return .none
        case .set:
            var server = t.table.snapshot(now: now).first(where: { $0.key == key })?.server ?? -1
            var i = 5
            while !r[i].isEmpty {
                guard r[i].hasPrefix("data.") else {
                    t.table.set(key, server: server, now: now)
                    return .error("\"data.<type>\" followed by a value expected\n")
                }
                let type = String(r[i].dropFirst(5))
                guard Self.tableDataTypes.contains(type) else { return .error("Unknown data type\n") }
                guard type == "server_id" else { return .error("Data type not stored in this table\n") }
                guard let v = Int(r[i + 1]) else { return .error("Require a valid integer value to store\n") }
                // An id that names no server of the backend designates none (HAProxy ignores it too).
                server = v >= 1 && v <= t.backend.servers.count ? v - 1 : -1
                i += 2
            }
            t.table.set(key, server: server, now: now)
            return .none
        }
    }
}

extension String {
    func leftPadded(_ n: Int, with c: Character = "0") -> String {
        count >= n ? self : String(repeating: c, count: n - count) + self
    }
}
