// A UDP listener on 127.0.0.1 standing in for syslog (spec Appendix B): records every datagram.
import CBench
import CUring
import Glibc
import Synchronization

final class SyslogCollector: Sendable {
    let port: UInt16
    private let fd: Int32
    private let datagrams = Mutex<[String]>([])
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<pthread_t?>(nil)

    /// Listens on 127.0.0.1:`port` (default: a free port).
    init(port: UInt16 = freePort()) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError("udp socket: errno \(errno)") }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let r = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else { let e = errno; close(fd); throw RawHTTPError("udp bind \(port): errno \(e)") }
        self.fd = fd
        self.port = port
        let box = Unmanaged.passRetained(self).toOpaque()
        var t = pthread_t()
        guard pthread_create(&t, nil, { arg in
            let me = Unmanaged<SyslogCollector>.fromOpaque(arg!).takeRetainedValue()
            me.receiveLoop()
            return nil
        }, box) == 0 else {
            Unmanaged<SyslogCollector>.fromOpaque(box).release()
            close(fd)
            throw RawHTTPError("pthread_create failed")
        }
        thread.withLock { $0 = t }
    }

    /// Datagrams received so far, verbatim, in arrival order.
    var messages: [String] { datagrams.withLock { $0 } }

    /// Waits until at least `count` datagrams arrived (or the timeout); returns them all.
    func waitForMessages(count: Int = 1, timeout: Duration = .seconds(5)) -> [String] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, messages.count < count { usleep(5_000) }
        return messages
    }

    func clear() { datagrams.withLock { $0 = [] } }

    /// Stops the receiver thread and closes the socket. Call it: the thread keeps the
    /// collector alive until then.
    func stop() {
        guard let t = thread.withLock({ t -> pthread_t? in defer { t = nil }; return t }) else { return }
        stopping.store(true, ordering: .relaxed)
        pthread_join(t, nil)
        close(fd)
    }

    private func receiveLoop() {
        var buf = [UInt8](repeating: 0, count: 65536)
        while !stopping.load(ordering: .relaxed) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 20) > 0 else { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n > 0 {
                let text = String(decoding: buf[..<n], as: UTF8.self)
                datagrams.withLock { $0.append(text) }
            }
        }
    }
}
