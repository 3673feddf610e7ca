// Helpers for the operator-facing end-to-end suites (issue 5): reading an httplog syslog
// datagram field by field, reading the stats CSV, and fetching pages with credentials.
import Foundation

/// One syslog datagram carrying an HAProxy 2.6 httplog line:
/// `<PRI>Mmm dd hh:mm:ss TAG[PID]: %ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc
/// %ac/%fc/%bc/%sc/%rc %sq/%bq %{+Q}r`.
struct OpsLogLine: CustomStringConvertible {
    let datagram: String
    /// `<PRI>` value.
    let priority: Int
    /// `Mmm dd hh:mm:ss` of the syslog header.
    let syslogDate: String
    /// The program name before `[pid]`.
    let tag: String
    let pid: Int
    /// The 12 space-separated fields before the quoted request line.
    let fields: [String]
    /// The request line with its quotes.
    let request: String

    var description: String { datagram }

    /// The names of the fields, in order, for messages.
    static let fieldNames = ["%ci:%cp", "[%tr]", "%ft", "%b/%s", "%TR/%Tw/%Tc/%Tr/%Ta", "%ST", "%B",
                             "%CC", "%CS", "%tsc", "%ac/%fc/%bc/%sc/%rc", "%sq/%bq"]

    init?(_ datagram: String) {
        self.datagram = datagram
        var text = Substring(datagram)
        if text.hasSuffix("\n") { text = text.dropLast() }
        guard text.first == "<", let gt = text.firstIndex(of: ">"),
              let pri = Int(text[text.index(after: text.startIndex)..<gt]) else { return nil }
        priority = pri
        let afterPri = text[text.index(after: gt)...]
        guard afterPri.count > 16 else { return nil }
        syslogDate = String(afterPri.prefix(15))
        let rest = afterPri.dropFirst(16)
        guard let open = rest.firstIndex(of: "["), let close = rest.firstIndex(of: "]"), open < close,
              let pid = Int(rest[rest.index(after: open)..<close]),
              rest[rest.index(after: close)...].hasPrefix(": ") else { return nil }
        tag = String(rest[..<open])
        self.pid = pid
        let body = rest[rest.index(close, offsetBy: 3)...]
        guard let quote = body.firstIndex(of: "\"") else { return nil }
        fields = body[..<quote].split(separator: " ").map(String.init)
        request = String(body[quote...])
        guard fields.count == 12 else { return nil }
    }

    subscript(_ name: String) -> String { fields[Self.fieldNames.firstIndex(of: name)!] }
    var clientPort: UInt16? { fields[0].split(separator: ":").last.flatMap { UInt16($0) } }
    /// The five timers (nil when not numbers).
    var timers: [Int]? {
        let t = fields[4].split(separator: "/").map { Int($0) }
        return t.count == 5 && t.allSatisfy { $0 != nil } ? t.map { $0! } : nil
    }
    /// Which timers are -1 ("phase not reached"), as a pattern such as `+/-/-/-/+`.
    var timerShape: String { (timers ?? []).map { $0 < 0 ? "-" : "+" }.joined(separator: "/") }

    /// Every layout rule of HAProxy 2.6's httplog format that holds for any line; returns the
    /// broken ones (empty when the line is well formed).
    func layoutProblems() -> [String] {
        var problems: [String] = []
        func check(_ i: Int, _ pattern: String) {
            if fields[i].range(of: "^" + pattern + "$", options: .regularExpression) == nil {
                problems.append("\(Self.fieldNames[i]) = '\(fields[i])' does not match \(pattern)")
            }
        }
        if syslogDate.range(of: #"^[A-Z][a-z]{2} [ 1-3][0-9] \d{2}:\d{2}:\d{2}$"#, options: .regularExpression) == nil {
            problems.append("syslog date '\(syslogDate)'")
        }
        check(0, #"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}"#)
        check(1, #"\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}\.\d{3}\]"#)
        check(2, #"[A-Za-z0-9_.:-]+"#)
        check(3, #"[A-Za-z0-9_.:-]+/([A-Za-z0-9_.:-]+|<NOSRV>)"#)
        check(4, #"-?\d+/-?\d+/-?\d+/-?\d+/-?\d+"#)
        check(5, #"-?\d{1,3}"#)
        check(6, #"\d+"#)
        check(7, #"\S+"#)
        check(8, #"\S+"#)
        check(9, #"[-cCsSPRIDLKU][-RCHDLQT][-NIDVEO][-NIPRDU]"#)
        check(10, #"\d+/\d+/\d+/\d+/\+?\d+"#)
        check(11, #"\d+/\d+"#)
        if request.range(of: #"^"[^"]*"$"#, options: .regularExpression) == nil { problems.append("request '\(request)'") }
        return problems
    }
}

/// The stats CSV as HAProxy writes it: a `# ` header line, then one comma-terminated row per
/// frontend, server and backend.
struct OpsStatsCSV {
    let header: [String]
    let rows: [[String: String]]

    init(_ text: String) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard let first = lines.first, first.hasPrefix("# ") else { throw RawHTTPError("CSV without '# ' header: \(text.prefix(200))") }
        func cells(_ line: String) -> [String] {
            var c = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if c.last == "" { c.removeLast() }          // every line ends with ','
            return c
        }
        let names = cells(String(first.dropFirst(2)))
        header = names
        rows = lines.dropFirst().map { line in
            Dictionary(zip(names, cells(line)), uniquingKeysWith: { a, _ in a })
        }
    }

    func row(_ pxname: String, _ svname: String) -> [String: String]? {
        rows.first { $0["pxname"] == pxname && $0["svname"] == svname }
    }

    /// A numeric cell (0 when empty or absent).
    func number(_ pxname: String, _ svname: String, _ column: String) -> Int {
        row(pxname, svname)?[column].flatMap { Int($0) } ?? 0
    }
}

enum OpsHTTP {
    static func basicAuth(_ user: String, _ password: String) -> (String, String) {
        ("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
    }

    /// Bytes a response took on the wire (head and body as received).
    static func wireSize(_ r: RawHTTP.Response) -> Int { r.rawHead.count + r.rawBody.count }
}
