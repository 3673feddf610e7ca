// HTTP dates (RFC 7231 §7.1.1.1) as HAProxy's parse_http_date reads them: IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime
// ("Sun Nov  6 08:49:37 1994"). Pure: seconds since the epoch, or nil.

enum HTTPDateParser {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func parse(_ text: String) -> Int64? {
        let t = text.trimmedOfBlanks()
        let words = t.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        // IMF-fixdate: DAY, DD MON YYYY HH:MM:SS GMT
        if words.count == 6, words[0].hasSuffix(","), words[0].count == 4, words[5] == "GMT",
           let d = Int(words[1]), words[1].count == 2, let m = month(words[2]), let y = Int(words[3]), words[3].count == 4,
           let (h, mi, s) = clock(words[4]) {
            return epoch(y, m, d, h, mi, s)
        }
        // RFC 850: DAYNAME, DD-MON-YY HH:MM:SS GMT
        if words.count == 4, words[0].hasSuffix(","), words[3] == "GMT" {
            let parts = words[1].split(separator: "-").map(String.init)
            if parts.count == 3, parts[0].count == 2, let d = Int(parts[0]), let m = month(parts[1]),
               parts[2].count == 2, let yy = Int(parts[2]), let (h, mi, s) = clock(words[2]) {
                return epoch(yy < 70 ? 2000 + yy : 1900 + yy, m, d, h, mi, s)
            }
        }
        // asctime: DAY MON D HH:MM:SS YYYY
        if words.count == 5, words[0].count == 3, let m = month(words[1]), let d = Int(words[2]),
           let (h, mi, s) = clock(words[3]), words[4].count == 4, let y = Int(words[4]) {
            return epoch(y, m, d, h, mi, s)
        }
        return nil
    }

    private static func month(_ s: String) -> Int? {
        guard s.count == 3, let i = months.firstIndex(of: s.lowercased()) else { return nil }
        return i + 1
    }

    private static func clock(_ s: String) -> (Int, Int, Int)? {
        let p = s.split(separator: ":").map(String.init)
        guard p.count == 3, p.allSatisfy({ $0.count == 2 }), let h = Int(p[0]), let m = Int(p[1]), let sec = Int(p[2]),
              h < 24, m < 60, sec < 61 else { return nil }
        return (h, m, sec)
    }

    /// Days from civil (proleptic Gregorian), then seconds.
    static func epoch(_ y0: Int, _ m: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Int64? {
        guard (1...31).contains(d) else { return nil }
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return Int64(days) * 86400 + Int64(h * 3600 + mi * 60 + s)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmedOfBlanks() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
