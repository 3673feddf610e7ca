import Foundation
import Testing
import Glibc
@testable import Proxy

/// A bound datagram socket (UDP on 127.0.0.1, or UNIX at a path) that tests read from.
struct DatagramReceiver {
    let fd: Int32
    let port: Int
    let path: String?

    init(unixPath: String? = nil) {
        let sock: Int32
        var boundPort = 0
        if let unixPath {
            unlink(unixPath)
            sock = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            let a = SocketAddress(unixPath: unixPath)!
            var st = a.storage
            _ = withUnsafePointer(to: &st) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, a.length) } }
        } else {
            sock = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET); a.sin_addr.s_addr = inet_addr("127.0.0.1")
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                _ = bind(sock, p, len); _ = getsockname(sock, p, &len) } }
            boundPort = Int(UInt16(bigEndian: a.sin_port))
        }
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        fd = sock; port = boundPort; path = unixPath
    }

    func receive() -> String? {
        var buf = [UInt8](repeating: 0, count: 70000)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : nil
    }

    func close() { Glibc.close(fd); if let path { unlink(path) } }
}

@Suite(.serialized) struct LogSenderTests {
    /// One message through every kind of destination, each with its own format and len.
    @Test func routesToUnixSocketDescriptorRingAndUDP() throws {
        let unixPath = NSTemporaryDirectory() + "rp-log-\(getpid()).sock"
        let unix = DatagramReceiver(unixPath: unixPath)
        let udp = DatagramReceiver()
        defer { unix.close(); udp.close() }
        var pipeFDs: [Int32] = [0, 0]
        try #require(pipe(&pipeFDs) == 0)
        defer { close(pipeFDs[0]); close(pipeFDs[1]) }

        let text = """
            global
             log-tag rp
            ring buf
             format rfc3164
             maxlen 60
            frontend F
             bind 127.0.0.1:1
             log unix@\(unixPath) format short local1
             log fd@\(pipeFDs[1]) len 80 format raw local2
             log ring@buf local3
             log 127.0.0.1:\(udp.port) format priority sample 2:2 local4 info
            """
        let c = try ConfigParser.parse(text: text, file: "t")
        let targets = LogTargets(configuration: c, pid: 42)
        let sender = SyslogSender(targets: targets)
        let log = targets.log(of: "F")
        let pad = String(repeating: "x", count: 100)
        for i in 1...4 { sender.log(level: 6, to: log, message: "message \(i) \(pad)") }
        sender.log(level: 7, to: log, message: "debug line")          // not for the `info` UDP logger
        sender.flush()

        #expect(unix.receive() == "<6>message 1 \(pad)\n")
        #expect(udp.receive() == "<166>message 2 \(pad)\n", "sample 2:2: every second line")
        #expect(udp.receive() == "<166>message 4 \(pad)\n")

        var buf = [UInt8](repeating: 0, count: 4096)
        let n = read(pipeFDs[0], &buf, buf.count)
        let lines = String(decoding: buf[0..<max(0, n)], as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines == (1...4).map { String("message \($0) \(pad)".prefix(79)) } + ["debug line"], "len 80 on a descriptor: 79 bytes + newline")

        let ring = try #require(targets.rings.first)
        let stored = ring.snapshot().map { String(decoding: $0, as: UTF8.self) }
        #expect(stored.count == 5)
        #expect(stored.first?.hasPrefix("<158>") == true && stored.first?.contains(" localhost rp[42]: message 1") == true, "\(stored)")
        #expect(stored.allSatisfy { $0.utf8.count <= 60 && !$0.hasSuffix("\n") }, "ring maxlen, no newline: \(stored)")
    }

    /// A ring with a server forwards its lines over TCP with octet counting.
    @Test func ringForwardsWithOctetCounting() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET); a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
            _ = bind(listener, p, len); _ = getsockname(listener, p, &len) } }
        listen(listener, 4)
        let port = Int(UInt16(bigEndian: a.sin_port))

        let c = try ConfigParser.parse(text: "ring buf\n format rfc5424\n server s 127.0.0.1:\(port) log-proto octet-count\nfrontend F\n bind 127.0.0.1:1\n log ring@buf local0\n", file: "t")
        #expect(c.rings[0].servers[0].framing == .octetCount)
        #expect(try ConfigParser.parse(text: "ring r\n server s 127.0.0.1:1\n", file: "t").rings[0].servers[0].framing == .legacy, "HAProxy's default")
        let targets = LogTargets(configuration: c, pid: 7)
        let sender = SyslogSender(targets: targets)
        sender.log(level: 6, to: targets.log(of: "F"), message: "first")
        sender.log(level: 6, to: targets.log(of: "F"), message: "second")
        sender.flush()
        let forwarder = LogRingForwarder(ring: targets.rings[0], server: c.rings[0].servers[0])
        try forwarder.start()
        defer { forwarder.stop() }

        var tv = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let conn = accept(listener, nil, nil)
        try #require(conn >= 0)
        defer { close(conn) }
        setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var got = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline, String(decoding: got, as: UTF8.self).components(separatedBy: "<134>1 ").count < 3 {
            let n = recv(conn, &buf, buf.count, 0)
            if n <= 0 { break }
            got += buf[0..<n]
        }
        let text = String(decoding: got, as: UTF8.self)
        // `LEN <134>1 ISO - ringproxy 7 - - first` twice, LEN counting the bytes after the space.
        let frames = text.matches(of: /(\d+) (<134>1 \S+ - ringproxy 7 - - (first|second))/)
        #expect(frames.count == 2, "\(text)")
        for f in frames { #expect(Int(f.1) == f.2.utf8.count, "\(text)") }
    }
}
