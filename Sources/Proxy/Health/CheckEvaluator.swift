import Glibc

/// Evaluates the `%[EXPR]` strings and sample expressions of check rules against one run of a
/// check: its variables, the bytes received so far, the parsed HTTP response, the names.
struct CheckEvaluator {
    var variables: [String: CheckValue] = [:]
    let backendName: String
    let serverName: String

    /// nil when a fetch has no value (HAProxy then leaves that part empty).
    func evaluate(_ e: CheckExpression, input: [UInt8], response: HTTPCheckResponse?) -> CheckValue? {
        var v: CheckValue
        switch e.fetch {
        case .variable(let n): guard let x = variables[n] else { return nil }; v = x
        case .string(let s): v = .string(Array(s.utf8))
        case .integer(let n): v = .integer(n)
        case .backendName: v = .string(Array(backendName.utf8))
        case .serverName: v = .string(Array(serverName.utf8))
        case .responseHeader(let name, let full):
            guard let r = response, let value = r.lastValue(of: name, full: full) else { return nil }
            v = .string(value)
        case .responsePayload(let offset, let length):
            guard offset <= input.count else { return nil }
            let end = length == 0 ? input.count : offset + length
            guard end <= input.count else { return nil }
            v = .string(Array(input[offset..<end]))
        case .date:
            v = .integer(Int(time(nil)))
        }
        for c in e.converters { v = Self.convert(v, c) }
        return v
    }

    static func convert(_ v: CheckValue, _ c: CheckExpression.Converter) -> CheckValue {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        switch c {
        case .hex:
            var out: [UInt8] = []
            for b in v.bytes { out.append(hexDigits[Int(b >> 4)]); out.append(hexDigits[Int(b & 15)]) }
            return .string(out)
        case .htonl:
            let n: UInt32
            if case .integer(let i) = v { n = UInt32(truncatingIfNeeded: i) } else { n = UInt32(truncatingIfNeeded: Int(String(decoding: v.bytes, as: UTF8.self)) ?? 0) }
            return .string([UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)])
        case .cutCRLF:
            let b = v.bytes
            let end = b.firstIndex { $0 == 13 || $0 == 10 } ?? b.count
            return .string(Array(b[..<end]))
        case .lower: return .string(v.bytes.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 })
        case .upper: return .string(v.bytes.map { $0 >= 97 && $0 <= 122 ? $0 & ~0x20 : $0 })
        case .ltrim(let set): return .string(Array(v.bytes.drop { set.contains($0) }))
        case .rtrim(let set):
            var b = v.bytes
            while let l = b.last, set.contains(l) { b.removeLast() }
            return .string(b)
        }
    }

    func render(_ f: CheckFormat, input: [UInt8], response: HTTPCheckResponse?) -> [UInt8] {
        var out: [UInt8] = []
        for p in f.parts {
            switch p {
            case .text(let t): out += t
            case .expression(let e): if let v = evaluate(e, input: input, response: response) { out += v.bytes }
            }
        }
        return out
    }
}
