// A POSIX extended regular expression compiled once (HAProxy 1.4 without PCRE:
// regcomp(REG_EXTENDED | REG_NOSUB [| REG_ICASE])). regexec needs a NUL-terminated string,
// so the sample is copied into a buffer owned by the caller (one per Router, so no
// allocation per request by ringproxy; glibc's regexec itself mallocs a small match context
// on each call, measured with valgrind: one malloc per regexec).

#if canImport(Glibc)
import Glibc
#endif

final class PosixRegex {
    private let compiled: UnsafeMutablePointer<regex_t>

    struct CompileError: Error, CustomStringConvertible { let description: String }

    init(_ pattern: String, ignoreCase: Bool) throws {
        let re = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        let flags = REG_EXTENDED | REG_NOSUB | (ignoreCase ? REG_ICASE : 0)
        let rc = regcomp(re, pattern, flags)
        if rc != 0 {
            var msg = [CChar](repeating: 0, count: 256)
            regerror(rc, re, &msg, msg.count)
            re.deallocate()
            throw CompileError(description: "regex '\(pattern)': \(String(decoding: msg.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        compiled = re
    }
    deinit { regfree(compiled); compiled.deallocate() }

    /// Whether the regex matches `sample`, using `scratch` (capacity ≥ sample.count + 1).
    func matches(_ sample: UnsafeRawBufferPointer, scratch: UnsafeMutablePointer<CChar>, capacity: Int) -> Bool {
        let n = min(sample.count, capacity - 1)
        if n > 0 { memcpy(scratch, sample.baseAddress!, n) }
        scratch[n] = 0
        return regexec(compiled, scratch, 0, nil, 0) == 0
    }
}
