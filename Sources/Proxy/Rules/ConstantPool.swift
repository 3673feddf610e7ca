// The bytes a compiled configuration points at (names, literal strings, prebuilt header
// values, error pages). Samples and replies hold raw pointers into them, so they must not move
// or die while the configuration is in use; the pool owns them and frees them all when the last
// holder of the compiled configuration goes (a reload, a `-c` check, a test). Pages the process
// builds once (ErrorPages, header names) use `process`, which is never freed.

final class ConstantPool: @unchecked Sendable {
    // @unchecked: filled while compiling, on one thread, before the configuration is published.
    private var blocks: [UnsafeMutableRawBufferPointer] = []
    private let immortal: Bool

    /// The pool of bytes that live as long as the process.
    static let process = ConstantPool(immortal: true)

    init() { immortal = false }
    private init(immortal: Bool) { self.immortal = immortal }

    /// A copy of `bytes` that lives as long as this pool.
    func copy(_ bytes: [UInt8]) -> UnsafeRawBufferPointer {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        bytes.withUnsafeBytes { p.copyMemory(from: $0) }
        if !immortal { blocks.append(p) }
        return UnsafeRawBufferPointer(p)
    }

    deinit { for b in blocks { b.deallocate() } }
}
