// A DNS server for tests, in the test process: UDP on 127.0.0.1 (ephemeral port), answering
// SRV and A queries from a table the test changes while the proxy runs. Unknown names get
// NXDOMAIN; known names without records of the asked type get an empty NOERROR (NODATA).
import CBench
import CUring
import Foundation
import Glibc
import Synchronization

final class FakeDNSServer: @unchecked Sendable {
    struct SRV: Sendable { var target: String; var port: UInt16; var weight: UInt16 = 10; var priority: UInt16 = 0 }
    struct Zone: Sendable {
        var srv: [String: [SRV]] = [:]
        var a: [String: [String]] = [:]
        /// Targets whose A records also go in the SRV answer's additional section.
        var additional: Set<String> = []
    }

    let port: UInt16
    let zone = Mutex(Zone())
    /// Queries answered (name and type), for assertions.
    let queries = Mutex<[(String, UInt16)]>([])
    private let fd: Int32
    private let running = Atomic<Bool>(true)
    private var thread: Thread?

    init() throws {
        let sock = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard sock >= 0 else { throw POSIXError(.EIO) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, len) == 0 && getsockname(sock, $0, &len) == 0 }
        }
        guard ok else { close(sock); throw POSIXError(.EADDRINUSE) }
        fd = sock
        port = UInt16(bigEndian: a.sin_port)
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let t = Thread { [self] in serve() }
        thread = t
        t.start()
    }

    func stop() {
        running.store(false, ordering: .relaxed)
        while thread?.isFinished == false { usleep(1000) }
        close(fd)
    }

    private func serve() {
        var buf = [UInt8](repeating: 0, count: 1500)
        while running.load(ordering: .relaxed) {
            var from = sockaddr_storage()
            var fromLen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = withUnsafeMutablePointer(to: &from) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buf, buf.count, 0, $0, &fromLen) }
            }
            guard n > 0, let reply = answer(Array(buf[0..<n])) else { continue }
            _ = withUnsafePointer(to: &from) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, reply, reply.count, 0, $0, fromLen) }
            }
        }
    }

    /// The reply to one query message (nil when it cannot be read).
    func answer(_ q: [UInt8]) -> [UInt8]? {
        guard q.count >= 12 else { return nil }
        var i = 12
        var labels: [String] = []
        while i < q.count, q[i] != 0 {
            let l = Int(q[i])
            guard l < 64, i + 1 + l <= q.count else { return nil }
            labels.append(String(decoding: q[(i + 1)..<(i + 1 + l)], as: UTF8.self))
            i += 1 + l
        }
        guard i + 5 <= q.count else { return nil }
        let questionEnd = i + 5
        let type = UInt16(q[i + 1]) << 8 | UInt16(q[i + 2])
        let name = labels.joined(separator: ".").lowercased()
        queries.withLock { $0.append((name, type)) }
        let z = zone.withLock { $0 }
        var answers: [[UInt8]] = [], extra: [[UInt8]] = []
        let known = z.srv[name] != nil || z.a[name] != nil
        switch type {
        case 33:
            for s in z.srv[name] ?? [] {
                var rdata = be16(s.priority) + be16(s.weight) + be16(s.port)
                rdata += Self.encode(s.target)
                answers.append(Self.record(owner: [0xC0, 0x0C], type: 33, rdata: rdata))
                if z.additional.contains(s.target) {
                    for ip in z.a[s.target] ?? [] { extra.append(Self.record(owner: Self.encode(s.target), type: 1, rdata: Self.ipv4(ip))) }
                }
            }
        case 1:
            for ip in z.a[name] ?? [] { answers.append(Self.record(owner: [0xC0, 0x0C], type: 1, rdata: Self.ipv4(ip))) }
        default:
            break
        }
        let rcode: UInt8 = known ? 0 : 3
        var out = [q[0], q[1], 0x81, 0x80 | rcode, 0, 1] + be16(UInt16(answers.count)) + [0, 0] + be16(UInt16(extra.count))
        out += q[12..<questionEnd]
        for r in answers + extra { out += r }
        return out
    }

    func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }

    static func encode(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        for l in name.split(separator: ".") { out.append(UInt8(l.utf8.count)); out += Array(l.utf8) }
        return out + [0]
    }

    static func ipv4(_ text: String) -> [UInt8] { text.split(separator: ".").map { UInt8($0)! } }

    static func record(owner: [UInt8], type: UInt16, rdata: [UInt8]) -> [UInt8] {
        owner + [UInt8(type >> 8), UInt8(type & 0xff), 0, 1, 0, 0, 0, 5, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xff)] + rdata
    }
}
