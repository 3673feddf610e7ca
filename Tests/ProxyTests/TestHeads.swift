// Test-only construction of parsed heads (the real parser lives elsewhere): splits a head
// written as a string into its lines and fills the header table of RequestHead/ResponseHead.

import Testing
@testable import Proxy

/// Holds the bytes a head points into. They are never freed (a few KB per test run) so that
/// `testRequest(...).head` stays valid even after the holder itself is released.
final class TestHead<Head: MessageHead> {
    let head: Head
    let storage: UnsafeMutableRawBufferPointer

    init(_ text: String, _ head: Head) {
        let raw = Array(text.utf8)
        storage = .allocate(byteCount: raw.count, alignment: 1)
        storage.copyBytes(from: raw)
        self.head = head
        head.bytes = UnsafeRawBufferPointer(storage)
        var pos = 0
        func lineEnd(_ from: Int) -> Int {   // offset of the CR of the line starting at `from`
            var i = from
            while i + 1 < raw.count && !(raw[i] == 13 && raw[i + 1] == 10) { i += 1 }
            return i
        }
        let first = lineEnd(0)
        fillStartLine(raw, first)
        pos = first + 2
        var n = 0
        while pos < raw.count {
            let e = lineEnd(pos)
            if e == pos { head.endOfHeaders = pos; head.headLength = pos + 2; break }
            var colon = pos
            while raw[colon] != UInt8(ascii: ":") { colon += 1 }
            var vlo = colon + 1, vhi = e
            while vlo < vhi && (raw[vlo] == 32 || raw[vlo] == 9) { vlo += 1 }
            while vhi > vlo && (raw[vhi - 1] == 32 || raw[vhi - 1] == 9) { vhi -= 1 }
            head.fields[n] = HeaderField(name: ByteRange(pos, colon), value: ByteRange(vlo, vhi), line: ByteRange(pos, e + 2))
            n += 1
            pos = e + 2
        }
        head.headerCount = n
    }

    private func fillStartLine(_ raw: [UInt8], _ end: Int) {
        var sp1 = 0
        while raw[sp1] != 32 { sp1 += 1 }
        var sp2 = sp1 + 1
        while sp2 < end && raw[sp2] != 32 { sp2 += 1 }
        if let r = head as? RequestHead {
            r.method = ByteRange(0, sp1)
            r.target = ByteRange(sp1 + 1, sp2)
            r.requestLine = ByteRange(0, end)
            let m = String(decoding: raw[0..<sp1], as: UTF8.self)
            r.isPost = m == "POST"; r.isHead = m == "HEAD"
            r.isGetHeadPost = ["GET", "HEAD", "POST"].contains(m)
        } else if let r = head as? ResponseHead {
            r.status = Int(String(decoding: raw[(sp1 + 1)..<sp2], as: UTF8.self)) ?? 0
            r.statusLine = ByteRange(0, end)
        }
    }

    /// The head after the edits of `rewrite`.
    func rendered(_ rewrite: HeadRewrite) -> String {
        String(decoding: rewrite.render(head: head.bytes, headLength: head.headLength), as: UTF8.self)
    }
}

func testRequest(_ text: String) -> TestHead<RequestHead> { TestHead(text, RequestHead()) }
func testResponse(_ text: String) -> TestHead<ResponseHead> { TestHead(text, ResponseHead()) }

/// `GET / HTTP/1.1` with the given header lines.
func get(_ headers: String..., method: String = "GET", target: String = "/") -> TestHead<RequestHead> {
    testRequest("\(method) \(target) HTTP/1.1\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n")
}

let testLoc = SourceLocation(file: "test.cfg", line: 1)

func servers(_ weights: [Int], cookies: [String?]? = nil) -> [ServerConfig] {
    weights.enumerated().map { i, w in
        var s = ServerConfig(name: "s\(i)", host: "127.0.0.1", port: 8000 + i, location: testLoc)
        s.weight = w
        s.cookie = cookies?[i]
        return s
    }
}
