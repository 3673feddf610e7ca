// HAProxy's number formats: times (default unit ms; us ms s m h d) and sizes (k m g, 1024-based).

enum ConfigUnits {
    /// A time as HAProxy 2.6's parse_time_err reads it: digits, then no unit (ms) or one of
    /// us, ms, s, m, h, d (lower case). Characters after the unit are accepted with a warning
    /// ("15min" is 15 minutes, as in HAProxy, which warns that it will refuse them one day).
    /// Microseconds round up so that a non-zero time never becomes 0; 2^31 ms and more is an
    /// overflow, as in HAProxy.
    enum Time: Equatable {
        case value(Int, trailing: String?)
        case invalid
        case overflow
    }

    static func time(_ text: String) -> Time {
        let (digits, rest) = splitNumber(text)
        guard !digits.isEmpty else { return .invalid }
        guard let value = Int(digits) else { return .overflow }
        var unit = Substring(rest)
        let multiply: Int, divide: Int
        switch unit.first {
        case nil: multiply = 1; divide = 1
        case "s": multiply = 1000; divide = 1; unit = unit.dropFirst()
        case "u":
            guard unit.dropFirst().first == "s" else { return .invalid }
            multiply = 1; divide = 1000; unit = unit.dropFirst(2)
        case "m":
            if unit.dropFirst().first == "s" { multiply = 1; divide = 1; unit = unit.dropFirst(2) }
            else { multiply = 60_000; divide = 1; unit = unit.dropFirst() }
        case "h": multiply = 3_600_000; divide = 1; unit = unit.dropFirst()
        case "d": multiply = 86_400_000; divide = 1; unit = unit.dropFirst()
        default: return .invalid
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiply)
        guard !overflow else { return .overflow }
        let result = (product + divide - 1) / divide
        guard result < 0x8000_0000 else { return .overflow }
        return .value(result, trailing: unit.isEmpty ? nil : String(unit))
    }

    /// Milliseconds, or nil when `text` is not a valid time (trailing characters accepted).
    static func milliseconds(_ text: String) -> Int? {
        if case .value(let ms, _) = time(text) { return ms }
        return nil
    }

    /// A size with an optional k/m/g suffix (1024-based), or nil.
    static func size(_ text: String) -> Int? {
        let (digits, unit) = splitNumber(text)
        guard let value = Int(digits) else { return nil }
        let factor: Int
        switch unit.lowercased() {
        case "": factor = 1
        case "k": factor = 1 << 10
        case "m": factor = 1 << 20
        case "g": factor = 1 << 30
        default: return nil
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }

    /// A plain non-negative decimal integer (no sign, no unit).
    static func integer(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(text)
    }

    private static func splitNumber(_ text: String) -> (digits: String, unit: String) {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else { return ("", text) }
        return (String(digits), String(text.dropFirst(digits.count)))
    }
}
