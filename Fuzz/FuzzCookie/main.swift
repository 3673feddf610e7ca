// libFuzzer target: the request side of cookie persistence (`cookie SRV insert indirect nocache
// maxidle 1h maxlife 8h`, the reference configuration's mode with dates) on a Cookie header
// made of the input. The input goes through the real request parser first; the head as
// rewritten (the persistence cookie removed) must parse again as a complete request.
@testable import Proxy
import CFuzzDriver
import Glibc

nonisolated(unsafe) let prefix = Array("GET / HTTP/1.1\r\nHost: x\r\nCookie: ".utf8), suffix = Array("\r\nAccept: */*\r\n\r\n".utf8)
nonisolated(unsafe) let persistence: CookiePersistence = {
    var c = CookieConfig(name: "SRV")
    c.mode = .insert; c.indirect = true; c.nocache = true
    c.maxidle = 3_600_000; c.maxlife = 8 * 3_600_000
    var servers: [ServerConfig] = []
    for (i, cookie) in ["s1", "s2", "s3"].enumerated() {
        var s = ServerConfig(name: "s\(i)", host: "127.0.0.1", port: 8000 + i, location: SourceLocation(file: "fuzz.cfg", line: 1))
        s.cookie = cookie
        servers.append(s)
    }
    return CookiePersistence(config: c, servers: servers)
}()
nonisolated(unsafe) let head = RequestHead(), again = RequestHead()
nonisolated(unsafe) let rewrite = HeadRewrite()

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzCookie(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data = UnsafeRawPointer(data) else { return 0 }
    let value = UnsafeRawBufferPointer(start: data, count: count)
    let message = prefix + value + suffix
    message.withUnsafeBytes { bytes in
        guard RequestParser.parse(bytes, into: head) == .complete else { return }
        rewrite.reset()
        let r = persistence.processRequest(head, states: FixedServerStates([true, false, true]), rewrite: rewrite)
        if let s = r.server { precondition(s >= 0 && s < 3, "server \(s)") }
        guard !rewrite.overflowed else { return }
        let out = rewrite.render(head: bytes, headLength: head.headLength)
        out.withUnsafeBytes { o in
            precondition(RequestParser.parse(o, into: again) == .complete,
                         "the rewritten head no longer parses: \(String(decoding: out, as: UTF8.self).debugDescription)")
        }
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzCookie))
