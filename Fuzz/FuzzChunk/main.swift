// libFuzzer target: the engine's chunked-body scanner (rp_chunk_scan, C), as the engine calls it:
// on whatever pieces the kernel delivers. The outcome (end of message and where, or an error)
// must not depend on how the bytes were cut; the cuts come from the input's first byte.
import CUring
import CFuzzDriver
import Glibc

/// Scans `bytes` in pieces of `piece` bytes: (result, body bytes consumed up to the end).
func scan(_ bytes: UnsafeRawBufferPointer, piece: Int) -> (Int, Int) {
    var c = rp_chunk()
    rp_chunk_init(&c)
    var offset = 0
    while offset < bytes.count {
        let n = min(piece, bytes.count - offset)
        var used = 0
        let r = Int(rp_chunk_scan(&c, bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self), n, &used))
        precondition(used <= n, "used \(used) of \(n)")
        if r != RP_CHUNK_OK { return (r, offset + (r == RP_CHUNK_DONE ? used : 0)) }
        precondition(used == n, "not done, yet \(used) of \(n) used")
        offset += n
    }
    return (RP_CHUNK_OK, offset)
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzChunk(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data = UnsafeRawPointer(data) else { return 0 }
    guard count > 1 else { return 0 }
    let piece = Int(data.load(as: UInt8.self) % 16) + 1
    let body = UnsafeRawBufferPointer(start: data + 1, count: count - 1)
    let whole = scan(body, piece: body.count)
    let cut = scan(body, piece: piece)
    precondition(whole.0 == cut.0, "result \(whole.0) whole, \(cut.0) in pieces of \(piece)")
    if whole.0 == RP_CHUNK_DONE { precondition(whole.1 == cut.1, "end at \(whole.1) whole, \(cut.1) in pieces of \(piece)") }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzChunk))
