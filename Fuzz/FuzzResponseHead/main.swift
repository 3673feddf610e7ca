// libFuzzer target: the response head parser (make fuzz), for a GET and for a HEAD request. A
// complete head parses the same from exactly its own bytes, and no shorter prefix is complete.
@testable import Proxy
import CFuzzDriver
import Glibc

nonisolated(unsafe) let head = ResponseHead()
nonisolated(unsafe) let again = ResponseHead()

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzResponseHead(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data = UnsafeRawPointer(data) else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: count)
    for wasHead in [false, true] {
        guard ResponseParser.parse(bytes, into: head, requestWasHead: wasHead) == .complete else { continue }
        let length = head.headLength
        precondition(length > 0 && length <= count, "headLength \(length) outside the \(count) bytes")
        precondition(head.status >= 100 && head.status <= 999, "status \(head.status)")
        for i in 0..<head.headerCount {
            let f = head.fields[i]
            precondition(f.name.lo >= 0 && f.line.hi <= Int32(length) && f.value.hi <= f.line.hi, "header \(i) out of the head")
        }
        let framing = head.framing
        precondition(ResponseParser.parse(UnsafeRawBufferPointer(rebasing: bytes[..<length]), into: again,
                                          requestWasHead: wasHead) == .complete, "complete with trailing bytes only")
        precondition(again.headLength == length && again.framing == framing, "trailing bytes changed the head")
        precondition(ResponseParser.parse(UnsafeRawBufferPointer(rebasing: bytes[..<(length - 1)]), into: again,
                                          requestWasHead: wasHead) != .complete, "a prefix of a complete head is complete")
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzResponseHead))
