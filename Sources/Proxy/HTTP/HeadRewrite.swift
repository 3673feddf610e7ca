// Header edits as slices: a list of (cut a range of the original head, insert some bytes)
// applied in offset order. The output is an iovec list pointing at the original head bytes
// and at this object's scratch storage, so the head itself is never copied.
// One HeadRewrite per direction per worker, reset for every message: no allocation.

#if canImport(Glibc)
import Glibc
#endif

public final class HeadRewrite {
    public struct Edit {
        public var at: Int32        // offset in the original head where the edit starts
        public var cutTo: Int32     // original bytes [at, cutTo) are dropped
        public var insLo: Int32     // scratch bytes [insLo, insHi) are inserted at `at`
        public var insHi: Int32
    }

    public static let scratchCapacity = 8192
    public static let editCapacity = 256

    public let scratch: UnsafeMutablePointer<UInt8>
    public private(set) var scratchUsed = 0
    public let edits: UnsafeMutablePointer<Edit>
    public private(set) var editCount = 0
    /// Set when an edit did not fit: the caller answers with an error instead of forwarding.
    public private(set) var overflowed = false

    public init() {
        scratch = .allocate(capacity: HeadRewrite.scratchCapacity)
        edits = .allocate(capacity: HeadRewrite.editCapacity)
    }
    deinit { scratch.deallocate(); edits.deallocate() }

    @inline(__always) public func reset() { scratchUsed = 0; editCount = 0; overflowed = false }
    public var isEmpty: Bool { editCount == 0 }

    // MARK: building the inserted bytes

    /// Starts an insertion; append bytes with `put`, then finish with `insert(at:cutTo:from:)`.
    @inline(__always) public var mark: Int { scratchUsed }

    @inline(__always) public func put(_ s: StaticString) {
        put(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
    @inline(__always) public func put(_ b: UnsafeRawBufferPointer) {
        guard b.count > 0 else { return }
        guard scratchUsed + b.count <= HeadRewrite.scratchCapacity else { overflowed = true; return }
        memcpy(scratch + scratchUsed, b.baseAddress!, b.count)
        scratchUsed += b.count
    }
    @inline(__always) public func put(byte: UInt8) {
        guard scratchUsed < HeadRewrite.scratchCapacity else { overflowed = true; return }
        scratch[scratchUsed] = byte; scratchUsed += 1
    }
    public func put(_ s: String) {
        var s = s
        s.withUTF8 { put(UnsafeRawBufferPointer($0)) }
    }
    /// Decimal digits of a non-negative integer.
    public func put(decimal v: Int) {
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0)
        var n = v < 0 ? 0 : v
        var len = 0
        withUnsafeMutableBytes(of: &tmp) { buf in
            repeat { buf[19 - len] = UInt8(48 + n % 10); n /= 10; len += 1 } while n > 0 && len < 20
            put(UnsafeRawBufferPointer(rebasing: buf[(20 - len)..<20]))
        }
    }

    /// Records an edit: original bytes [at, cutTo) are replaced by scratch bytes [from, mark).
    public func edit(at: Int, cutTo: Int, from: Int) {
        guard editCount < HeadRewrite.editCapacity else { overflowed = true; return }
        let e = Edit(at: Int32(at), cutTo: Int32(cutTo), insLo: Int32(from), insHi: Int32(scratchUsed))
        // Keep edits sorted by position; edits mostly arrive in order, so this is a short walk.
        var i = editCount
        while i > 0 && edits[i - 1].at > e.at { edits[i] = edits[i - 1]; i -= 1 }
        edits[i] = e
        editCount += 1
    }

    /// Deletes a range of the original head.
    @inline(__always) public func delete(_ r: ByteRange) { edit(at: Int(r.lo), cutTo: Int(r.hi), from: scratchUsed) }

    /// Appends a header line `name: value\r\n` at the end of the head (before the blank line).
    public func appendHeader(at endOfHeaders: Int, name: StaticString, value: UnsafeRawBufferPointer) {
        let m = mark
        put(name); put(": "); put(value); put("\r\n")
        edit(at: endOfHeaders, cutTo: endOfHeaders, from: m)
    }
    public func appendHeader(at endOfHeaders: Int, line: StaticString) {
        let m = mark
        put(line)
        edit(at: endOfHeaders, cutTo: endOfHeaders, from: m)
    }

    // MARK: output

    /// Number of bytes the rewritten head will have.
    public func outputLength(headLength: Int) -> Int {
        var n = headLength
        for i in 0..<editCount { let e = edits[i]; n += Int(e.insHi - e.insLo) - Int(e.cutTo - e.at) }
        return n
    }

    /// Writes the rewritten head as iovecs (original slices and inserted bytes) and returns
    /// how many were written, or -1 when `max` is too small.
    public func buildIOVecs(head: UnsafeRawBufferPointer, headLength: Int,
                            into iov: UnsafeMutablePointer<iovec>, max: Int) -> Int {
        let base = UnsafeMutableRawPointer(mutating: head.baseAddress!)
        var n = 0
        var pos = 0
        @inline(__always) func emit(_ p: UnsafeMutableRawPointer, _ len: Int) -> Bool {
            if len <= 0 { return true }
            if n > 0, iov[n - 1].iov_base! + iov[n - 1].iov_len == p { iov[n - 1].iov_len += len; return true }
            if n >= max { return false }
            iov[n] = iovec(iov_base: p, iov_len: len); n += 1
            return true
        }
        for i in 0..<editCount {
            let e = edits[i]
            let at = Int(e.at)
            if at > pos { if !emit(base + pos, at - pos) { return -1 } }
            if !emit(UnsafeMutableRawPointer(scratch + Int(e.insLo)), Int(e.insHi - e.insLo)) { return -1 }
            pos = Swift.max(pos, Int(e.cutTo))
        }
        if headLength > pos { if !emit(base + pos, headLength - pos) { return -1 } }
        return n
    }

    /// The rewritten head as bytes (tests and tools only).
    public func render(head: UnsafeRawBufferPointer, headLength: Int) -> [UInt8] {
        let iov = UnsafeMutablePointer<iovec>.allocate(capacity: 1024)
        defer { iov.deallocate() }
        let n = buildIOVecs(head: head, headLength: headLength, into: iov, max: 1024)
        var out: [UInt8] = []
        for i in 0..<max(n, 0) {
            out.append(contentsOf: UnsafeRawBufferPointer(start: iov[i].iov_base, count: iov[i].iov_len))
        }
        return out
    }
}
