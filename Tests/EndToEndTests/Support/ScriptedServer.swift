// A TCP server on 127.0.0.1 that plays a script on every connection (send bytes, read N
// bytes, wait, close) and records what each connection sent it: the stand-in for SMTP, MySQL,
// PostgreSQL, Redis, LDAP servers and odd HTTP servers in health-check tests.
import CBench
import CUring
import Foundation
import Glibc
import Synchronization

final class ScriptedServer: @unchecked Sendable {
    enum Step: Sendable {
        case send([UInt8])
        case receive(Int)
        /// Reads until the request head ends (`\r\n\r\n`) and its Content-Length body.
        case receiveHTTPRequest
        case sleep(milliseconds: Int)
    }

    let port: UInt16
    let fd: Int32
    let script: [Step]
    private let received = Mutex<[[UInt8]]>([])
    private let stopping = Atomic<Bool>(false)
    private var thread: pthread_t? = nil

    static func text(_ s: String) -> Step { .send(Array(s.utf8)) }
    static func hex(_ s: String) -> Step {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex { let j = s.index(i, offsetBy: 2); out.append(UInt8(s[i..<j], radix: 16)!); i = j }
        return .send(out)
    }

    init(_ script: [Step], port: UInt16 = freePort()) throws {
        self.port = port
        self.script = script
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET); a.sin_port = port.bigEndian; a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0, listen(fd, 64) == 0 else { close(fd); throw RawHTTPError("scripted server bind \(port): errno \(errno)") }
        let box = Unmanaged.passRetained(self).toOpaque()
        var t = pthread_t()
        pthread_create(&t, nil, { arg in
            let me = Unmanaged<ScriptedServer>.fromOpaque(arg!).takeRetainedValue()
            me.acceptLoop()
            return nil
        }, box)
        thread = t
    }

    /// What each connection sent, in order.
    var connections: [[UInt8]] { received.withLock { $0 } }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        if let t = thread { pthread_join(t, nil); thread = nil }
        close(fd)
    }

    private func acceptLoop() {
        while !stopping.load(ordering: .relaxed) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 20) > 0 else { continue }
            let c = accept(fd, nil, nil)
            if c >= 0 { _ = fcntl(c, F_SETFD, FD_CLOEXEC) }   // not inherited by the proxies tests start
            guard c >= 0 else { continue }
            // One thread per connection: a slow script must not hold the next check.
            let box = Unmanaged.passRetained(ConnectionBox(server: self, fd: c)).toOpaque()
            var t = pthread_t()
            if pthread_create(&t, nil, { arg in
                let b = Unmanaged<ConnectionBox>.fromOpaque(arg!).takeRetainedValue()
                b.server.serve(b.fd)
                return nil
            }, box) == 0 { pthread_detach(t) } else { Unmanaged<ConnectionBox>.fromOpaque(box).release(); close(c) }
        }
    }

    final class ConnectionBox { let server: ScriptedServer; let fd: Int32; init(server: ScriptedServer, fd: Int32) { self.server = server; self.fd = fd } }

    private func serve(_ c: Int32) {
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        func read(_ want: (([UInt8]) -> Bool)) {
            while !want(got) {
                let n = recv(c, &buf, buf.count, 0)
                if n <= 0 { return }
                got += buf[0..<n]
            }
        }
        var consumed = 0
        for step in script {
            switch step {
            case .send(let b): _ = b.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            case .receive(let n):
                let target = consumed + n
                read { $0.count >= target }
                consumed = min(got.count, target)
            case .receiveHTTPRequest:
                read { b in
                    guard let end = ScriptedServer.headEnd(b) else { return false }
                    return b.count >= end + ScriptedServer.contentLength(b[..<end])
                }
                consumed = got.count
            case .sleep(let ms): usleep(UInt32(ms) * 1000)
            }
        }
        received.withLock { $0.append(got) }
        close(c)
    }

    static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i + 4 }
        return nil
    }

    static func contentLength(_ head: ArraySlice<UInt8>) -> Int {
        let text = String(decoding: head, as: UTF8.self).lowercased()
        guard let r = text.range(of: "\ncontent-length:") else { return 0 }
        return Int(text[r.upperBound...].prefix { $0 != "\r" }.trimmingCharacters(in: .whitespaces)) ?? 0
    }
}
