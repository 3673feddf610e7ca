// Writing to stderr without touching C's `stderr` global (not concurrency-safe in Swift 6).
#if canImport(Glibc)
import Glibc
#endif

public func writeStderr(_ s: String) {
    var s = s
    s.withUTF8 { b in
        var off = 0
        while off < b.count {
            let n = write(2, b.baseAddress! + off, b.count - off)
            if n <= 0 { break }
            off += n
        }
    }
}
