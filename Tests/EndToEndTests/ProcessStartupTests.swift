// Issue 3, process behaviour at start: user/group applied after binding (a missing one is a
// clear error), a port already in use, and io_uring refused by the kernel.
import CBench
import CUring
import Foundation
import Testing
import Proxy
import Origins

@Suite(.serialized) struct ProcessStartupTests {
    /// Runs ringproxy -db on `config` to completion (it is expected to refuse to start).
    private func runToExit(_ config: String, binary: String = ProxyProcess.ringproxyBinary,
                           prefix: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
        let path = try ProxyProcess.writeConfig(config)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        return try ProxyProcess.run(prefix + ["-f", path, "-db"], binary: binary, timeout: .seconds(5))
    }

    @Test func missingUserIsNamedAndExits1() throws {
        let port = freePort()
        let r = try runToExit(singleServerConfig(port: port, server: freePort(), global: "nbthread 1\n    user rp_no_such_user"))
        #expect(r.status == 1)
        #expect(r.stderr.contains("rp_no_such_user"), "stderr: \(r.stderr)")
        #expect(!ProcessProbe.isListening(port))
    }

    @Test func missingGroupIsNamedAndExits1() throws {
        let r = try runToExit(singleServerConfig(port: freePort(), server: freePort(), global: "nbthread 1\n    group rp_no_such_group"))
        #expect(r.status == 1)
        #expect(r.stderr.contains("rp_no_such_group"), "stderr: \(r.stderr)")
    }

    @Test(.enabled(if: geteuid() == 0 && getpwnam("nobody") != nil && getgrnam("nogroup") != nil,
                   "needs root and the nobody user and nogroup group"))
    func userAndGroupAreAppliedAfterBinding() throws {
        let server = try AppServer(name: "A")
        defer { server.stop() }
        let port = freePort()
        let proxy = try ProxyProcess(config: singleServerConfig(port: port, server: server.port,
                                                                global: "nbthread 1\n    user nobody\n    group nogroup"),
                                     waitForPorts: [port])
        defer { proxy.stop() }
        let nobody = UInt32(getpwnam("nobody")!.pointee.pw_uid)
        #expect(ProcessProbe.uids(proxy.pid) == [nobody, nobody, nobody, nobody])
        let status = try String(contentsOfFile: "/proc/\(proxy.pid)/status", encoding: .utf8)
        let gid = UInt32(getgrnam("nogroup")!.pointee.gr_gid)
        #expect(status.contains("\nGid:\t\(gid)\t\(gid)\t\(gid)\t\(gid)\n"), "\(status)")
        // the port bound as root (nothing privileged here, but bound before the switch) still serves
        #expect(try RawHTTP.get(port: port).status == 200)
    }

    @Test func addressAlreadyInUseIsAClearErrorAndExits1() throws {
        // A plain listener (no SO_REUSEPORT) holds the port, as an unrelated program would.
        let squatter = try AppServer(name: "squatter")
        defer { squatter.stop() }
        let r = try runToExit(singleServerConfig(port: squatter.port, server: freePort()))
        #expect(r.status == 1)
        #expect(r.stderr.contains("127.0.0.1:\(squatter.port)"), "the message does not name the address: \(r.stderr)")
        #expect(r.stderr.lowercased().contains("address already in use"), "stderr: \(r.stderr)")
    }

    /// io_uring_setup(2) refused by a seccomp filter, installed by a small python3 launcher that
    /// then execs ringproxy (the sysctl kernel.io_uring_disabled would affect the whole machine).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "needs /usr/bin/python3 for seccomp"))
    func ioUringRefusedByTheKernelIsAClearErrorAndExits1() throws {
        let launcher = """
        import ctypes, os, struct, sys
        libc = ctypes.CDLL(None, use_errno=True)
        NR_IO_URING_SETUP = 425           # the same on x86_64 and the generic table (arm64)
        prog = b"".join([
            struct.pack("HBBI", 0x20, 0, 0, 0),                       # A = syscall number
            struct.pack("HBBI", 0x15, 0, 1, NR_IO_URING_SETUP),       # if A == io_uring_setup
            struct.pack("HBBI", 0x06, 0, 0, 0x00050000 | 1),          #   return -EPERM
            struct.pack("HBBI", 0x06, 0, 0, 0x7fff0000),              # allow
        ])
        buf = ctypes.create_string_buffer(prog, len(prog))
        class Fprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
        fprog = Fprog(4, ctypes.addressof(buf))
        if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:
            sys.exit(77)                  # PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP(FILTER) refused
        os.execv(sys.argv[1], sys.argv[1:])
        """
        let port = freePort()
        let r = try runToExit(singleServerConfig(port: port, server: freePort()), binary: "/usr/bin/python3",
                              prefix: ["-c", launcher, ProxyProcess.ringproxyBinary])
        try #require(r.status != 77, "seccomp not available here")
        #expect(r.status == 1)
        #expect(r.stderr.contains("io_uring"), "stderr: \(r.stderr)")
        #expect(r.stderr.contains("not permitted") || r.stderr.contains("EPERM"), "stderr: \(r.stderr)")
        #expect(!ProcessProbe.isListening(port))
    }
}
