// Parses the `%[EXPR]` strings (`send-lf`, `uri-lf`, `body-lf`, `hdr` values, `on-error`, …)
// and sample expressions (`set-var`, `status-code`) of health-check rules. Checks evaluate them
// on their own thread, so they get their own small evaluator (Health/CheckEvaluator) limited
// to the fetches and converters checks use; anything else is a clear error.

enum CheckExpressionParser {
    static let fetchNames = "var(check.NAME), str(TEXT), int(N), be_name, srv_name, res.hdr(NAME), res.fhdr(NAME), res.payload(OFFSET,LENGTH), date()"
    static let converterNames = "hex, htonl, cut_crlf, lower, upper, ltrim(CHARS), rtrim(CHARS)"

    /// A log-format string: text, `%%`, and `%[EXPR]` parts.
    static func format(_ text: String) -> Result<CheckFormat, AddressError> {
        let b = Array(text.utf8)
        var parts: [CheckFormat.Part] = []
        var literal: [UInt8] = []
        var i = 0
        while i < b.count {
            guard b[i] == UInt8(ascii: "%") else { literal.append(b[i]); i += 1; continue }
            guard i + 1 < b.count else { return .failure(AddressError("'%' at the end of '\(text)'; write '%%' for a percent sign")) }
            if b[i + 1] == UInt8(ascii: "%") { literal.append(b[i]); i += 2; continue }
            guard b[i + 1] == UInt8(ascii: "[") else {
                return .failure(AddressError("log-format variable '%\(String(decoding: b[(i + 1)...].prefix(3), as: UTF8.self))…' in '\(text)' is not available in health checks; only %[EXPR] with \(fetchNames)"))
            }
            var depth = 0, j = i + 1, end = -1
            var inQuote: UInt8 = 0
            while j < b.count {
                let c = b[j]
                if inQuote != 0 { if c == inQuote { inQuote = 0 } }
                else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") { inQuote = c }
                else if c == UInt8(ascii: "[") { depth += 1 }
                else if c == UInt8(ascii: "]") { depth -= 1; if depth == 0 { end = j; break } }
                j += 1
            }
            guard end > 0 else { return .failure(AddressError("missing ']' after '%[' in '\(text)'")) }
            if !literal.isEmpty { parts.append(.text(literal)); literal = [] }
            switch expression(String(decoding: b[(i + 2)..<end], as: UTF8.self)) {
            case .success(let e): parts.append(.expression(e))
            case .failure(let e): return .failure(e)
            }
            i = end + 1
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        return .success(CheckFormat(parts))
    }

    /// `fetch[(args)][,conv[(args)]]…`
    static func expression(_ text: String) -> Result<CheckExpression, AddressError> {
        let items = splitTopLevel(text, separator: UInt8(ascii: ","))
        guard let first = items.first, !first.isEmpty else { return .failure(AddressError("empty sample expression")) }
        let (name, args) = call(first)
        let fetch: CheckExpression.Fetch
        switch (name, args.count) {
        case ("var", 1):
            guard args[0].hasPrefix("check.") || args[0].hasPrefix("proc.") else {
                return .failure(AddressError("variable '\(args[0])': health checks only have the 'check.' scope (and 'proc.')"))
            }
            fetch = .variable(args[0])
        case ("str", 1): fetch = .string(args[0])
        case ("int", 1):
            guard let n = Int(args[0]) else { return .failure(AddressError("int(\(args[0])): expected an integer")) }
            fetch = .integer(n)
        case ("be_name", 0): fetch = .backendName
        case ("srv_name", 0): fetch = .serverName
        case ("res.hdr", 1): fetch = .responseHeader(args[0].lowercased(), full: false)
        case ("res.fhdr", 1): fetch = .responseHeader(args[0].lowercased(), full: true)
        case ("res.payload", 2):
            guard let o = Int(args[0]), let l = Int(args[1]), o >= 0, l >= 0 else {
                return .failure(AddressError("res.payload(\(args.joined(separator: ","))): expected two non-negative integers"))
            }
            fetch = .responsePayload(offset: o, length: l)
        case ("date", 0): fetch = .date
        default:
            return .failure(AddressError("sample fetch '\(first)' is not available in health checks; expected one of \(fetchNames)"))
        }
        var converters: [CheckExpression.Converter] = []
        for item in items.dropFirst() {
            let (c, a) = call(item)
            switch (c, a.count) {
            case ("hex", 0): converters.append(.hex)
            case ("htonl", 0): converters.append(.htonl)
            case ("cut_crlf", 0): converters.append(.cutCRLF)
            case ("lower", 0): converters.append(.lower)
            case ("upper", 0): converters.append(.upper)
            case ("ltrim", 1): converters.append(.ltrim(Array(a[0].utf8)))
            case ("rtrim", 1): converters.append(.rtrim(Array(a[0].utf8)))
            default:
                return .failure(AddressError("converter '\(item)' is not available in health checks; expected one of \(converterNames)"))
            }
        }
        return .success(CheckExpression(fetch, converters))
    }

    /// `name(a,b)` → ("name", ["a", "b"]), quotes around an argument removed.
    static func call(_ s: String) -> (String, [String]) {
        guard let open = s.firstIndex(of: "("), s.hasSuffix(")") else { return (s, []) }
        let name = String(s[..<open])
        let inner = String(s[s.index(after: open)..<s.index(before: s.endIndex)])
        if inner.isEmpty { return (name, []) }
        let args = splitTopLevel(inner, separator: UInt8(ascii: ",")).map { a -> String in
            if a.count >= 2, let f = a.first, (f == "'" || f == "\""), a.last == f { return String(a.dropFirst().dropLast()) }
            return a
        }
        return (name, args)
    }

    /// Splits at `separator` outside parentheses and quotes.
    static func splitTopLevel(_ s: String, separator: UInt8) -> [String] {
        var out: [String] = []
        var cur: [UInt8] = []
        var depth = 0
        var quote: UInt8 = 0
        for c in s.utf8 {
            if quote != 0 { cur.append(c); if c == quote { quote = 0 }; continue }
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") { quote = c; cur.append(c); continue }
            if c == UInt8(ascii: "(") { depth += 1 }
            if c == UInt8(ascii: ")") { depth -= 1 }
            if c == separator && depth == 0 { out.append(String(decoding: cur, as: UTF8.self)); cur = []; continue }
            cur.append(c)
        }
        out.append(String(decoding: cur, as: UTF8.self))
        return out
    }

    /// HAProxy's `parse_binary` for `send-binary`/`expect binary`: an even number of hex digits.
    static func hexBytes(_ text: String) -> [UInt8]? {
        let b = Array(text.utf8)
        guard b.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(b.count / 2)
        var i = 0
        while i < b.count {
            guard let hi = hexDigit(b[i]), let lo = hexDigit(b[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }
}
