// A POSIX extended regular expression compiled once (HAProxy 1.4 without PCRE:
// regcomp(REG_EXTENDED | REG_NOSUB [| REG_ICASE])). regexec needs a NUL-terminated string,
// so the sample is copied into a buffer owned by the caller (one per Router).
// glibc's regexec mallocs a case-folded copy of the input on every call when the regex was
// compiled with REG_ICASE (benchmarks/: 1 malloc per ACL per request). For patterns whose
// meaning cannot change under lower-casing (no `\` escapes, no bracket expressions) `-i` is
// done instead by lower-casing the pattern once and the sample while copying it: the same
// matches, and no allocation per request.

#if canImport(Glibc)
import Glibc
#endif

final class PosixRegex {
    private let compiled: UnsafeMutablePointer<regex_t>
    /// Case-insensitive by lower-casing (see above) rather than REG_ICASE.
    private let foldSample: Bool

    struct CompileError: Error, CustomStringConvertible { let description: String }

    init(_ pattern: String, ignoreCase: Bool) throws {
        let re = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        let fold = ignoreCase && !pattern.contains("\\") && !pattern.contains("[")
        let flags = REG_EXTENDED | REG_NOSUB | (ignoreCase && !fold ? REG_ICASE : 0)
        let rc = regcomp(re, fold ? PosixRegex.asciiLowercased(pattern) : pattern, flags)
        if rc != 0 {
            var msg = [CChar](repeating: 0, count: 256)
            regerror(rc, re, &msg, msg.count)
            re.deallocate()
            throw CompileError(description: "regex '\(pattern)': \(String(decoding: msg.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        compiled = re
        foldSample = fold
    }

    static func asciiLowercased(_ s: String) -> String {
        String(decoding: s.utf8.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
    deinit { regfree(compiled); compiled.deallocate() }

    /// Whether the regex matches `sample`, using `scratch` (capacity ≥ sample.count + 1).
    func matches(_ sample: UnsafeRawBufferPointer, scratch: UnsafeMutablePointer<CChar>, capacity: Int) -> Bool {
        let n = min(sample.count, capacity - 1)
        if foldSample {
            for i in 0..<n {
                let c = sample[i]
                scratch[i] = CChar(bitPattern: c >= 65 && c <= 90 ? c | 0x20 : c)
            }
        } else if n > 0 {
            memcpy(scratch, sample.baseAddress!, n)
        }
        scratch[n] = 0
        return regexec(compiled, scratch, 0, nil, 0) == 0
    }
}
