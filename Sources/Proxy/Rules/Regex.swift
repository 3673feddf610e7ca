// Regular expressions in rules: PCRE2 with JIT, as HAProxy 2.6 on Debian (USE_PCRE2_JIT), so
// `\d`, `\s`, `(?i)` and lazy quantifiers mean what they mean there. A compiled Regex is
// shared by every worker (PCRE2 code is read-only once JIT-compiled); each worker brings its
// own RegexScratch (match data with room for every capture), so matching allocates nothing.

import CPCRE2

public final class Regex: @unchecked Sendable {
    // @unchecked: the compiled code is immutable after init and PCRE2 allows concurrent matching.
    let code: OpaquePointer
    public let pattern: String
    public let caseless: Bool
    /// Capturing groups in the pattern.
    public let groups: Int
    /// `^(literal)` patterns: `matches` compares bytes instead of running PCRE2.
    let literal: RegexAnchoredLiteral?

    public struct CompileError: Error, CustomStringConvertible { public let description: String }

    public init(_ pattern: String, caseless: Bool = false) throws(CompileError) {
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        let options = UInt32(caseless ? PCRE2_CASELESS : 0)
        var p = pattern
        let compiled = p.withUTF8 { u in
            pcre2_compile_8(u.baseAddress, u.count, options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            var message = [UInt8](repeating: 0, count: 256)
            let n = pcre2_get_error_message_8(errorCode, &message, message.count)
            let text = String(decoding: message.prefix(max(0, Int(n))), as: UTF8.self)
            throw CompileError(description: "\(text) at offset \(errorOffset)")
        }
        _ = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))   // falls back to the interpreter if JIT is unavailable
        var count: UInt32 = 0
        _ = pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &count)
        code = compiled
        self.pattern = pattern
        self.caseless = caseless
        groups = Int(count)
        literal = RegexAnchoredLiteral(pattern: pattern, caseless: caseless)
    }
    deinit { pcre2_code_free_8(code) }

    /// Checks a pattern (configuration time); nil when it compiles, else the message.
    public static func problem(_ pattern: String, caseless: Bool = false) -> String? {
        do { _ = try Regex(pattern, caseless: caseless); return nil } catch { return error.description }
    }

    /// Whether the regex matches somewhere in `subject`.
    @inline(__always)
    public func matches(_ subject: UnsafeRawBufferPointer, _ scratch: RegexScratch) -> Bool {
        if let literal, let answer = literal.matches(subject) { return answer }
        return search(subject, from: 0, scratch) > 0
    }

    /// Searches from `from`; returns pcre2_match's result (> 0: matched, captures are in
    /// `scratch`), or ≤ 0.
    @inline(__always)
    public func search(_ subject: UnsafeRawBufferPointer, from: Int, _ scratch: RegexScratch, options: UInt32 = 0) -> Int32 {
        let base = subject.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(scratch.empty)
        return pcre2_match_8(code, base, subject.count, from, options, scratch.data, nil)
    }
}

/// Per-worker match data, large enough for any regex of the configuration.
public final class RegexScratch {
    let data: OpaquePointer
    let ovector: UnsafeMutablePointer<Int>
    public let pairs: Int
    let empty: UnsafeMutablePointer<UInt8>

    public init(pairs: Int = 64) {
        self.pairs = pairs
        data = pcre2_match_data_create_8(UInt32(pairs), nil)
        ovector = pcre2_get_ovector_pointer_8(data)
        empty = .allocate(capacity: 1)
        empty.initialize(to: 0)
    }
    deinit { pcre2_match_data_free_8(data); empty.deallocate() }

    /// Start and end of capture `i` after a successful search (nil when the group did not take part).
    @inline(__always) public func group(_ i: Int, matched: Int32) -> (Int, Int)? {
        guard i < Int(matched), i < pairs else { return nil }
        let s = ovector[2 * i], e = ovector[2 * i + 1]
        if s == Int.max || e == Int.max { return nil }       // PCRE2_UNSET
        return (s, e)
    }
}

/// HAProxy's exp_replace: the replacement text with `\0`..`\9` back-references, `\xHH`
/// bytes and `\c` for a literal c, written after a successful search.
extension Bytes {
    @inline(__always) static func upper(_ c: UInt8) -> UInt8 { (c >= 97 && c <= 122) ? c & 0xDF : c }
}

enum RegexReplace {
    static func expand(_ replacement: UnsafeRawBufferPointer, subject: UnsafeRawBufferPointer,
                       scratch: RegexScratch, matched: Int32, into w: inout ArenaWriter) -> Bool {
        var i = 0
        let n = replacement.count
        while i < n {
            let c = replacement[i]
            if c != UInt8(ascii: "\\") { w.byte(c); i += 1; continue }
            i += 1
            guard i < n else { return false }
            let d = replacement[i]
            if d >= 48 && d <= 57 {
                i += 1
                if let (s, e) = scratch.group(Int(d - 48), matched: matched), e > s {
                    w.bytes(UnsafeRawBufferPointer(rebasing: subject[s..<e]))
                }
            } else if d == UInt8(ascii: "x") {
                guard i + 2 < n else { return false }
                var h1 = Bytes.upper(replacement[i + 1]) &- 48
                var h2 = Bytes.upper(replacement[i + 2]) &- 48
                if h1 > 9 { h1 = h1 &- 7 }
                if h2 > 9 { h2 = h2 &- 7 }
                w.byte(h1 << 4 &+ h2)
                i += 3
            } else {
                w.byte(d); i += 1
            }
        }
        return !w.overflow
    }
}
