import CBench
import Foundation
import Testing

/// Response framing, the cookie jar and the latency bucket layout, as units.
@Suite struct BenchFramingTests {
    private func frame(_ text: String, split: Int = 1) -> (status: Int32, done: Int32, consumed: Int) {
        var bytes = Array(text.utf8).map { CChar(bitPattern: $0) }
        let end = bench_find_head_end(&bytes, bytes.count, 0)
        guard end > 0 else { return (0, -2, 0) }
        var r = bench_response()
        guard bench_parse_head(&bytes, end, 0, &r, nil) == 0 else { return (0, -1, 0) }
        var pos = end, done: Int32 = 0
        while pos < bytes.count && done == 0 {
            let n = min(split, bytes.count - pos)
            var used = 0
            done = bytes.withUnsafeBufferPointer { bench_feed_body(&r, $0.baseAddress! + pos, n, &used) }
            pos += used
        }
        return (Int32(r.status), done, pos)
    }

    @Test func contentLengthBody() {
        let msg = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloNEXT"
        let f = frame(msg, split: 2)
        #expect(f.status == 200 && f.done == 1)
        #expect(f.consumed == msg.utf8.count - 4)
    }

    @Test func chunkedBodyByteByByte() {
        let msg = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: v\r\n\r\nNEXT"
        let f = frame(msg, split: 1)
        #expect(f.done == 1)
        #expect(f.consumed == msg.utf8.count - 4)
    }

    @Test func malformedChunkSizeIsAnError() {
        #expect(frame("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").done == -1)
        #expect(frame("HTTP/1.1 2x0 OK\r\n\r\n").done == -1)
    }

    @Test func keepAliveRules() {
        var r = bench_response()
        var a = Array("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n".utf8).map { CChar(bitPattern: $0) }
        #expect(bench_parse_head(&a, a.count, 0, &r, nil) == 0 && r.keep_alive == 0)
        var b = Array("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".utf8).map { CChar(bitPattern: $0) }
        #expect(bench_parse_head(&b, b.count, 0, &r, nil) == 0 && r.keep_alive == 0)
        var c = Array("HTTP/1.1 200 OK\r\n\r\n".utf8).map { CChar(bitPattern: $0) }
        #expect(bench_parse_head(&c, c.count, 0, &r, nil) == 0 && r.mode == Int32(BENCH_BODY_EOF.rawValue))
        var d = Array("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n".utf8).map { CChar(bitPattern: $0) }
        #expect(bench_parse_head(&d, d.count, 0, &r, nil) == 0 && r.mode == Int32(BENCH_BODY_NONE.rawValue))
    }

    private func render(_ jar: inout bench_cookie_jar) -> String {
        var out = [CChar](repeating: 0, count: Int(BENCH_JAR_RENDER_MAX))
        let n = bench_jar_render(&jar, &out, out.count)
        return String(decoding: out.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func store(_ jar: inout bench_cookie_jar, _ s: String) {
        var b = Array(s.utf8).map { CChar(bitPattern: $0) }
        bench_jar_store(&jar, &b, b.count)
    }

    @Test func cookieJarReplacesByNameAndForgets() {
        var jar = bench_cookie_jar()
        #expect(render(&jar) == "")
        store(&jar, "SRV=s1; Path=/")
        store(&jar, "JSESSIONID=abc; HttpOnly")
        store(&jar, "SRV=s2")
        #expect(render(&jar) == "Cookie: SRV=s2; JSESSIONID=abc\r\n")
        store(&jar, "SRV=gone; Max-Age=0")
        #expect(render(&jar) == "Cookie: JSESSIONID=abc\r\n")
    }

    @Test func latencyBucketsAreNarrowAndOrdered() {
        var last: UInt32 = 0
        for us in stride(from: UInt64(1), to: 100_000_000, by: 997) {
            let i = bench_hist_index(us)
            #expect(i >= last)
            last = i
            let v = bench_hist_value(i)
            #expect(Double(max(v, us) - min(v, us)) <= Double(us) * 0.008 + 1, "\(us) -> \(v)")
        }
        #expect(bench_hist_index(0xffff_ffff) < UInt32(BENCH_HIST_BUCKETS))
    }
}
