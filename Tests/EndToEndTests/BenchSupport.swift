import CBench
import Foundation

/// A built-in ringbench server on 127.0.0.1, stopped when the test drops it.
final class BenchTestServer {
    private let server: OpaquePointer
    let port: UInt16
    init(status: Int32 = 200, bodyLength: UInt32 = 32, name: String = "", closeAfter: Bool = false,
         drop: Bool = false, chunked: Bool = false, delayMicros: UInt32 = 0, backends: UInt32 = 0,
         stickyCookie: String? = nil, echoPath: Bool = false, echoPeer: Bool = false) throws {
        var err = [CChar](repeating: 0, count: 256)
        let s: OpaquePointer? = name.withCString { n in
            (stickyCookie ?? "").withCString { cookie in
                var cfg = bench_server_config()
                cfg.status = status
                cfg.body_len = bodyLength
                cfg.name = n
                cfg.close_after = closeAfter ? 1 : 0
                cfg.drop = drop ? 1 : 0
                cfg.chunked = chunked ? 1 : 0
                cfg.delay_us = delayMicros
                cfg.backends = backends
                cfg.sticky_cookie = stickyCookie == nil ? nil : cookie
                cfg.echo_path = echoPath ? 1 : 0
                cfg.echo_peer = echoPeer ? 1 : 0
                return bench_server_start(&cfg, &err, Int32(err.count))
            }
        }
        guard let s else { throw BenchTestError(String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
        server = s
        port = bench_server_port(s)
    }
    var requests: UInt64 { bench_server_requests(server) }
    deinit { bench_server_stop(server) }
}

struct BenchTestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The engine's options as tests use them; `run` calls the C engine in-process.
struct BenchRun {
    var port: UInt16
    var paths = ["/"]
    var threads: UInt32 = 2
    var connections: UInt32 = 4
    var clients: UInt32 = 0
    var rate: Double = 0
    var seconds: Double = 0
    var warmup: Double = 0
    var requests: UInt64 = 0
    var timeout: Double = 2
    var closeEach = false
    var serverIDHeader: String?
    var serverIDBody: String?
    var sources: [UInt32] = []   // host order

    func run() -> bench_result {
        let heads = paths.map { "GET \($0) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (closeEach ? "Connection: close\r\n" : "") }
        let tail = "\r\n"
        let cHeads = heads.map { strdup($0)! }
        let cTail = strdup(tail)!
        let idHeader = serverIDHeader.map { strdup($0)! }
        let idBody = serverIDBody.map { strdup($0)! }
        defer {
            cHeads.forEach { free($0) }
            free(cTail)
            idHeader.map { free($0) }
            idBody.map { free($0) }
        }
        var reqs = cHeads.enumerated().map { i, h in
            bench_request(head: h, head_len: UInt32(heads[i].utf8.count), tail: cTail, tail_len: UInt32(tail.utf8.count), is_head_method: 0)
        }
        var schedule = paths.indices.map { UInt16($0) }
        var src = sources.map { $0.bigEndian }
        var result = bench_result()
        reqs.withUnsafeMutableBufferPointer { rq in
            schedule.withUnsafeMutableBufferPointer { sch in
                src.withUnsafeMutableBufferPointer { sp in
                    var cfg = bench_config()
                    cfg.dst_ip = UInt32(0x7f00_0001).bigEndian
                    cfg.dst_port = port
                    cfg.requests = UnsafePointer(rq.baseAddress)
                    cfg.nrequests = UInt32(rq.count)
                    cfg.schedule = UnsafePointer(sch.baseAddress)
                    cfg.schedule_len = UInt32(sch.count)
                    cfg.threads = threads
                    cfg.connections = connections
                    cfg.clients = clients
                    cfg.rate = rate
                    cfg.duration_ns = UInt64(seconds * 1e9)
                    cfg.max_requests = requests
                    cfg.warmup_ns = UInt64(warmup * 1e9)
                    cfg.timeout_ns = UInt64(timeout * 1e9)
                    cfg.close_each = closeEach ? 1 : 0
                    cfg.source_ips = sp.isEmpty ? nil : UnsafePointer(sp.baseAddress)
                    cfg.nsource = UInt32(sp.count)
                    cfg.server_id_header = UnsafePointer(idHeader)
                    cfg.server_id_body = UnsafePointer(idBody)
                    _ = bench_execute(&cfg, &result)
                }
            }
        }
        return result
    }
}

extension bench_result {
    var latencyCount: UInt64 {
        withUnsafeBytes(of: latency_us) { $0.bindMemory(to: UInt64.self).reduce(0, +) }
    }
    /// Value (µs) at a percentile of the engine's own buckets.
    func latencyPercentile(_ p: Double) -> UInt64 {
        withUnsafeBytes(of: latency_us) { raw in
            let counts = raw.bindMemory(to: UInt64.self)
            let total = counts.reduce(0, +)
            let want = UInt64((Double(total) * p / 100).rounded(.up))
            var seen: UInt64 = 0
            for i in counts.indices {
                seen += counts[i]
                if seen >= want && counts[i] > 0 { return bench_hist_value(UInt32(i)) }
            }
            return 0
        }
    }
    /// Responses per server id (or per echoed path).
    var serverCounts: [String: UInt64] {
        let counts = withUnsafeBytes(of: servers) { raw in
            let s = raw.bindMemory(to: bench_server_count.self)
            return (0..<Int(nservers)).map { s[$0].responses }
        }
        return Dictionary(uniqueKeysWithValues: zip(serverNames, counts))
    }
    var serverNames: [String] {
        withUnsafeBytes(of: servers) { raw in
            let s = raw.bindMemory(to: bench_server_count.self)
            return (0..<Int(nservers)).map { i in
                withUnsafeBytes(of: s[i].name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            }
        }
    }
}
