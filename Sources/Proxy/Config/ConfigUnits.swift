// HAProxy's number formats: times (default unit ms; us ms s m h d) and sizes (k m g, 1024-based).

enum ConfigUnits {
    /// Milliseconds, or nil when `text` is not a valid non-negative time. Microseconds round up
    /// so that a non-zero time never becomes 0 (which would mean "no timeout").
    static func milliseconds(_ text: String) -> Int? {
        let (digits, unit) = splitNumber(text)
        guard let value = Int(digits) else { return nil }
        let factor: Int
        switch unit.lowercased() {
        case "", "ms": factor = 1
        case "us": return value == 0 ? 0 : (value + 999) / 1000
        case "s": factor = 1000
        case "m": factor = 60_000
        case "h": factor = 3_600_000
        case "d": factor = 86_400_000
        default: return nil
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
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
