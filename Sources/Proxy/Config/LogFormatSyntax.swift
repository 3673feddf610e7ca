// Log-format strings, as log.c's parse_logformat_string reads them: `%name` (letters and
// digits), `%{+Q,-E}name`, `%[sample expression]`, `%%` for a literal '%', `%o` to set the
// default options of the fields that follow. In `log-format`/`unique-id-format` runs of
// spaces are one separator (they were escaped in the file); elsewhere spaces are literal.

enum LogFormatSyntax {
    static func parse(_ text: String, context: SampleContext, line: KeywordLine, state: inout ParseState,
                      mergeSpaces: Bool = false, httpMode: Bool = true) throws(ConfigError) -> LogFormatDef {
        let b = Array(text.utf8)
        var nodes: [LogFormatNode] = []
        var literal: [UInt8] = []
        var defaults = LogFieldOptions()
        func flush() {
            if !literal.isEmpty { nodes.append(.literal(String(decoding: literal, as: UTF8.self))); literal.removeAll() }
        }
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: " ") && mergeSpaces {
                if literal.last != 32 { literal.append(32) }
                i += 1
                continue
            }
            guard c == UInt8(ascii: "%") else { literal.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { literal.append(c); break }
            if b[i] == UInt8(ascii: "%") { literal.append(c); i += 1; continue }
            var options = defaults
            if b[i] == UInt8(ascii: "{") {
                guard let close = b[i...].firstIndex(of: UInt8(ascii: "}")) else {
                    throw line.error("missing '}' after '%{' in log-format string '\(text)'")
                }
                options = applyOptions(String(decoding: b[(i + 1)..<close], as: UTF8.self), to: options)
                i = close + 1
                guard i < b.count, b[i] == UInt8(ascii: "[") || isAlnum(b[i]) else {
                    throw line.error("parse argument modifier without variable name in log-format string '\(text)'")
                }
            }
            if b[i] == UInt8(ascii: "[") {
                let rest = String(decoding: b[(i + 1)...], as: UTF8.self)
                let (expr, _, used) = try SampleSyntax.parse(rest, context: context, line: line, state: &state)
                let end = i + 1 + used
                guard end < b.count, b[end] == UInt8(ascii: "]") else {
                    throw line.error("missing ']' after '\(expr.text)' in log-format string '\(text)'")
                }
                flush()
                nodes.append(.sample(expr, options))
                i = end + 1
                continue
            }
            guard isAlpha(b[i]) else {
                throw line.error("unexpected variable name near '\(Character(Unicode.Scalar(b[i])))' in log-format string '\(text)'. Maybe you want to write a single '%', use the syntax '%%'")
            }
            let s = i
            while i < b.count && isAlnum(b[i]) { i += 1 }
            let name = String(decoding: b[s..<i], as: UTF8.self)
            if name == "o" { defaults = options; continue }
            guard let field = LogField(rawValue: name) else {
                throw line.error("no such format variable '\(name)' in log-format string '\(text)'. If you wanted to emit the '%' character verbatim, you need to use '%%'")
            }
            if field.httpOnly && !httpMode {
                throw line.error("format variable '\(name)' is reserved for HTTP mode")
            }
            flush()
            nodes.append(.field(field, options))
        }
        flush()
        return LogFormatDef(text: text, nodes: nodes)
    }

    static func applyOptions(_ text: String, to start: LogFieldOptions) -> LogFieldOptions {
        var o = start
        for part in text.split(separator: ",") {
            guard let sign = part.first, sign == "+" || sign == "-" else { continue }
            let flag: LogFieldOptions
            switch part.dropFirst() {
            case "M": flag = .mandatory
            case "Q": flag = .quote
            case "X": flag = .hex
            case "E": flag = .escape
            default: continue
            }
            if sign == "+" { o.insert(flag) } else { o.remove(flag) }
        }
        return o
    }

    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 97 && (c | 0x20) <= 122 }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool { isAlpha(c) || (c >= 48 && c <= 57) }
}
