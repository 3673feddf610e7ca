// Validates ACL regular expressions at load time with the C library's POSIX ERE compiler,
// the engine HAProxy uses when built without PCRE.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum RegexCheck {
    /// nil when `pattern` compiles, otherwise the compiler's message.
    static func problem(_ pattern: String, ignoreCase: Bool) -> String? {
        var regex = regex_t()
        let flags = REG_EXTENDED | REG_NOSUB | (ignoreCase ? REG_ICASE : 0)
        let status = regcomp(&regex, pattern, flags)
        defer { if status == 0 { regfree(&regex) } }
        guard status != 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        regerror(status, &regex, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
