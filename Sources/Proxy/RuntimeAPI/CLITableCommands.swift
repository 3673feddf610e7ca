// `show table [NAME [data.TYPE OP VALUE]... | key K]`, `clear table NAME [...]`,
// `set table NAME key K [data.TYPE VALUE]...` on the session tables (a backend's stick-table,
// or the table behind `appsession`) and the tables that keep stick counters (`store ...`).
// A backend's table stores `server_id` and `server_key` (the learned server's key, `-` for an entry `set table` made); counter tables print
// their data types in HAProxy's order (`gpc0=0 conn_rate(10000)=1 http_req_cnt=1`); a type
// the table does not keep is "not stored in this table".

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

    /// A table the runtime API shows: a backend's session table, or a counter table.
    struct CLITableRef {
        let name: String
        let backend: BackendPlanInfo?
        let table: AppSessionTable
        let type: String
        let size: Int
        let counters: StickCounterLayout
        let storesServer: Bool
        /// server_key is printed for tables stick rules use (HAProxy stores it for them only).
        var storesServerKey = true
        /// The server keys entries name (server_key): the table's roster.
        var roster: [String] = []
    }

    /// Session tables and the tables only stick counters use.
    var cliTables: [CLITableRef] {
        let set = handler.stickTables
        var out = sessionTables.map { t -> CLITableRef in
            let i = set.tables.firstIndex { $0 === t.table }
            return CLITableRef(name: t.name, backend: t.backend, table: t.table, type: t.type, size: t.size,
                               counters: i.map { set.infos[$0].counters } ?? .none, storesServer: true,
                               roster: i.map { set.infos[$0].roster } ?? t.backend.serverNames)
        }
        for (i, info) in set.infos.enumerated() where info.counters.words > 0 && !out.contains(where: { $0.table === set.tables[i] }) {
            let type: String
            switch info.keyType { case .ip: type = "ip"; case .ipv6: type = "ipv6"; case .integer: type = "integer"
                                  case .string: type = "string"; case .binary: type = "binary" }
            out.append(CLITableRef(name: info.name, backend: nil, table: set.tables[i], type: type, size: info.capacity,
                                   counters: info.counters, storesServer: info.storesServer,
                                   storesServerKey: info.storesServer && !info.roster.isEmpty, roster: info.roster))
        }
        // HAProxy lists its tables last declared first.
        let order = Dictionary(configuration.proxies.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        return out.enumerated().sorted { a, b in
            (order[a.element.name] ?? Int.max, a.offset) > (order[b.element.name] ?? Int.max, b.offset)
        }.map(\.element)
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

    func tableHead(_ t: CLITableRef, now: Int64) -> String {
        "# table: \(t.name), type: \(t.type), size:\(t.size), used:\(t.table.snapshot(now: now).count)\n"
    }

    func keyText(_ t: CLITableRef, _ key: [UInt8]) -> String {
        if t.type == "ip" && key.count == 4 {
            // Keys are kept in HAProxy's (and the peers protocol's) form: network order.
            return key.map(String.init).joined(separator: ".")
        }
        if t.type == "integer" && key.count == 4 {
            return String(key.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }
        if t.type == "ipv6" && key.count == 16, let text = TextAddress.ipv6Text(key) { return text }
        var s = ""
        for b in key {
            if b >= 0x20 && b < 0x7f && b != UInt8(ascii: "\\") { s.unicodeScalars.append(UnicodeScalar(b)) }
            else { s += "\\x" + String(b, radix: 16, uppercase: false).leftPadded(2) }
        }
        return s
    }

    func keyBytes(_ t: CLITableRef, _ text: String) -> [UInt8]? {
        if t.type == "ip" {
            let parts = text.split(separator: ".").compactMap { UInt32($0) }
            guard parts.count == 4, parts.allSatisfy({ $0 < 256 }) else { return nil }
            return parts.map { UInt8($0) }          // network order, as the tables keep it
        }
        if t.type == "integer" {
            guard let v = Int64(text) else { return nil }
            let u = UInt32(truncatingIfNeeded: v)
            return [UInt8(u >> 24), UInt8((u >> 16) & 0xff), UInt8((u >> 8) & 0xff), UInt8(u & 0xff)]
        }
        if t.type == "ipv6" { return TextAddress.ipv6Bytes(text) }
        return Array(text.utf8.prefix(t.table.keyLength))
    }

    func entryLine(_ t: CLITableRef, _ e: AppSessionTable.Snapshot, now: Int64) -> String {
        var line = "0x\(String(0x5000_0000_0000 + e.id * 64, radix: 16)): key=\(keyText(t, e.key)) use=\(e.use) exp=\(e.expiresInMs > Int64(Int32.max) ? 0 : e.expiresInMs)"
        // HAProxy's order: by data type number (server_id 0, ..., server_key 19, http_fail_cnt 20).
        // (a table that never expires prints exp=0, as HAProxy's)
        var columns: [(Int, String)] = t.storesServer ? [(StickDataType.serverID, "server_id=\(e.server + 1)")] : []
        if t.storesServer && t.storesServerKey {
            columns.append((StickDataType.serverKey, "server_key=\(e.serverKey >= 0 && e.serverKey < t.roster.count ? t.roster[e.serverKey] : "-")"))
        }
        e.data.withUnsafeBufferPointer { w in
            for item in t.counters.stored where item.type != StickDataType.serverID && item.type != StickDataType.serverKey {
                let v = t.counters.value(w, item.type, now: now) ?? 0
                columns.append((item.type, item.isFrequency ? "\(item.name)(\(item.periodMs))=\(v)" : "\(item.name)=\(v)"))
            }
        }
        for c in columns.sorted(by: { $0.0 < $1.0 }) { line += " " + c.1 }
        return line + "\n"
    }

    /// A data type's value in a snapshot (server_id: the server's id).
    func dataValue(_ t: CLITableRef, _ e: AppSessionTable.Snapshot, _ type: Int, now: Int64) -> Int? {
        if type == StickDataType.serverID { return t.storesServer ? e.server + 1 : nil }
        guard t.counters.has(type) else { return nil }
        return e.data.withUnsafeBufferPointer { w in t.counters.value(w, type, now: now).map { Int(truncatingIfNeeded: $0) } }
    }

    func storesType(_ t: CLITableRef, _ type: Int) -> Bool {
        type == StickDataType.serverID ? t.storesServer : t.counters.has(type)
    }

    func tableCommand(_ r: CLIRequest, _ s: CLISession, action: TableAction) -> CLIReply {
        let now = MonotonicClock.nowMs()
        guard !r[2].isEmpty else {
            guard action == .show else { return tableUsage(action) }
            return .dump(cliTables.map { tableHead($0, now: now) }.joined())
        }
        guard let t = cliTables.first(where: { $0.name == r[2] }) else { return .error("No such table\n") }
        if r[3] == "key" { return tableEntry(t, r, s, action: action, now: now) }
        var filters: [(type: Int, op: String, value: Int)] = []
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
                let typeNumber = StickDataType.all.firstIndex { $0.name == type } ?? -1
                guard typeNumber >= 0, storesType(t, typeNumber) else { return .error("Filter entry #\(i + 1): Data type not stored in this table\n") }
                guard ["eq", "ne", "le", "ge", "lt", "gt"].contains(r[base + 1]) else {
                    return .error("Filter entry #\(i + 1): Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n")
                }
                guard let v = Int(r[base + 2]) else { return .error("Filter entry #\(i + 1): Require a valid integer value to compare against\n") }
                filters.append((typeNumber, r[base + 1], v))
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
                guard let v = dataValue(t, e, f.type, now: now) else { return false }
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
            for e in entries { out += entryLine(t, e, now: now) }
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

    func tableEntry(_ t: CLITableRef, _ r: CLIRequest, _ s: CLISession, action: TableAction, now: Int64) -> CLIReply {
        guard !r[4].isEmpty else { return .error("Key value expected\n") }
        guard let key = keyBytes(t, r[4]) else { return .error("Invalid key\n") }
        guard s.level >= .operator else { return .permissionDenied }
        switch action {
        case .show:
            guard let e = t.table.snapshot(now: now).first(where: { $0.key == key }) else { return .none }
            return .dump(tableHead(t, now: now) + entryLine(t, e, now: now))
        case .clear:
            t.table.remove(key)
            return .none
        case .set:
            guard let backend = t.backend else { return setCounters(t, key, r, now: now) }
            var server = t.table.snapshot(now: now).first(where: { $0.key == key })?.server ?? -1
            var counters: [(type: Int, value: UInt64)] = []
            var i = 5
            while !r[i].isEmpty {
                guard r[i].hasPrefix("data.") else {
                    t.table.set(key, server: server, now: now)
                    return .error("\"data.<type>\" followed by a value expected\n")
                }
                let type = String(r[i].dropFirst(5))
                guard Self.tableDataTypes.contains(type) else { return .error("Unknown data type\n") }
                let number = StickDataType.all.firstIndex { $0.name == type }!
                guard storesType(t, number) else { return .error("Data type not stored in this table\n") }
                guard let v = Int(r[i + 1]) else { return .error("Require a valid integer value to store\n") }
                if number == StickDataType.serverID {
                    // An id that names no server of the backend designates none (HAProxy ignores it too).
                    server = v >= 1 && v <= backend.servers.count ? v - 1 : -1
                } else {
                    counters.append((number, UInt64(truncatingIfNeeded: v)))
                }
                i += 2
            }
            t.table.set(key, server: server, now: now)
            if !counters.isEmpty { t.table.setData(key, counters, layout: t.counters, now: now) }
            return .none
        }
    }
}

extension String {
    func leftPadded(_ n: Int, with c: Character = "0") -> String {
        count >= n ? self : String(repeating: c, count: n - count) + self
    }
}

extension RuntimeControl {
    /// `set table NAME key K [data.TYPE VALUE]...` on a counter table: the entry is created
    /// if needed; each value replaces the counter (a rate counts it in the current period).
    func setCounters(_ t: CLITableRef, _ key: [UInt8], _ r: CLIRequest, now: Int64) -> CLIReply {
        var values: [(type: Int, value: UInt64)] = []
        var i = 5
        var problem: String? = nil
        while !r[i].isEmpty {
            guard r[i].hasPrefix("data.") else { problem = "\"data.<type>\" followed by a value expected\n"; break }
            let type = String(r[i].dropFirst(5))
            guard Self.tableDataTypes.contains(type) else { problem = "Unknown data type\n"; break }
            let number = StickDataType.all.firstIndex { $0.name == type }!
            guard storesType(t, number), number != StickDataType.serverID else { problem = "Data type not stored in this table\n"; break }
            guard let v = Int(r[i + 1]) else { problem = "Require a valid integer value to store\n"; break }
            values.append((number, UInt64(truncatingIfNeeded: v)))
            i += 2
        }
        // HAProxy creates the entry and applies the values read before a bad word.
        t.table.setData(key, values, layout: t.counters, now: now)
        return problem.map { .error($0) } ?? .none
    }
}

extension TextAddress {
    /// 16 network-order bytes as inet_ntop writes them (`show table` keys).
    static func ipv6Text(_ key: [UInt8]) -> String? {
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { b in for i in 0..<16 { b[i] = key[i] } }
        var text = [CChar](repeating: 0, count: 64)
        guard inet_ntop(AF_INET6, &addr, &text, 64) != nil else { return nil }
        return String(cString: text)
    }

    /// A textual IPv6 address as 16 network-order bytes.
    static func ipv6Bytes(_ text: String) -> [UInt8]? {
        var addr = in6_addr()
        guard inet_pton(AF_INET6, text, &addr) == 1 else { return nil }
        return withUnsafeBytes(of: &addr) { Array($0) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
