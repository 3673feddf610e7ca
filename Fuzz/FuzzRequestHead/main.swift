// libFuzzer target: the request head parser (make fuzz). Besides "no crash, no sanitizer report",
// it checks two properties the engine relies on: a complete head parses the same from exactly
// its own bytes (what follows cannot change it), and no shorter prefix of it is complete.
@testable import Proxy
import CFuzzDriver
import Glibc

nonisolated(unsafe) let head = RequestHead()
nonisolated(unsafe) let again = RequestHead()

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzRequestHead(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data = UnsafeRawPointer(data) else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: count)
    guard RequestParser.parse(bytes, into: head) == .complete else { return 0 }
    let length = head.headLength
    precondition(length > 0 && length <= count, "headLength \(length) outside the \(count) bytes")
    for r in [head.method, head.target, head.requestLine] { precondition(r.lo >= 0 && r.hi <= Int32(length)) }
    for i in 0..<head.headerCount {
        let f = head.fields[i]
        precondition(f.name.lo >= 0 && f.line.hi <= Int32(length) && f.value.hi <= f.line.hi, "header \(i) out of the head")
    }
    let framing = head.framing
    precondition(RequestParser.parse(UnsafeRawBufferPointer(rebasing: bytes[..<length]), into: again) == .complete,
                 "complete with trailing bytes, not without them")
    precondition(again.headLength == length && again.framing == framing, "trailing bytes changed the head")
    precondition(RequestParser.parse(UnsafeRawBufferPointer(rebasing: bytes[..<(length - 1)]), into: again) != .complete,
                 "a prefix of a complete head is complete")
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzRequestHead))
