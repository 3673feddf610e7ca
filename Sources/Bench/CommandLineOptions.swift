import Foundation

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

let usage = """
usage: ringbench [options] --url URL[@weight] ...
       ringbench compare -f CONFIG [options]

load:      --connections N (64)  --threads N (cores)  --rate R (open loop, total req/s)
           --duration 10s  --requests N  --warmup 2s  --timeout 5s  --close
request:   --url http://127.0.0.1:8080/path[@weight] (repeatable)  --method GET
           -H/--header 'Name: value'  --host NAME  --body TEXT
stickiness: --clients N (virtual clients with cookie jars)  --server-id HEADER
           --server-id-body PREFIX  --source 127.0.0.2-127.0.0.50
output:    --json  (percentiles in microseconds)
compare:   -f CONFIG  --turns 3  --body-size 300  --backends N (servers in CONFIG)
           --frontend NAME (first routing one)  --proxy-cpu 0  (plus the load options;
           --pin 1 pins ringbench's own threads from CPU 1; RINGPROXY_BIN overrides the path)
"""

/// Parses "10", "10s", "500ms", "2m" into seconds.
func parseSeconds(_ s: String) throws -> Double {
    let units: [(String, Double)] = [("ms", 0.001), ("us", 0.000001), ("s", 1), ("m", 60), ("h", 3600)]
    for (suffix, scale) in units where s.hasSuffix(suffix) {
        if let v = Double(s.dropLast(suffix.count)) { return v * scale }
    }
    if let v = Double(s) { return v }
    throw UsageError("not a duration: \(s)")
}

/// Expands "127.0.0.2-127.0.0.50" (or a single address, or a comma list) to IPv4 literals.
func parseSources(_ spec: String) throws -> [String] {
    var out: [String] = []
    for part in spec.split(separator: ",") {
        let ends = part.split(separator: "-").map(String.init)
        guard let a = ipv4(ends[0]) else { throw UsageError("not an IPv4 address: \(ends[0])") }
        if ends.count == 1 { out.append(ends[0]); continue }
        guard ends.count == 2, let b = ipv4(ends[1]), b >= a, b - a < 65536 else {
            throw UsageError("bad address range: \(part)")
        }
        for v in a...b { out.append("\(v >> 24).\((v >> 16) & 255).\((v >> 8) & 255).\(v & 255)") }
    }
    return out
}

/// Host-order IPv4 value of a dotted quad.
func ipv4(_ s: String) -> UInt32? {
    let p = s.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt32($0) }
    guard p.count == 4, p.allSatisfy({ $0 < 256 }) else { return nil }
    return p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]
}

/// Splits "http://host:port/path@weight" into its parts.
func parseURL(_ spec: String) throws -> (host: String, port: UInt16, path: String, weight: Int) {
    var s = spec
    var weight = 1
    if let at = s.lastIndex(of: "@"), let w = Int(s[s.index(after: at)...]), w > 0 {
        weight = w
        s = String(s[..<at])
    }
    guard s.hasPrefix("http://") else { throw UsageError("only http:// URLs are supported: \(spec)") }
    s = String(s.dropFirst(7))
    let slash = s.firstIndex(of: "/") ?? s.endIndex
    let authority = String(s[..<slash])
    let path = slash == s.endIndex ? "/" : String(s[slash...])
    var host = authority, port: UInt16 = 80
    if let colon = authority.lastIndex(of: ":") {
        guard let p = UInt16(authority[authority.index(after: colon)...]) else {
            throw UsageError("bad port in \(spec)")
        }
        host = String(authority[..<colon])
        port = p
    }
    if host == "localhost" { host = "127.0.0.1" }
    return (host, port, path, weight)
}

/// Parses the load options shared by the plain run and `compare`. Unknown options are returned
/// for the caller (compare has its own).
func parseScenario(_ args: [String], extra: (String, () throws -> String) throws -> Bool = { _, _ in false }) throws -> Scenario {
    // wrk style: "-c64" is "-c 64".
    let args = args.flatMap { a -> [String] in
        guard a.count > 2, a.hasPrefix("-"), !a.hasPrefix("--"), "tcdnRHmu".contains(a[a.index(after: a.startIndex)]) else { return [a] }
        return [String(a.prefix(2)), String(a.dropFirst(2))]
    }
    var sc = Scenario()
    var urls: [(host: String, port: UInt16, path: String, weight: Int)] = []
    var i = 0
    var durationGiven = false
    func value(_ name: String) throws -> String {
        i += 1
        guard i < args.count else { throw UsageError("\(name) needs a value") }
        return args[i]
    }
    func number<T: LosslessStringConvertible>(_ name: String) throws -> T {
        let v = try value(name)
        guard let n = T(v) else { throw UsageError("\(name): not a number: \(v)") }
        return n
    }
    while i < args.count {
        let a = args[i]
        switch a {
        case "--url", "-u": urls.append(try parseURL(try value(a)))
        case "--connections", "-c": sc.connections = try number(a)
        case "--threads", "-t": sc.threads = try number(a)
        case "--rate", "-R": sc.rate = try number(a)
        case "--duration", "-d": sc.duration = try parseSeconds(try value(a)); durationGiven = true
        case "--requests", "-n": sc.requests = try number(a)
        case "--warmup": sc.warmup = try parseSeconds(try value(a))
        case "--timeout": sc.timeout = try parseSeconds(try value(a))
        case "--close": sc.closeEach = true
        case "--header", "-H": sc.headers.append(try value(a))
        case "--host": sc.hostHeader = try value(a)
        case "--method", "-m": sc.method = try value(a).uppercased()
        case "--body": sc.body = try value(a)
        case "--clients": sc.clients = try number(a)
        case "--server-id": sc.serverIDHeader = try value(a)
        case "--server-id-body": sc.serverIDBody = try value(a)
        case "--source": sc.sources = try parseSources(try value(a))
        case "--json": sc.json = true
        case "--pin": sc.pinFirstCPU = try number(a)
        default:
            if a.hasPrefix("http://") { urls.append(try parseURL(a)); break }
            if try !extra(a, { try value(a) }) { throw UsageError("unknown option \(a)\n\(usage)") }
        }
        i += 1
    }
    if sc.requests > 0 && !durationGiven { sc.duration = 0 }
    if let first = urls.first {
        guard urls.allSatisfy({ $0.host == first.host && $0.port == first.port }) else {
            throw UsageError("all --url values must name the same host:port (one target per run)")
        }
        sc.host = first.host
        sc.port = first.port
        sc.targets = urls.map { .init(weight: $0.weight, path: $0.path) }
    }
    guard sc.threads > 0, sc.connections > 0 else { throw UsageError("--threads and --connections must be > 0") }
    return sc
}
