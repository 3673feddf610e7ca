// Picking TCP/UDP ports for a test: random in 20000-29999 (the range agreed for this machine,
// outside the kernel's ephemeral range so an outgoing connection cannot take it meanwhile),
// checked free by binding, never handed out twice in one test run.
import CBench
import CUring
import Glibc
import Synchronization

private let portsHandedOut = Mutex<Set<UInt16>>([])

/// A port on 127.0.0.1 that is free for both TCP and UDP right now.
func freePort() -> UInt16 {
    while true {
        let port = UInt16.random(in: 20000...29999)
        let fresh = portsHandedOut.withLock { $0.insert(port).inserted }
        if fresh, canBind(port, type: SOCK_STREAM), canBind(port, type: SOCK_DGRAM) { return port }
    }
}

private func canBind(_ port: UInt16, type: __socket_type) -> Bool {
    let fd = socket(AF_INET, Int32(type.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_port = port.bigEndian
    a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    return withUnsafePointer(to: &a) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}
