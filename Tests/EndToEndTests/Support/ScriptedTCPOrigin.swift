// An origin whose every connection runs a test's script (read a head, write exact bytes, stall,
// close...), for reproducing a faulty server byte for byte in front of both proxies.
import CBench
import CUring
import Foundation
import Glibc
import Synchronization

/// The origin's side of one connection.
final class OriginPeer {
    let fd: Int32
    private(set) var buffer: [UInt8] = []
    init(fd: Int32) { self.fd = fd }

    /// Reads until a blank line; returns the head (bytes after it stay buffered). nil on EOF.
    func readHead(timeout: Duration = .seconds(10)) -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let end = find(Array("\r\n\r\n".utf8)) {
                let head = String(decoding: buffer[0..<end + 4], as: UTF8.self)
                buffer.removeFirst(end + 4)
                return head
            }
            guard more(until: deadline) else { return nil }
        }
    }

    /// Reads and drops until the peer closes; true when it did within `timeout`.
    func waitForClose(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while more(until: deadline) { buffer.removeAll() }
        return closed
    }

    private(set) var closed = false
    private func more(until deadline: ContinuousClock.Instant) -> Bool {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return false }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, RawHTTP.milliseconds(left)) == 1 else { return false }
        var b = [UInt8](repeating: 0, count: 65536)
        let n = b.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { closed = true; return false }
        buffer += b[0..<n]
        return true
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where Array(buffer[i..<i + needle.count]) == needle { return i }
        return nil
    }

    func write(_ text: String) { write(Array(text.utf8)) }
    func write(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }
}

final class ScriptedTCPOrigin: @unchecked Sendable {    // fd and counters only, set once
    let port: UInt16
    private let fd: Int32
    private let stopping = Atomic<Bool>(false)
    private let accepted = Atomic<Int>(0)
    private let script: @Sendable (OriginPeer, Int) -> Void
    var connections: Int { accepted.load(ordering: .relaxed) }

    init(_ script: @escaping @Sendable (OriginPeer, Int) -> Void) throws {
        self.script = script
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0, listen(fd, 128) == 0 else { close(fd); throw RawHTTPError("origin bind: errno \(errno)") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        port = UInt16(bigEndian: a.sin_port)
        Thread { [self] in acceptLoop() }.start()
    }

    private func acceptLoop() {
        while !stopping.load(ordering: .relaxed) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) == 1 else { continue }
            let c = accept(fd, nil, nil)
            if c >= 0 { _ = fcntl(c, F_SETFD, FD_CLOEXEC) }   // not inherited by the proxies tests start
            if c < 0 { continue }
            let i = accepted.wrappingAdd(1, ordering: .relaxed).oldValue
            let script = self.script
            Thread { script(OriginPeer(fd: c), i); close(c) }.start()
        }
        close(fd)
    }

    /// Stops accepting (the accept thread closes the socket). Call it: the thread holds the origin.
    func stop() { stopping.store(true, ordering: .relaxed) }
}

/// The same configuration run by ringproxy and (when installed) HAProxy 2.6, each with its own
/// frontend port and syslog collector. `config(port, syslogPort)` returns the text.
final class TwinProxies {
    struct Side {
        let name: String
        let process: ProxyProcess
        let port: UInt16
        let syslog: SyslogCollector
    }
    let sides: [Side]

    init(haproxy: Bool = true, _ config: (UInt16, UInt16) -> String) throws {
        var sides: [Side] = []
        var binaries = [("ringproxy", ProxyProcess.ringproxyBinary)]
        if haproxy, let h = HAProxyProcess.executable { binaries.append(("haproxy", h)) }
        for (name, binary) in binaries {
            let port = freePort()
            let syslog = try SyslogCollector()
            let p = try ProxyProcess(config: config(port, syslog.port), binary: binary, waitForPorts: [port], timeout: .seconds(30))
            sides.append(Side(name: name, process: p, port: port, syslog: syslog))
        }
        self.sides = sides
    }

    func stop() { for s in sides { s.process.stop(); s.syslog.stop() } }

    /// The httplog lines a side logged so far (waiting until at least `count` arrived).
    func logs(_ side: Side, count: Int = 1, timeout: Duration = .seconds(5)) -> [OpsLogLine] {
        side.syslog.waitForMessages(count: count, timeout: timeout).compactMap(OpsLogLine.init)
    }
}
