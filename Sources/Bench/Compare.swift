import CBench
import Foundation

/// `ringbench compare -f CONFIG`: the same scenario against ringproxy, HAProxy and one backend
/// directly, in rotating turns, summarised as medians with ratios and proxy CPU per request.
func runCompare(_ args: [String]) throws {
    var configPath: String?
    var turns = 3
    var bodySize: UInt32 = 300
    var backendCount: Int?
    var frontendName: String?
    var proxyCPU: Int?
    var sc = try parseScenario(args) { opt, value in
        switch opt {
        case "-f": configPath = try value()
        case "--turns": turns = Int(try value()) ?? 3
        case "--body-size": bodySize = UInt32(try value()) ?? 300
        case "--backends": backendCount = Int(try value())
        case "--frontend": frontendName = try value()
        case "--proxy-cpu": proxyCPU = Int(try value())
        default: return false
        }
        return true
    }
    guard let configPath, let config = try? String(contentsOfFile: configPath, encoding: .utf8) else {
        throw UsageError("compare needs -f CONFIG (a readable HAProxy configuration)\n\(usage)")
    }
    if sc.targets.isEmpty { sc.targets = [.init(weight: 1, path: "/")] }
    if !args.contains("--duration") && !args.contains("-d") && sc.requests == 0 { sc.duration = 5 }
    if sc.serverIDHeader == nil && sc.serverIDBody == nil { sc.serverIDHeader = "X-Server" }

    let work = FileManager.default.temporaryDirectory.appendingPathComponent("ringbench-compare-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    var ports = PortPicker()
    let nBackends = max(1, min(backendCount ?? ConfigLocalizer.serverCount(config), 16))
    let backends = try Backends(count: nBackends, bodySize: bodySize, ports: &ports, dir: work)
    defer {
        backends.stop()
        try? FileManager.default.removeItem(at: work)
    }
    log("backends: \(backends.kind) on ports \(backends.ports.map(String.init).joined(separator: ", "))")

    let addresses = backends.ports.map { "127.0.0.1:\($0)" }
    let bindCount = config.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("bind ") }.count
    let localizer = ConfigLocalizer(bindPorts: (0..<bindCount).map { _ in ports.next() }, backendAddresses: addresses)

    var targets: [CompareTarget] = []
    // ringproxy speaks the 1.4 dialect: only addresses and process options change.
    let legacy = localizer.localize(config, dialect: .legacy)
    let front = try pickFrontend(legacy, frontendName)
    let ringproxyBin = ProcessInfo.processInfo.environment["RINGPROXY_BIN"] ?? "./.build/release/ringproxy"
    targets.append(CompareTarget.proxy(name: "ringproxy", binary: ringproxyBin, config: legacy.text,
                                       args: { ["-f", $0, "-db"] }, port: front, dir: work, cpu: proxyCPU))
    if let haproxy = findExecutable("haproxy") {
        let h26 = localizer.localize(config, dialect: .haproxy26)
        targets.append(CompareTarget.proxy(name: "haproxy", binary: haproxy, config: h26.text,
                                           args: { ["-db", "-f", $0] }, port: front, dir: work, cpu: proxyCPU))
    } else {
        log("haproxy: not installed, skipped")
    }
    targets.append(CompareTarget(name: "direct", port: backends.ports[0]))
    defer { targets.forEach { $0.stop() } }

    for t in targets where t.failure != nil { log("\(t.name): \(t.failure!)") }
    for turn in 0..<turns {
        let order = (0..<targets.count).map { targets[($0 + turn) % targets.count] }
        for t in order where t.failure == nil {
            var s = sc
            s.host = "127.0.0.1"
            s.port = t.port
            if t.name == "direct" { s.serverIDHeader = nil; s.serverIDBody = nil }
            let cpu0 = t.pid.flatMap(processCPUMicros)
            do {
                let r = try runScenario(s, progress: false)
                let cpu1 = t.pid.flatMap(processCPUMicros)
                let perReq = (cpu0 != nil && cpu1 != nil && r.responses > 0) ? (cpu1! - cpu0!) / Double(r.responses) : nil
                t.results.append(.init(report: r, cpuPerRequest: perReq))
                log(String(format: "turn %d %@: %.0f req/s, p99 %llu µs, errors %llu", turn + 1, t.name,
                           r.requestsPerSecond, r.latency(99), r.errorTotal))
                if r.responses == 0 { t.failure = "no responses (errors: \(r.errors.map { "\($0.kind) \($0.count)" }.joined(separator: ", ")))" }
            } catch {
                t.failure = "\(error)"
            }
            if let pid = t.pid, kill(pid, 0) != 0 { t.failure = t.failure ?? "process exited during the run" }
        }
    }
    let table = CompareTable(targets: targets)
    print(sc.json ? table.json() : table.text(), terminator: "")
}

func log(_ s: String) { FileHandle.standardError.write(Data("ringbench: \(s)\n".utf8)) }

private func pickFrontend(_ out: ConfigLocalizer.Output, _ name: String?) throws -> UInt16 {
    if let name {
        guard let f = out.frontends.first(where: { $0.section == name }) else { throw UsageError("no frontend/listen named \(name)") }
        return f.port
    }
    guard let f = out.frontends.first(where: { $0.routes }) ?? out.frontends.first else {
        throw UsageError("the configuration has no bind line to benchmark")
    }
    return f.port
}

func findExecutable(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") + ["/usr/sbin", "/sbin"] {
        let p = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

/// Free loopback ports from the 20000–29999 range, probed by binding.
struct PortPicker {
    private var used: Set<UInt16> = []
    mutating func next() -> UInt16 {
        for _ in 0..<1000 {
            let p = UInt16.random(in: 20000...29999)
            if used.contains(p) { continue }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = p.bigEndian
            a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            let ok = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0
            if ok { used.insert(p); return p }
        }
        return 0
    }
}

/// True once something accepts TCP connections on 127.0.0.1:port.
func waitListening(_ port: UInt16, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let r = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        close(fd)
        if r == 0 { return true }
        usleep(50_000)
    }
    return false
}
