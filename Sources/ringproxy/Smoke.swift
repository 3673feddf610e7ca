// TEMPORARY: a pass-through handler to exercise the C engine before the real stream layer lands.
import Proxy
import CUring
#if canImport(Glibc)
import Glibc
#endif

func findHeadEnd(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
    if n < 4 { return nil }
    for i in 0...(n - 4) where p[i] == 13 && p[i+1] == 10 && p[i+2] == 13 && p[i+3] == 10 { return i + 4 }
    return nil
}
func contentLength(_ p: UnsafePointer<UInt8>, _ n: Int) -> (Int64?, Bool) {
    let s = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self).lowercased()
    var cl: Int64? = nil; var chunked = false
    for line in s.split(separator: "\r\n") {
        if line.hasPrefix("content-length:") { cl = Int64(line.dropFirst(15).trimmingCharacters(in: " ")) }
        if line.hasPrefix("transfer-encoding:") && line.contains("chunked") { chunked = true }
    }
    return (cl, chunked)
}
extension Substring { func trimmingCharacters(in c: Character) -> String { String(self.drop(while: { $0 == c })) } }

final class SmokeHandler: HeadHandler {
    let close: Bool
    init(close: Bool) { self.close = close }
    func onRequest(_ call: UnsafeMutablePointer<rp_head_call>) {
        let c = call.pointee
        guard let end = findHeadEnd(c.buf, Int(c.len)) else { return }
        let (cl, chunked) = contentLength(c.buf, end)
        call.pointee.verdict = Int32(RP_FORWARD.rawValue)
        call.pointee.head_len = UInt32(end)
        call.pointee.iov.0 = iovec(iov_base: UnsafeMutableRawPointer(mutating: c.buf), iov_len: end)
        call.pointee.iovcnt = 1
        call.pointee.body = chunked ? Int32(RP_BODY_CHUNKED.rawValue) : (cl ?? 0) > 0 ? Int32(RP_BODY_LENGTH.rawValue) : Int32(RP_BODY_NONE.rawValue)
        call.pointee.body_len = cl ?? 0
        call.pointee.server_out = 0
        call.pointee.close_after = close ? 1 : 0
        call.pointee.server_reuse = close ? 0 : 1
        call.pointee.connect_timeout_ms = 5000
        call.pointee.server_timeout_ms = 30000
        call.pointee.client_timeout_ms = 30000
    }
    func onResponse(_ call: UnsafeMutablePointer<rp_head_call>) {
        let c = call.pointee
        guard let end = findHeadEnd(c.buf, Int(c.len)) else { return }
        let (cl, chunked) = contentLength(c.buf, end)
        call.pointee.verdict = Int32(RP_FORWARD.rawValue)
        call.pointee.head_len = UInt32(end)
        call.pointee.iov.0 = iovec(iov_base: UnsafeMutableRawPointer(mutating: c.buf), iov_len: end)
        call.pointee.iovcnt = 1
        call.pointee.body = chunked ? Int32(RP_BODY_CHUNKED.rawValue) : cl != nil ? Int32(RP_BODY_LENGTH.rawValue) : Int32(RP_BODY_CLOSE.rawValue)
        call.pointee.body_len = cl ?? 0
        call.pointee.status_hint = 200
    }
    func onRedispatch(worker: Int, slot: UInt32, failedServer: Int, head: UnsafeRawBufferPointer) -> Int { -1 }
    func onDone(_ info: UnsafePointer<rp_done_info>) {}
    func onTurn(worker: Int) {}
}

func runSmoke(_ spec: String) -> Never {
    let parts = spec.split(separator: ":").map(String.init)
    let lport = Int(parts[0])!, bport = Int(parts[1])!
    let close = parts.count > 2 && parts[2] == "close"
    var s = EngineSettings(); s.workers = Int(getenv("SMOKE_WORKERS").map { String(cString: $0) } ?? "1") ?? 1
    let page = Array("HTTP/1.1 503 x\r\ncontent-length: 0\r\n\r\n".utf8)
    do {
        let e = try Engine(listeners: [EngineListener(host: "127.0.0.1", port: lport, frontend: 0, maxconn: 0)],
                           servers: [("127.0.0.1", bport, 0)], settings: s, handler: SmokeHandler(close: close),
                           pages: (page, page, page, page, page))
        try e.start()
        e.join()
    } catch { print("error: \(error)") }
    exit(0)
}
