// The stick-counter fetches and converters (configuration.txt 7.3.2 and 7.3.1): `sc_X(N[,T])`,
// `scN_X([T])`, `src_X([T])` and the `table_X(T)` converters, with X one of the data below.
// Their names are built from parts, so they are recognised here rather than listed one by one
// in SampleCatalog; the rule compiler turns them into StickQuery values.

/// What a stick-counter fetch or converter reads (or changes).
public enum StickDatum: Equatable, Sendable {
    /// A stored data type's value (a frequency counter's rate).
    case value(Int)
    /// bytes_in_cnt / bytes_out_cnt in kilobytes (kbytes_in, kbytes_out).
    case kilobytes(Int)
    /// The entry's reference count (trackers).
    case trackers
    /// Whether the counter is tracked (sc*_tracked).
    case tracked
    /// Whether the key has an entry (in_table).
    case inTable
    /// gpc0/gpc1 (type number) plus one, and its rate: the new value.
    case increment(Int)
    /// gpc0/gpc1 set to zero: the old value.
    case clear(Int)
    /// table_server_id: the entry's server id.
    case serverID
}

/// A parsed stick-counter fetch name.
public struct StickFetchName: Equatable, Sendable {
    /// 0...2 for scN_ and sc_ (nil for sc_: the first argument says), -1 for src_.
    public var counter: Int?
    public var datum: StickDatum
    public var isSource: Bool { counter == -1 }
}

enum StickSampleSyntax {
    /// Counters and rates read under the same name by the fetches (`sc0_http_req_rate`) and
    /// the converters (`table_http_req_rate`).
    static let counterNames: [(String, Int)] = [
        ("conn_cnt", StickDataType.connCnt), ("conn_cur", StickDataType.connCur), ("conn_rate", StickDataType.connRate), ("sess_cnt", StickDataType.sessCnt),
        ("sess_rate", StickDataType.sessRate), ("http_req_cnt", StickDataType.httpReqCnt), ("http_req_rate", StickDataType.httpReqRate),
        ("http_err_cnt", StickDataType.httpErrCnt), ("http_err_rate", StickDataType.httpErrRate), ("http_fail_cnt", StickDataType.httpFailCnt),
        ("http_fail_rate", StickDataType.httpFailRate), ("bytes_in_rate", StickDataType.bytesInRate), ("bytes_out_rate", StickDataType.bytesOutRate),
        ("gpc0_rate", StickDataType.gpc0Rate), ("gpc1_rate", StickDataType.gpc1Rate),
    ]

    /// Data suffixes shared by sc*_, src_ fetches (HAProxy's names).
    static let fetchData: [String: StickDatum] = {
        var d: [String: StickDatum] = [:]
        for (name, type) in counterNames + [("get_gpc0", StickDataType.gpc0), ("get_gpc1", StickDataType.gpc1), ("get_gpt0", StickDataType.gpt0)] {
            d[name] = .value(type)
        }
        d["kbytes_in"] = .kilobytes(StickDataType.bytesInCnt)
        d["kbytes_out"] = .kilobytes(StickDataType.bytesOutCnt)
        d["trackers"] = .trackers
        d["inc_gpc0"] = .increment(StickDataType.gpc0)
        d["inc_gpc1"] = .increment(StickDataType.gpc1)
        d["clr_gpc0"] = .clear(StickDataType.gpc0)
        d["clr_gpc1"] = .clear(StickDataType.gpc1)
        return d
    }()

    /// Converter names after `table_` (and `in_table`).
    static let converterData: [String: StickDatum] = {
        var d: [String: StickDatum] = [:]
        for (name, type) in counterNames + [("gpc0", StickDataType.gpc0), ("gpc1", StickDataType.gpc1), ("gpt0", StickDataType.gpt0)] {
            d["table_" + name] = .value(type)
        }
        d["table_kbytes_in"] = .kilobytes(StickDataType.bytesInCnt)
        d["table_kbytes_out"] = .kilobytes(StickDataType.bytesOutCnt)
        d["table_trackers"] = .trackers
        d["table_server_id"] = .serverID
        d["in_table"] = .inTable
        return d
    }()

    /// `sc_http_req_rate`, `sc0_conn_cur`, `src_get_gpc0`, `sc1_tracked`...
    static func fetchName(_ name: String) -> StickFetchName? {
        let counter: Int?
        let rest: Substring
        if name.hasPrefix("src_") { counter = -1; rest = name.dropFirst(4) }
        else if name.hasPrefix("sc_") { counter = nil; rest = name.dropFirst(3) }
        else if name.count > 4, name.hasPrefix("sc"), let n = Int(String(name.dropFirst(2).prefix(1))), (0...2).contains(n),
                name.dropFirst(3).hasPrefix("_") { counter = n; rest = name.dropFirst(4) }
        else { return nil }
        if rest == "tracked" { return counter == -1 ? nil : StickFetchName(counter: counter, datum: .tracked) }
        guard let d = fetchData[String(rest)] else { return nil }
        return StickFetchName(counter: counter, datum: d)
    }

    /// The catalog entry of a stick-counter fetch name.
    static func fetchSpec(_ name: String) -> FetchSpec? {
        guard let f = fetchName(name) else { return nil }
        let out: SampleType = f.datum == .tracked ? .bool : .int
        let args: [SampleArgKind] = f.counter == nil ? [.integer, .table] : [.table]
        return SampleCatalog.f(.stickCounter, args, f.counter == nil ? 1 : 0, out, .anywhere)
    }

    static func converterSpec(_ name: String) -> ConverterSpec? {
        guard let d = converterData[name] else { return nil }
        return SampleCatalog.c(.stickTable, [.table], 1, .any, d == .inTable ? .bool : .int)
    }

    /// Checks `sc_X(N)`'s counter number.
    static func checkCounter(_ name: String, _ args: [String], line: KeywordLine) throws(ConfigError) {
        guard name.hasPrefix("sc_") else { return }
        guard let n = Int(args.first ?? ""), (0...2).contains(n) else {
            throw line.error("fetch method '\(name)': invalid stick counter '\(args.first ?? "")'; expected 0, 1 or 2")
        }
    }
}
