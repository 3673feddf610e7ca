import Foundation

/// One load-generation scenario: everything `ringbench` needs to run, independent of the target
/// address so `compare` can point the same scenario at several targets.
struct Scenario: Sendable {
    struct Target: Sendable {
        var weight: Int
        var path: String
    }
    var host: String = "127.0.0.1"        // where to connect
    var port: UInt16 = 80
    var hostHeader: String?               // --host; defaults to the URL authority
    var targets: [Target] = []
    var method = "GET"
    var headers: [String] = []            // "Name: value"
    var body = ""
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var connections = 64
    var clients = 0
    var rate: Double = 0                  // 0 = closed loop
    var duration: Double = 10             // seconds; 0 = until `requests`
    var requests: UInt64 = 0
    var warmup: Double = 0
    var timeout: Double = 5
    var closeEach = false
    var sources: [String] = []            // IPv4 literals
    var serverIDHeader: String?
    var serverIDBody: String?
    var json = false
    var pinFirstCPU: Int?                 // pin client threads starting at this CPU

    var authority: String { hostHeader ?? (port == 80 ? host : "\(host):\(port)") }

    /// The request head up to (not including) the cookie line, for one path.
    func head(for path: String) -> String {
        var s = "\(method) \(path) HTTP/1.1\r\nHost: \(authority)\r\n"
        for h in headers { s += h + "\r\n" }
        if closeEach { s += "Connection: close\r\n" }
        return s
    }

    /// What follows the cookie line: the end of the head and the body.
    var tail: String {
        if body.isEmpty && !["POST", "PUT", "PATCH"].contains(method) { return "\r\n" }
        return "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    /// URL indices repeated by weight, interleaved so weights hold over short windows too.
    var schedule: [UInt16] {
        let total = targets.reduce(0) { $0 + $1.weight }
        var credit = [Int](repeating: 0, count: targets.count)
        var out: [UInt16] = []
        out.reserveCapacity(total)
        // Smooth weighted round-robin: each step every target earns its weight, the richest is picked.
        for _ in 0..<total {
            for i in targets.indices { credit[i] += targets[i].weight }
            let best = credit.indices.max { credit[$0] < credit[$1] }!
            credit[best] -= total
            out.append(UInt16(best))
        }
        return out
    }
}
