// json_query(path[,int]), as HAProxy 2.6's sample_conv_json_query over mjson: the path
// (`$`, `.name` with `\.` for a dot inside a name, `[N]`) is parsed at load; the input is
// scanned in place, without building a tree. Strings come out unescaped, numbers as "%g"
// text (or an integer with 'int'), true/false as a boolean; null, objects and arrays, a
// missing key or invalid JSON: no sample.

#if canImport(Glibc)
import Glibc
#endif

struct JSONPath: Equatable {
    enum Step: Equatable { case key([UInt8]), index(Int) }
    let steps: [Step]
    let integer: Bool

    /// nil: not a path this converter understands.
    init?(_ text: String, integer: Bool) {
        let b = Array(text.utf8)
        guard b.first == UInt8(ascii: "$") else { return nil }
        var steps: [Step] = []
        var i = 1
        while i < b.count {
            if b[i] == UInt8(ascii: ".") {
                i += 1
                var name: [UInt8] = []
                while i < b.count && b[i] != UInt8(ascii: ".") && b[i] != UInt8(ascii: "[") {
                    if b[i] == UInt8(ascii: "\\") {
                        // `\.` (and `\\.` as written in a configuration) is a dot inside the name
                        while i < b.count && b[i] == UInt8(ascii: "\\") { i += 1 }
                        if i < b.count { name.append(b[i]); i += 1 }
                        continue
                    }
                    name.append(b[i]); i += 1
                }
                guard !name.isEmpty else { return nil }
                steps.append(.key(name))
            } else if b[i] == UInt8(ascii: "[") {
                i += 1
                var n = 0, digits = 0
                while i < b.count && b[i] >= 48 && b[i] <= 57 { n = n * 10 + Int(b[i] - 48); i += 1; digits += 1 }
                guard digits > 0, i < b.count, b[i] == UInt8(ascii: "]") else { return nil }
                i += 1
                steps.append(.index(n))
            } else {
                return nil
            }
        }
        self.steps = steps
        self.integer = integer
    }
}

/// A forward-only JSON scanner over a byte buffer.
struct JSONScanner {
    let s: UnsafeRawBufferPointer
    var i = 0

    mutating func ws() { while i < s.count && (s[i] == 32 || s[i] == 9 || s[i] == 10 || s[i] == 13) { i += 1 } }

    /// Skips one value; false on invalid JSON.
    mutating func skipValue(depth: Int = 0) -> Bool {
        guard depth < 64 else { return false }
        ws()
        guard i < s.count else { return false }
        switch s[i] {
        case UInt8(ascii: "\""): return stringRange() != nil
        case UInt8(ascii: "{"):
            i += 1; ws()
            if i < s.count && s[i] == UInt8(ascii: "}") { i += 1; return true }
            while true {
                ws()
                guard stringRange() != nil else { return false }
                ws()
                guard i < s.count, s[i] == UInt8(ascii: ":") else { return false }
                i += 1
                guard skipValue(depth: depth + 1) else { return false }
                ws()
                guard i < s.count else { return false }
                if s[i] == UInt8(ascii: ",") { i += 1; continue }
                if s[i] == UInt8(ascii: "}") { i += 1; return true }
                return false
            }
        case UInt8(ascii: "["):
            i += 1; ws()
            if i < s.count && s[i] == UInt8(ascii: "]") { i += 1; return true }
            while true {
                guard skipValue(depth: depth + 1) else { return false }
                ws()
                guard i < s.count else { return false }
                if s[i] == UInt8(ascii: ",") { i += 1; continue }
                if s[i] == UInt8(ascii: "]") { i += 1; return true }
                return false
            }
        default:
            // number, true, false, null: a run of their characters
            let start = i
            while i < s.count, Self.isAtomByte(s[i]) { i += 1 }
            return i > start
        }
    }

    static func isAtomByte(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
            || c == UInt8(ascii: ".") || c == UInt8(ascii: "E")
    }

    /// At a '"': the range of the raw string contents, the scanner after the closing quote.
    mutating func stringRange() -> Range<Int>? {
        guard i < s.count, s[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        let start = i
        while i < s.count {
            if s[i] == UInt8(ascii: "\\") { i += 2; continue }
            if s[i] == UInt8(ascii: "\"") { let r = start..<i; i += 1; return r }
            i += 1
        }
        return nil
    }

    /// Steps into `key` of the object at the cursor; the cursor is then on its value.
    mutating func enter(key: [UInt8]) -> Bool {
        ws()
        guard i < s.count, s[i] == UInt8(ascii: "{") else { return false }
        i += 1; ws()
        if i < s.count && s[i] == UInt8(ascii: "}") { return false }
        while true {
            ws()
            guard let r = stringRange() else { return false }
            ws()
            guard i < s.count, s[i] == UInt8(ascii: ":") else { return false }
            i += 1
            if r.count == key.count && key.withUnsafeBytes({ k in memcmp(k.baseAddress!, s.baseAddress! + r.lowerBound, r.count) == 0 }) {
                ws(); return true
            }
            guard skipValue() else { return false }
            ws()
            guard i < s.count, s[i] == UInt8(ascii: ",") else { return false }
            i += 1
        }
    }

    /// Steps into element `n` of the array at the cursor.
    mutating func enter(index n: Int) -> Bool {
        ws()
        guard i < s.count, s[i] == UInt8(ascii: "[") else { return false }
        i += 1; ws()
        if i < s.count && s[i] == UInt8(ascii: "]") { return false }
        var k = 0
        while true {
            if k == n { ws(); return true }
            guard skipValue() else { return false }
            ws()
            guard i < s.count, s[i] == UInt8(ascii: ",") else { return false }
            i += 1; k += 1
        }
    }
}

extension RuleContext {
    func jsonQuery(_ path: JSONPath, _ sample: inout Sample) -> Bool {
        guard sample.bytes.count > 0 else { return false }
        var sc = JSONScanner(s: sample.bytes)
        for step in path.steps {
            switch step {
            case .key(let k): guard sc.enter(key: k) else { return false }
            case .index(let n): guard sc.enter(index: n) else { return false }
            }
        }
        sc.ws()
        guard sc.i < sc.s.count else { return false }
        let c = sc.s[sc.i]
        if c == UInt8(ascii: "\"") {
            guard let r = sc.stringRange(), let b = JSONStringDecoder.decode(UnsafeRawBufferPointer(rebasing: sc.s[r]), arena) else { return false }
            sample = .string(b)
            return true
        }
        let start = sc.i
        guard sc.skipValue() else { return false }
        let atom = UnsafeRawBufferPointer(rebasing: sc.s[start..<sc.i])
        if atom.elementsEqual("true".utf8) { sample = .bool(true); return true }
        if atom.elementsEqual("false".utf8) { sample = .bool(false); return true }
        guard c == UInt8(ascii: "-") || (c >= 48 && c <= 57) else { return false }     // null, object, array
        // The number as C reads it (strtod), as mjson_get_number.
        var text = [CChar](repeating: 0, count: atom.count + 1)
        for (k, b) in atom.enumerated() { text[k] = CChar(bitPattern: b) }
        var end: UnsafeMutablePointer<CChar>? = nil
        let v = text.withUnsafeMutableBufferPointer { strtod($0.baseAddress!, &end) }
        if path.integer {
            guard v >= -9.223372036854775808e18, v < 9.223372036854775808e18 else { return false }
            sample = .int(Int64(v))
            return true
        }
        guard let p = arena.allocate(32) else { return false }
        let n = withVaList([v]) { vsnprintf(p.assumingMemoryBound(to: CChar.self), 32, "%g", $0) }
        guard n > 0 && n < 32 else { return false }
        arena.shrinkLast(from: p, to: Int(n))
        sample = .string(UnsafeRawBufferPointer(start: p, count: Int(n)))
        return true
    }
}

/// A JSON string's contents with its escapes resolved (\uXXXX as UTF-8, surrogate pairs joined).
enum JSONStringDecoder {
    static func decode(_ s: UnsafeRawBufferPointer, _ arena: SampleArena) -> UnsafeRawBufferPointer? {
        var w = ArenaWriter(arena)
        var i = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= s.count else { return nil }
            var v: UInt32 = 0
            for k in at..<at + 4 { guard let d = URLCoding.hexVal(s[k]) else { return nil }; v = v << 4 | UInt32(d) }
            return v
        }
        while i < s.count {
            let c = s[i]
            guard c == UInt8(ascii: "\\") else { w.byte(c); i += 1; continue }
            guard i + 1 < s.count else { return nil }
            let e = s[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): w.byte(8)
            case UInt8(ascii: "f"): w.byte(12)
            case UInt8(ascii: "n"): w.byte(10)
            case UInt8(ascii: "r"): w.byte(13)
            case UInt8(ascii: "t"): w.byte(9)
            case UInt8(ascii: "u"):
                guard var cp = hex4(i) else { return nil }
                i += 4
                if cp >= 0xD800 && cp < 0xDC00, i + 6 <= s.count, s[i] == UInt8(ascii: "\\"), s[i + 1] == UInt8(ascii: "u"),
                   let lo = hex4(i + 2), lo >= 0xDC00 && lo < 0xE000 {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                    i += 6
                }
                if cp < 0x80 { w.byte(UInt8(cp)) }
                else if cp < 0x800 { w.byte(UInt8(0xC0 | cp >> 6)); w.byte(UInt8(0x80 | cp & 0x3F)) }
                else if cp < 0x10000 {
                    w.byte(UInt8(0xE0 | cp >> 12)); w.byte(UInt8(0x80 | (cp >> 6) & 0x3F)); w.byte(UInt8(0x80 | cp & 0x3F))
                } else {
                    w.byte(UInt8(0xF0 | cp >> 18)); w.byte(UInt8(0x80 | (cp >> 12) & 0x3F))
                    w.byte(UInt8(0x80 | (cp >> 6) & 0x3F)); w.byte(UInt8(0x80 | cp & 0x3F))
                }
            default: w.byte(e)        // \" \\ \/
            }
        }
        return w.finish(arena)
    }
}
