// `cpu-map [auto:]<process>[/<threads>] <cpu-set>...` (global): which CPUs worker threads may
// run on, as HAProxy 2.6 writes it. The placement itself is decided at start (CPUPlacement).

/// One `cpu-map` line: the threads it maps (1-based, a bit per thread) and the CPUs.
public struct CPUMapEntry: Equatable, Sendable {
    /// Threads 1...64 as a bit set (bit 0 = thread 1); all of them for a process-only line.
    public var threads: UInt64
    /// CPU numbers, ascending.
    public var cpus: [Int]
    /// `auto:`: thread n of the set gets the n-th CPU of the set, one each.
    public var auto: Bool
    public var location: SourceLocation
}

enum CPUMapKeywords {
    static let syntax = "cpu-map [auto:]<process>[/<thread-set>] <cpu-set>..."
    static let all: [ConfigKeyword] = [
        ConfigKeyword("cpu-map", .global, syntax,
                      "CPUs the worker threads run on (`1/all 0-1`, `1/2 3`, `auto:1/1-2 0-1`); threads not mapped stay on the CPUs the process may use.") { state, line throws(ConfigError) in
            guard line.argumentCount >= 2 else { throw line.error("expects a process/thread set and at least one CPU set: \(syntax)") }
            if let e = try parse(line) { state.config.global.cpuMap.append(e) }
        },
    ]

    /// nil when the line maps only processes above 1 (HAProxy ignores those).
    static func parse(_ line: KeywordLine) throws(ConfigError) -> CPUMapEntry? {
        var spec = line.argument(0)!
        var auto = false
        if spec.hasPrefix("auto:") { auto = true; spec.removeFirst(5) }
        let parts = spec.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let processes = try numberSet(parts[0], line)
        var threads = ~UInt64(0)
        if parts.count == 2 {
            threads = try numberSet(parts[1], line)
        }
        var cpus = Set<Int>()
        for word in line.arguments.dropFirst() { cpus.formUnion(try cpuRange(word, line)) }
        let sorted = cpus.sorted()
        if auto && processes.nonzeroBitCount != sorted.count && threads.nonzeroBitCount != sorted.count {
            throw line.error("process/thread range and CPU sets must have the same size to be automatically bound")
        }
        guard processes & 1 != 0 else { return nil }      // only process 1 exists
        return CPUMapEntry(threads: threads, cpus: sorted, auto: auto, location: line.location)
    }

    /// `all`, `odd`, `even`, `N`, `N-`, `N-M` with numbers 1...64, as a bit set (bit 0 = 1).
    static func numberSet(_ text: String, _ line: KeywordLine) throws(ConfigError) -> UInt64 {
        switch text {
        case "all": return ~0
        case "odd": return 0x5555_5555_5555_5555
        case "even": return 0xAAAA_AAAA_AAAA_AAAA
        default: break
        }
        let bounds = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let low = Int(bounds[0]) else { throw line.error("'\(text)' is not a valid number/range") }
        let high: Int? = bounds.count == 2 ? (bounds[1].isEmpty ? 64 : Int(bounds[1])) : low
        guard let high, (1...64).contains(low), (1...64).contains(high) else {
            throw line.error("'\(text)' is not a valid number/range; numbers go from 1 to 64")
        }
        var set: UInt64 = 0
        for n in min(low, high)...max(low, high) { set |= 1 << UInt64(n - 1) }
        return set
    }

    /// `N`, `N-`, `N-M` with CPU numbers 0...1023 (`N-` ends at 63, as HAProxy on 64-bit).
    static func cpuRange(_ text: String, _ line: KeywordLine) throws(ConfigError) -> ClosedRange<Int> {
        let bounds = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let low = Int(bounds[0]) else { throw line.error("'\(text)' is not a CPU range") }
        let high: Int? = bounds.count == 2 ? (bounds[1].isEmpty ? max(63, low) : Int(bounds[1])) : low
        guard let high, (0...1023).contains(low), (0...1023).contains(high) else {
            throw line.error("'\(text)' is not a CPU range; CPUs go from 0 to 1023")
        }
        return min(low, high)...max(low, high)
    }
}
