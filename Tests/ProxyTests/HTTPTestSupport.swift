// Helpers for the HTTP suites: a head parsed from a string. The head only records offsets
// into the bytes, so the bytes are deliberately never freed: Swift may end a `Parsed`'s
// lifetime right after its last use while its head is still being read (a test run leaks
// a few kilobytes).
@testable import Proxy

final class Parsed<Head: MessageHead> {
    let storage: UnsafeMutableRawBufferPointer
    let head: Head
    let result: ParseResult
    var raw: UnsafeRawBufferPointer { UnsafeRawBufferPointer(storage) }

    init(_ bytes: [UInt8], head: Head, parse: (UnsafeRawBufferPointer, Head) -> ParseResult) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
        self.storage = storage
        self.head = head
        result = parse(UnsafeRawBufferPointer(rebasing: storage[0..<bytes.count]), head)
    }

    func string(_ r: ByteRange?) -> String? { r.map { head.string($0) } }

    /// The head after the edits in `rewrite`, as a String.
    func rendered(_ rewrite: HeadRewrite) -> String {
        String(decoding: rewrite.render(head: head.bytes, headLength: head.headLength), as: UTF8.self)
    }
}

func request(_ s: String) -> Parsed<RequestHead> { request(Array(s.utf8)) }
func request(_ b: [UInt8]) -> Parsed<RequestHead> {
    Parsed(b, head: RequestHead()) { RequestParser.parse($0, into: $1) }
}
func response(_ s: String, head requestWasHead: Bool = false) -> Parsed<ResponseHead> {
    Parsed(Array(s.utf8), head: ResponseHead()) { ResponseParser.parse($0, into: $1, requestWasHead: requestWasHead) }
}
