// Every kind of `bind`, tested by connecting to it: an inherited socket (`fd@${VAR}`, as VTest
// and systemd hand them over), UNIX and abstract sockets, and TCP binds with socket options.
import CBench
import CUring
import Foundation
import Glibc
import Testing
import Proxy
import Origins

@Suite(.serialized) struct ListenerTests {
    /// A listening TCP socket on 127.0.0.1 that a child inherits as fd `target`.
    static func tcpListener() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw ProxyProcessError(description: "listener: errno \(errno)") }
        return (fd, UInt16(bigEndian: a.sin_port))
    }

    /// Sends one request over a UNIX socket (`abstract`: in the abstract namespace, padded as
    /// HAProxy pads it) and returns the whole answer.
    static func unixRequest(_ path: String, abstract: Bool = false) throws -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_un()
        a.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &a.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i + (abstract ? 1 : 0)] = b } }
        let len = abstract ? socklen_t(MemoryLayout<sockaddr_un>.size) : socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } }
        guard r == 0 else { throw ProxyProcessError(description: "connect \(path): errno \(errno)") }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET /unix HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func inheritedSocketFromTheEnvironment() throws {
        let app = try AppServer(name: "A", port: 0, behaviour: .echo)
        defer { app.stop() }
        let (fd, port) = try Self.tcpListener()
        defer { close(fd) }
        let config = """
            defaults
                mode http
                timeout connect "${T-1s}"
                timeout client "${T-5s}"
                timeout server "${T-5s}"
            listen px
                bind "fd@${fe1}"
                server a ${APP}
            """
        let child = try InheritingChild(config: config, inherit: [(fd, 40)],
                                        environment: ["fe1": "40", "APP": "127.0.0.1:\(app.port)"])
        defer { child.stop() }
        let r = try RawHTTP.get(port: port, path: "/inherited")
        #expect(r.status == 200 && r.header("X-Server") == "A")
    }

    @Test func unixAndAbstractSockets() throws {
        let app = try AppServer(name: "U", port: 0, behaviour: .echo)
        defer { app.stop() }
        let dir = NSTemporaryDirectory() + "rp-unix-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let abstract = "ringproxy-test-\(UInt32.random(in: 0...UInt32.max))"
        let config = """
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            listen px
                bind unix@\(dir)/a.sock mode 600
                bind \(dir)/b.sock,abns@\(abstract)
                server u 127.0.0.1:\(app.port)
            """
        let child = try InheritingChild(config: config, inherit: [], environment: [:], waitForFile: dir + "/b.sock")
        defer { child.stop() }
        for path in [dir + "/a.sock", dir + "/b.sock"] {
            let answer = try Self.unixRequest(path)
            #expect(answer.hasPrefix("HTTP/1.1 200") && answer.contains("X-Server: U"), "\(path): \(answer)")
        }
        var st = stat()
        #expect(stat(dir + "/a.sock", &st) == 0 && st.st_mode & 0o777 == 0o600)
        let answer = try Self.unixRequest(abstract, abstract: true)
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
    }

    @Test func tcpBindOptions() throws {
        let app = try AppServer(name: "T", port: 0, behaviour: .echo)
        defer { app.stop() }
        let p1 = freePort(), p2 = freePort()
        let config = """
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            listen px
                bind 127.0.0.1:\(p1) name first id 3 backlog 16 defer-accept tfo mss 1400 tcp-ut 30s interface lo maxconn 10
                bind ipv6@[::1]:\(p2) v6only
                server t 127.0.0.1:\(app.port)
            """
        let proxy = try ProxyProcess(config: config, waitForPorts: [p1, p2])
        defer { proxy.stop() }
        let r = try RawHTTP.get(port: p1, path: "/options")
        #expect(r.status == 200 && r.header("X-Server") == "T")
        // The IPv6 one answers on ::1 only.
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a6 = sockaddr_in6()
        a6.sin6_family = sa_family_t(AF_INET6)
        a6.sin6_port = p2.bigEndian
        a6.sin6_addr = in6addr_loopback
        let connected = withUnsafePointer(to: &a6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        #expect(connected == 0)
    }

    @Test func badInheritedDescriptorIsAClearError() throws {
        let path = try ProxyProcess.writeConfig("defaults\n mode http\n timeout client 1s\nfrontend f\n bind fd@57\n")
        let r = try ProxyProcess.run(["-f", path, "-db"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("fd@57") && r.stderr.contains("not open"), "\(r.stderr)")
    }
}

/// ringproxy started with extra inherited descriptors (dup2'ed to fixed numbers in the child)
/// and extra environment variables, like VTest and systemd start it.
final class InheritingChild: Sendable {
    let pid: pid_t
    let directory: String

    init(config: String, inherit: [(Int32, Int32)], environment: [String: String], waitForFile: String? = nil) throws {
        var template = Array("/tmp/ringproxy-e2e-XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw ProxyProcessError(description: "mkdtemp") }
        directory = String(cString: dir)
        try (config + "\n").write(toFile: directory + "/cfg", atomically: true, encoding: .utf8)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, directory + "/out.log", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, directory + "/err.log", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        for (from, to) in inherit { posix_spawn_file_actions_adddup2(&actions, from, to) }
        let binary = ProxyProcess.ringproxyBinary
        let arguments: [String] = [binary, "-d", "-f", directory + "/cfg"]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var child = pid_t()
        let rc = posix_spawn(&child, binary, &actions, nil, argv, envp)
        guard rc == 0 else { throw ProxyProcessError(description: "posix_spawn: \(rc)") }
        pid = child
        // Started: it says so on stderr with -d (or the file to wait for exists).
        let ready = ProcessProbe.waitUntil(timeout: .seconds(10)) {
            if let waitForFile { return FileManager.default.fileExists(atPath: waitForFile) }
            return ((try? String(contentsOfFile: self.directory + "/err.log", encoding: .utf8)) ?? "").contains("listening")
        }
        if !ready {
            let err = (try? String(contentsOfFile: directory + "/err.log", encoding: .utf8)) ?? ""
            stop()
            throw ProxyProcessError(description: "ringproxy did not start: \(err)")
        }
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        if !ProcessProbe.waitUntil(timeout: .seconds(3), { waitpid(self.pid, &status, WNOHANG) != 0 }) {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
