import CBench
import Foundation

/// C-owned copies of everything a bench_config points to; they must outlive the run.
final class EngineInputs {
    private var blocks: [UnsafeMutableRawPointer] = []
    var config = bench_config()

    init(_ sc: Scenario) throws {
        guard !sc.targets.isEmpty else { throw UsageError("no --url given\n\(usage)") }
        guard let ip = resolveIPv4(sc.host) else { throw UsageError("cannot resolve \(sc.host) to IPv4") }
        let reqs = alloc(bench_request.self, sc.targets.count)
        let tail = cString(sc.tail)
        for (i, t) in sc.targets.enumerated() {
            let head = cString(sc.head(for: t.path))
            reqs[i] = bench_request(head: head.ptr, head_len: head.len, tail: tail.ptr, tail_len: tail.len,
                                    is_head_method: sc.method == "HEAD" ? 1 : 0)
        }
        let sched = sc.schedule
        let schedPtr = alloc(UInt16.self, sched.count)
        for (i, v) in sched.enumerated() { schedPtr[i] = v }
        config.dst_ip = ip
        config.dst_port = sc.port
        config.requests = UnsafePointer(reqs)
        config.nrequests = UInt32(sc.targets.count)
        config.schedule = UnsafePointer(schedPtr)
        config.schedule_len = UInt32(sched.count)
        config.threads = UInt32(sc.threads)
        config.connections = UInt32(sc.connections)
        config.clients = UInt32(sc.clients)
        config.rate = sc.rate
        config.duration_ns = UInt64(sc.duration * 1e9)
        config.warmup_ns = UInt64(sc.warmup * 1e9)
        config.max_requests = sc.requests
        config.timeout_ns = UInt64(sc.timeout * 1e9)
        config.close_each = sc.closeEach ? 1 : 0
        if !sc.sources.isEmpty {
            let src = alloc(UInt32.self, sc.sources.count)
            for (i, s) in sc.sources.enumerated() { src[i] = ipv4(s).map { $0.bigEndian } ?? 0 }
            config.source_ips = UnsafePointer(src)
            config.nsource = UInt32(sc.sources.count)
        }
        if let h = sc.serverIDHeader { config.server_id_header = UnsafePointer(cString(h).ptr) }
        if let b = sc.serverIDBody { config.server_id_body = UnsafePointer(cString(b).ptr) }
        if let cpu = sc.pinFirstCPU {
            config.pin_threads = 1
            config.first_cpu = Int32(cpu)
        }
    }

    deinit { blocks.forEach { free($0) } }

    private func alloc<T>(_ t: T.Type, _ n: Int) -> UnsafeMutablePointer<T> {
        let raw = calloc(max(n, 1), MemoryLayout<T>.stride)!
        blocks.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(n, 1))
    }

    private func cString(_ s: String) -> (ptr: UnsafeMutablePointer<CChar>, len: UInt32) {
        let bytes = Array(s.utf8)
        let p = alloc(CChar.self, bytes.count + 1)
        for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
        return (p, UInt32(bytes.count))
    }
}

/// Network-order IPv4 address of a literal or a host name.
func resolveIPv4(_ host: String) -> UInt32? {
    if let v = ipv4(host) { return v.bigEndian }
    var hints = addrinfo()
    hints.ai_family = AF_INET
    var res: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, nil, &hints, &res) == 0, let r = res else { return nil }
    defer { freeaddrinfo(res) }
    return r.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
}

/// Runs a scenario on the C engine, drawing a progress line on stderr when it is a terminal.
func runScenario(_ sc: Scenario, progress: Bool) throws -> BenchReport {
    let inputs = try EngineInputs(sc)
    var err = [CChar](repeating: 0, count: 256)
    guard let run = bench_start(&inputs.config, &err, Int32(err.count)) else {
        throw UsageError("ringbench: \(String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
    }
    let line = ProgressLine(enabled: progress && isatty(2) == 1)
    let runBox = RunHandle(run)
    let interrupt = InterruptWatch { bench_stop(runBox.run) }
    // Poll until every worker thread has finished; bench_finish then joins at once.
    let expected = sc.duration > 0 ? sc.duration + sc.warmup : Double.infinity
    var ticks = 0
    while bench_is_done(run) == 0 {
        usleep(10_000)
        ticks += 1
        if ticks % 25 == 0 {  // redraw four times a second
            var p = bench_progress()
            bench_poll(run, &p)
            line.update(p, expected: expected)
        }
    }
    line.clear()
    interrupt.cancel()
    var result = bench_result()
    bench_finish(run, &result)
    if result.error.0 != 0 {
        let msg = withUnsafeBytes(of: result.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        throw UsageError("ringbench: \(msg)")
    }
    return BenchReport(scenario: sc, result: result)
}

/// The opaque run pointer, handed to the SIGINT handler's queue.
final class RunHandle: @unchecked Sendable {
    // Safe: bench_stop only stores an atomic flag, and the run outlives the interrupt watch.
    let run: OpaquePointer
    init(_ r: OpaquePointer) { run = r }
}

/// Ctrl-C stops the run early and still prints the report.
final class InterruptWatch {
    private let source: DispatchSourceSignal
    init(_ onInterrupt: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler(handler: onInterrupt)
        source.resume()
    }
    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}

/// One line on stderr, rewritten in place.
struct ProgressLine {
    let enabled: Bool
    func update(_ p: bench_progress, expected: Double) {
        guard enabled else { return }
        let t = Double(p.elapsed_ns) / 1e9
        let rate = t > 0 ? Double(p.responses) / t : 0
        let phase = p.measuring != 0 ? String(format: "%6.1fs", t) : "warmup "
        let of = expected.isFinite ? String(format: "/%gs", expected) : ""
        let s = "\r\(phase)\(of)  \(p.responses) responses  \(Int(rate)) req/s  \(p.errors) errors   "
        FileHandle.standardError.write(Data(s.utf8))
    }
    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1b}[K".utf8))
    }
}
