// Log targets, formats and options end to end, side by side with HAProxy 2.6: the same
// configuration and the same requests through both, every line received by a UDP collector, a
// UNIX datagram collector and stdout, compared byte for byte once dates, pids, client ports,
// timers and byte counts are blanked.
import CBench
import CUring
import Foundation
import Testing
import Glibc
import Proxy
import Origins
import Synchronization

/// A UNIX datagram socket standing in for /dev/log: records every datagram.
final class UnixSyslogCollector: @unchecked Sendable {
    let path: String
    let fd: Int32
    init() throws {
        path = NSTemporaryDirectory() + "rp-devlog-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var a = sockaddr_un()
        a.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &a.sun_path) { dst in
            let b = Array(path.utf8); dst.copyBytes(from: b); dst[b.count] = 0
        }
        let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard r == 0 else { throw RawHTTPError("unix bind \(path): errno \(errno)") }
    }

    /// Datagrams until none arrives for `quiet`, or `count` are in.
    func receive(count: Int, timeout: Duration = .seconds(5)) -> [String] {
        var out: [String] = []
        var buf = [UInt8](repeating: 0, count: 70000)
        let deadline = ContinuousClock.now + timeout
        while out.count < count, ContinuousClock.now < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 20) > 0 else { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { out.append(String(decoding: buf[0..<n], as: UTF8.self)) }
        }
        return out
    }

    func stop() { close(fd); unlink(path) }
}

/// A TCP syslog receiver (a ring's `server`): accepts connections and keeps every byte.
final class TCPLogCollector: @unchecked Sendable {
    let port = freePort()
    let fd: Int32
    private let received = Mutex<[UInt8]>([])
    private let stopping = Atomic<Bool>(false)
    private var thread: pthread_t? = nil

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET); a.sin_port = port.bigEndian; a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0, listen(fd, 8) == 0 else { throw RawHTTPError("tcp collector bind \(port): errno \(errno)") }
        let box = Unmanaged.passRetained(self).toOpaque()
        var t = pthread_t()
        pthread_create(&t, nil, { arg in
            let me = Unmanaged<TCPLogCollector>.fromOpaque(arg!).takeRetainedValue()
            me.loop()
            return nil
        }, box)
        thread = t
    }

    private func loop() {
        var conns: [pollfd] = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        var buf = [UInt8](repeating: 0, count: 65536)
        while !stopping.load(ordering: .relaxed) {
            guard poll(&conns, nfds_t(conns.count), 20) > 0 else { continue }
            if conns[0].revents != 0 {
                let c = accept(fd, nil, nil)
                if c >= 0 { _ = fcntl(c, F_SETFD, FD_CLOEXEC) }   // not inherited by the proxies tests start
                if c >= 0 { conns.append(pollfd(fd: c, events: Int16(POLLIN), revents: 0)) }
            }
            for i in conns.indices.dropFirst() where conns[i].revents != 0 {
                let n = buf.withUnsafeMutableBytes { recv(conns[i].fd, $0.baseAddress, $0.count, 0) }
                if n > 0 { received.withLock { $0 += buf[0..<n] } } else { close(conns[i].fd); conns[i].fd = -1 }
            }
            conns.removeAll { $0.fd < 0 }
        }
        for c in conns { close(c.fd) }
    }

    var text: String { String(decoding: received.withLock { $0 }, as: UTF8.self) }

    func waitForLines(_ n: Int, timeout: Duration = .seconds(5)) -> [String] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, text.split(separator: "\n").count < n { usleep(10_000) }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        if let t = thread { pthread_join(t, nil) }
    }
}

/// Blanks what legitimately differs between two runs (and between HAProxy and ringproxy).
func normalizedLogLine(_ s: String) -> String {
    var t = s
    let rules: [(String, String)] = [
        (#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d"#, "ISO"),
        (#"127\.0\.0\.1:\d+ \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]"#, "CLIENT [DATE]"),
        (#"Connect from 127\.0\.0\.1:\d+ to"#, "Connect from CLIENT to"),
        (#"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d "#, "DATE "),
        (#"\[\d+\]: "#, "[PID]: "),
        (#" (rp|etag) \d+ - "#, " $1 PID - "),
        (#" -?\d+/-?\d+/-?\d+/-?\d+/-?\d+ (\d{3}) \d+ "#, " TIMERS $1 BYTES "),
        (#" -?\d+/-?\d+/-?\d+ \d+ (\S\S) "#, " TIMERS BYTES $1 "),
        (#" \d+/\d+/\d+/\d+/\+?\d+ \d+/\d+"#, " COUNTERS"),
    ]
    for (pattern, replacement) in rules {
        t = t.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
    }
    return t
}

struct OpsLogTargetsWorld {
    let app: AppServer
    let formats: SyslogCollector      // frontend F: one line per format
    let errors: SyslogCollector       // frontend E: log-separate-errors, dontlog-normal, sample
    let others: SyslogCollector       // frontends C (no log option) and T (tcplog)
    let devlog: UnixSyslogCollector
    let ports = (f: freePort(), e: freePort(), c: freePort(), t: freePort())

    init() throws {
        app = try AppServer(name: "A", port: 0, behaviour: .echo)
        formats = try SyslogCollector()
        errors = try SyslogCollector()
        others = try SyslogCollector()
        devlog = try UnixSyslogCollector()
    }

    func stop() { app.stop(); formats.stop(); errors.stop(); others.stop(); devlog.stop() }

    var config: String {
        """
        global
            log-tag rp
            log stdout format raw local0
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend F
            bind 127.0.0.1:\(ports.f)
            option httplog
            log global
            log 127.0.0.1:\(formats.port) len 2048 format local local0
            log 127.0.0.1:\(formats.port) format rfc3164 local1
            log 127.0.0.1:\(formats.port) format rfc5424 local2
            log 127.0.0.1:\(formats.port) format priority local3
            log 127.0.0.1:\(formats.port) format short local4
            log 127.0.0.1:\(formats.port) format timed local5
            log 127.0.0.1:\(formats.port) format iso local6
            log 127.0.0.1:\(formats.port) format raw local7
            log 127.0.0.1:\(formats.port) len 80 format raw local0
            log 127.0.0.1:\(formats.port) local0 err
            log unix@\(devlog.path) local1 info notice
            default_backend B
        frontend E
            bind 127.0.0.1:\(ports.e)
            option httplog
            option log-separate-errors
            option dontlog-normal
            log-tag etag
            log 127.0.0.1:\(errors.port) local0
            log 127.0.0.1:\(errors.port) format rfc5424 sample 2:3 local1
            log-format-sd "[exampleSDID@32473 iut=\\"3\\"]"
            default_backend B
        frontend C
            bind 127.0.0.1:\(ports.c)
            log 127.0.0.1:\(others.port) local2
            default_backend B
        frontend T
            bind 127.0.0.1:\(ports.t)
            option tcplog
            log 127.0.0.1:\(others.port) local3
            default_backend B
        backend B
            server s 127.0.0.1:\(app.port)
        """
    }

    struct Capture { var formats: [String]; var errors: [String]; var others: [String]; var devlog: [String]; var stdout: [String] }

    /// Sends the same requests one after the other and collects every line.
    func run(on p: ProxyProcess) throws -> Capture {
        _ = try RawHTTP.get(port: ports.f, path: "/formats")
        _ = formats.waitForMessages(count: 9)
        let devlogLines = devlog.receive(count: 1)
        for i in 1...6 {
            _ = try RawHTTP.get(port: ports.e, path: "/ok\(i)")
            _ = try RawHTTP.get(port: ports.e, path: "/err\(i)?status=503")
        }
        _ = errors.waitForMessages(count: 8)
        _ = try RawHTTP.get(port: ports.c, path: "/connect")
        _ = others.waitForMessages(count: 1)
        _ = try RawHTTP.get(port: ports.t, path: "/tcplog")
        _ = others.waitForMessages(count: 2)
        usleep(200_000)        // let anything extra arrive (there must be nothing)
        let out = p.stdoutText.split(separator: "\n").map(String.init).filter { $0.hasPrefix("127.0.0.1:") }
        return Capture(formats: formats.messages, errors: errors.messages, others: others.messages,
                       devlog: devlogLines + devlog.receive(count: 1, timeout: .milliseconds(100)), stdout: out)
    }
}

@Suite(.serialized) struct OpsLogTargetsTests {
    /// ringproxy alone: the lines are there, with the levels, facilities and formats configured.
    @Test func everyTargetAndOptionUnderRingproxy() throws {
        let world = try OpsLogTargetsWorld()
        defer { world.stop() }
        let p = try ProxyProcess(config: world.config, waitForPorts: [world.ports.f, world.ports.e, world.ports.c, world.ports.t])
        defer { _ = p.stop() }
        let c = try world.run(on: p)
        let f = c.formats.map(normalizedLogLine)
        let req = #""GET /formats HTTP/1.1""#
        let body = "CLIENT [DATE] F B/s TIMERS 200 BYTES - - ---- COUNTERS \(req)\n"
        #expect(f == ["<134>DATE rp[PID]: \(body)", "<142>DATE localhost rp[PID]: \(body)", "<150>1 ISO - rp PID - - \(body)",
                      "<158>\(body)", "<6>\(body)", "<6>ISO \(body)", "ISO \(body)", body, f.count > 8 ? f[8] : ""], "\(c.formats)")
        #expect(c.formats.count == 9 && c.formats[8].utf8.count == 81, "len 80: 80 bytes and the newline; err logger: nothing: \(c.formats)")
        #expect(c.devlog.map(normalizedLogLine) == ["<142>DATE rp[PID]: \(body)"], "unix@, local1 info (minlevel notice does not lower info)")
        #expect(c.stdout.map(normalizedLogLine) == [String(body.dropLast())], "log global → stdout raw")
        let e = c.errors.map(normalizedLogLine)
        #expect(e.count == 8, "\(c.errors)")
        #expect(e.filter { $0.hasPrefix("<131>DATE etag[PID]: ") && $0.contains(" 503 ") }.count == 6, "errors at err, normal dropped: \(e)")
        #expect(e.filter { $0.hasPrefix("<139>1 ISO - etag PID - [exampleSDID@32473 iut=\"3\"] ") }.map { $0.contains("/err2?") || $0.contains("/err5?") } == [true, true],
                "sample 2:3 keeps the 2nd and 5th error: \(e)")
        #expect(c.others.map(normalizedLogLine) == ["<150>DATE rp[PID]: Connect from CLIENT to 127.0.0.1:\(world.ports.c) (C/HTTP)\n",
                                                    "<158>DATE rp[PID]: CLIENT [DATE] T B/s TIMERS BYTES -- COUNTERS\n"], "\(c.others)")
    }

    /// The same under HAProxy 2.6.12: equal once blanked.
    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed")) func linesEqualHAProxys() throws {
        func capture(haproxy: Bool) throws -> OpsLogTargetsWorld.Capture {
            let world = try OpsLogTargetsWorld()
            defer { world.stop() }
            let ports = [world.ports.f, world.ports.e, world.ports.c, world.ports.t]
            let p = haproxy ? try HAProxyProcess.start(config: world.config, waitForPorts: ports)
                            : try ProxyProcess(config: world.config, waitForPorts: ports)
            defer { _ = p.stop() }
            return try world.run(on: p)
        }
        let ours = try capture(haproxy: false)
        let theirs = try capture(haproxy: true)
        // The len-80 line is cut at a byte count, so the blanked text differs where the cut falls.
        func head(_ l: [String]) -> [String] { l.enumerated().map { $0.offset == 8 ? String($0.element.utf8.count) : normalizedLogLine($0.element) } }
        #expect(head(ours.formats) == head(theirs.formats))
        // HAProxy's threads may log two back-to-back requests in either order (a line is sent
        // when the stream ends), and `sample` counts in that order: compare the lines as a set,
        // with the sampled lines' request blanked (ringproxy's choice is checked above).
        func errors(_ l: [String]) -> [String] {
            l.map(normalizedLogLine).map {
                $0.hasPrefix("<139>") ? $0.replacingOccurrences(of: #"/err\d"#, with: "/errN", options: .regularExpression) : $0
            }.sorted()
        }
        #expect(errors(ours.errors) == errors(theirs.errors))
        // Each run has its own ports: the listener's too.
        func listener(_ s: String) -> String { s.replacingOccurrences(of: #"to 127\.0\.0\.1:\d+ "#, with: "to LISTENER ", options: .regularExpression) }
        #expect(ours.others.map { listener(normalizedLogLine($0)) } == theirs.others.map { listener(normalizedLogLine($0)) })
        #expect(ours.devlog.map(normalizedLogLine) == theirs.devlog.map(normalizedLogLine))
        #expect(ours.stdout.map(normalizedLogLine) == theirs.stdout.map(normalizedLogLine))
    }

    /// `ring` sections with servers: what reaches a TCP syslog receiver, HAProxy vs ringproxy
    /// (legacy framing by default: one line per message; the ring's format and maxlen).
    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed")) func ringForwardingEqualsHAProxys() throws {
        func capture(haproxy: Bool) throws -> [String] {
            let app = try AppServer(name: "A", port: 0, behaviour: .echo)
            let rx = try TCPLogCollector()
            defer { app.stop(); rx.stop() }
            let front = freePort()
            let config = """
                global
                    log-tag rp
                defaults
                    mode http
                    timeout connect 1s
                    timeout client 5s
                    timeout server 5s
                ring buf
                    format rfc5424
                    maxlen 120
                    server s1 127.0.0.1:\(rx.port)
                frontend F
                    bind 127.0.0.1:\(front)
                    option httplog
                    log ring@buf local0
                    default_backend B
                backend B
                    server s 127.0.0.1:\(app.port)
                """
            let p = haproxy ? try HAProxyProcess.start(config: config, waitForPorts: [front])
                            : try ProxyProcess(config: config, waitForPorts: [front])
            defer { _ = p.stop() }
            _ = try RawHTTP.get(port: front, path: "/one")
            _ = try RawHTTP.get(port: front, path: "/two")
            let lines = rx.waitForLines(2)
            #expect(lines.count == 3 && lines.last == "", "two newline-terminated lines: \(lines)")
            // Cut at maxlen 120: the cut falls at a byte count, so compare lengths and the start.
            return lines.dropLast().map { line in
                let n = normalizedLogLine(line)
                let head = n.range(of: " F B/s").map { String(n[..<$0.upperBound]) } ?? n
                return "\(line.utf8.count) " + head
            }
        }
        let ours = try capture(haproxy: false)
        let theirs = try capture(haproxy: true)
        #expect(ours == theirs)
        #expect(ours.first == "120 <134>1 ISO - rp PID - - CLIENT [DATE] F B/s", "\(ours)")
    }
}
