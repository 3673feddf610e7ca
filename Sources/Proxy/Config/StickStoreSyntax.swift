// `stick-table ... store TYPE[,TYPE(PERIOD)]...`: the data types an entry carries besides the
// server (HAProxy 2.6's stktable_data_types). Counters and frequency counters are kept by
// ringproxy (StickCounterLayout); the array types (gpt, gpc, gpc_rate) are refused.

/// One stored data type: its number (HAProxy's STKTABLE_DT_*, the peers wire number) and,
/// for a frequency counter, its period in milliseconds.
public struct StickStoreItem: Equatable, Sendable {
    public var type: Int
    public var periodMs: Int
    public init(type: Int, periodMs: Int = 0) { self.type = type; self.periodMs = periodMs }
    public var name: String { StickDataType.all[type].name }
    public var isFrequency: Bool { StickDataType.all[type].encoding == .frequency }
}

enum StickStoreSyntax {
    /// The types `store` accepts.
    static let storable: [String] = StickDataType.all.filter { !$0.isArray }.map(\.name)

    /// Parses the comma-separated list after `store` (several `store` words add up).
    static func parse(_ text: String, into items: inout [StickStoreItem], line: KeywordLine) throws(ConfigError) {
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let word = String(part)
            let (name, arg) = HTTPRuleParser.splitParen(word)
            guard !name.isEmpty else { throw line.error("empty data type in 'store \(text)'") }
            guard let type = StickDataType.all.firstIndex(where: { $0.name == name }) else {
                throw line.error(EditDistance.unknownMessage("stick-table data type", name, storable))
            }
            let d = StickDataType.all[type]
            if d.isArray { throw line.error("data type '\(name)' (an array) is not supported by ringproxy; use gpc0, gpc1, gpt0") }
            var item = StickStoreItem(type: type)
            if d.encoding == .frequency {
                guard let arg, !arg.isEmpty else { throw line.error("missing argument to data type '\(name)'; expected '\(name)(PERIOD)'") }
                guard let ms = ConfigUnits.milliseconds(arg), ms > 0 else { throw line.error("invalid period '\(arg)' for data type '\(name)'") }
                item.periodMs = ms
            } else if arg != nil {
                throw line.error("data type '\(name)' takes no argument")
            }
            if let i = items.firstIndex(where: { $0.type == type }) { items[i] = item } else { items.append(item) }
        }
    }
}
