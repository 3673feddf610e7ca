// `show stat typed` and `show stat json`: the same rows as the CSV, each present cell printed
// with its position, name, tags and type (HAProxy's stats_dump_fields_typed/json). The CSV's
// `-` column separates HAProxy's static fields from the module ones and has no position.

enum StatsTypedDump {
    /// Position of a CSV column in the typed dump (nil for the `-` separator).
    static func position(ofColumn i: Int) -> Int? {
        let sep = StatsCSV.index["-"]!
        if i == sep { return nil }
        return i < sep ? i : i - 1
    }

    static func spec(_ pos: Int, _ type: StatObjectType) -> (tags: FieldTags, type: FieldType) {
        let f = StatFields.all[pos]
        return f.spec(type) ?? f.spec(.server) ?? f.spec(.backend) ?? f.spec(.frontend) ?? (FieldTags("MGP"), .u32)
    }

    static func ids(_ r: StatsCSV.Row) -> (iid: String, sid: String) { (r["iid"], r["sid"]) }

    static func typed(_ rows: [StatsCSV.Row], desc: Bool) -> String {
        var out = ""
        for r in rows {
            let (iid, sid) = ids(r)
            for i in r.cells.indices where r.present[i] {
                guard let pos = position(ofColumn: i) else { continue }
                let f = StatFields.all[pos]
                let s = spec(pos, r.objectType)
                out += "\(r.objectType.letter).\(iid).\(sid).\(pos).\(f.name).1:\(s.tags.letters):\(s.type.rawValue):\(r.cells[i])"
                if desc { out += ":\"\(f.desc)\"" }
                out += "\n"
            }
        }
        return out
    }

    static func json(_ rows: [StatsCSV.Row]) -> String {
        var objects: [String] = []
        for r in rows {
            let (iid, sid) = ids(r)
            var fields: [String] = []
            for i in r.cells.indices where r.present[i] {
                guard let pos = position(ofColumn: i) else { continue }
                let f = StatFields.all[pos]
                let s = spec(pos, r.objectType)
                let value = FieldValue(type: s.type, text: s.type == .str ? r.cells[i] : (r.cells[i].isEmpty ? "0" : r.cells[i]))
                fields.append("{\"objType\":\"\(r.objectType.json)\",\"proxyId\":\(iid),\"id\":\(sid),\"field\":{\"pos\":\(pos),\"name\":\"\(f.name)\"},\"processNum\":1,\"tags\":\(s.tags.json),\"value\":\(value.json)}")
            }
            objects.append("[" + fields.joined(separator: ",") + "]")
        }
        return "[" + objects.joined(separator: ",") + "]\n"
    }
}
