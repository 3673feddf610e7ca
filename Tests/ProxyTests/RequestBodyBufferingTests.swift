import Testing
@testable import Proxy

/// `option http-buffer-request` (when a request waits for its body), the body as fetches and
/// `balance url_param … check_post` read it, and the Host header as HAProxy's parser leaves it.
@Suite struct RequestBodyBufferingTests {
    typealias S = ConfigTestSupport

    private func waits(_ text: String, full: Bool = false) -> Bool {
        let p = request(text)
        #expect(p.result == .complete)
        let body = UnsafeRawBufferPointer(rebasing: p.raw[p.head.headLength...])
        return RequestBodyWait.mustWait(p.head, body: body, bufferFull: full)
    }

    @Test func aRequestWaitsUntilItsBodyIsWhole() {
        #expect(waits("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabc"))
        #expect(!waits("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde"))
        #expect(!waits("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabc", full: true))
        #expect(!waits("GET / HTTP/1.1\r\n\r\n"))
        #expect(!waits("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"))
        // chunked: whole only with the last chunk and the blank line after the trailers
        #expect(waits("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n1\r\n1"))
        #expect(waits("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n1\r\n1\r\n1\r\n0\r\n"))
        #expect(!waits("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n1\r\n1\r\n1\r\n0\r\n\r\n"))
        // a client waiting for `100 Continue` is not kept waiting
        #expect(!waits("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"))
    }

    @Test func aChunkedBodyIsReadWithoutItsFraming() {
        var parts: [String] = []
        let raw = Array("3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n".utf8)
        raw.withUnsafeBytes { b in ChunkedBody.forEachData(b) { parts.append(String(decoding: $0, as: UTF8.self)) } }
        #expect(parts == ["abc", "de"])
        var partial: [String] = []
        Array("4\r\nab".utf8).withUnsafeBytes { b in ChunkedBody.forEachData(b) { partial.append(String(decoding: $0, as: UTF8.self)) } }
        #expect(partial == ["ab"])
    }

    @Test func checkPostFindsTheParameterInAFormBody() {
        func value(_ name: String, _ body: String) -> String?? {
            Array(body.utf8).withUnsafeBytes { b in
                URLParamHashBalancer.postValue(of: Array(name.utf8), in: b).map { $0.map { String(decoding: $0, as: UTF8.self) } }
            }
        }
        #expect(value("user", "a=1&user=bob&c=3") == .some(.some("bob")))
        #expect(value("user", "user=bob") == .some(.some("bob")))
        #expect(value("user", "a=1&c=3") == .none)
        #expect(value("user", "username=x") == .none)
        #expect(value("user", "user=\u{1}x") == .some(.none))      // not a form: no hash (round robin)
    }

    @Test func hostKeepsNoDefaultPortForRulesAndTheServer() {
        func check(_ text: String, host: String, forwarded: String) {
            let p = request(text)
            #expect(p.result == .complete)
            let i = p.head.findHeader("host")!
            #expect(p.string(p.head.fields[i].value) == host, "\(text)")
            let rw = HeadRewrite()
            RequestNormalisation.apply(head: p.head, rewrite: rw)
            #expect(p.rendered(rw).contains("\r\nhost: \(forwarded)\r\n"), "\(p.rendered(rw))")
        }
        check("GET http://h:80/x HTTP/1.1\r\nhost: h:80\r\n\r\n", host: "h", forwarded: "h")
        check("GET http://h:80/x HTTP/1.1\r\nhost: h:\r\n\r\n", host: "h", forwarded: "h")
        check("GET http://h/x HTTP/1.1\r\nhost: h:80\r\n\r\n", host: "h:80", forwarded: "h:80")   // no port in the URI: unchanged
        check("GET https://h:443/x HTTP/1.1\r\nhost: h:443\r\n\r\n", host: "h", forwarded: "h")
        check("GET http://h:8080/x HTTP/1.1\r\nhost: h:8080\r\n\r\n", host: "h:8080", forwarded: "h:8080")
        check("CONNECT h:443 HTTP/1.1\r\nhost: h:443\r\n\r\n", host: "h", forwarded: "h")
        check("CONNECT h:80 HTTP/1.1\r\nhost: h:\r\n\r\n", host: "h:", forwarded: "h:")
    }

    @Test func configuration() throws {
        let c = try #require(S.parse(S.backend(" balance url_param user check_post\n server s 127.0.0.1:80")))
        #expect(c.proxy(named: "b")?.balancing.urlParamCheckPost == true)
        #expect(S.parse(S.backend(" balance url_param user\n server s 127.0.0.1:80"))?.proxy(named: "b")?.balancing.urlParamCheckPost == false)
        #expect(S.errors(S.backend(" balance url_param user check_post 10\n server s 127.0.0.1:80")).first?.message.contains("unexpected argument '10'") == true)
        let scoped = try #require(S.parse("defaults\n mode http\nlisten st\n bind :8080\n stats uri /\n stats scope .\n stats scope b\nbackend b\n server s 127.0.0.1:80\n"))
        #expect(scoped.proxy(named: "st")?.stats.scopes == ["st", "b"])
        #expect(scoped.proxy(named: "st")?.stats.enabled == true)
    }
}
