import Testing
@testable import Proxy

@Suite struct HeadRewriteTests {
    @Test func deleteAndAppend() {
        let head = Array("GET / HTTP/1.1\r\nHost: a\r\nCookie: x=1\r\n\r\n".utf8)
        head.withUnsafeBytes { raw in
            let rw = HeadRewrite()
            rw.delete(ByteRange(25, 38))
            rw.appendHeader(at: head.count - 2, name: "X-Forwarded-For", value: UnsafeRawBufferPointer(start: "127.0.0.1", count: 9))
            let out = String(decoding: rw.render(head: raw, headLength: head.count), as: UTF8.self)
            #expect(out == "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n")
        }
    }
}
