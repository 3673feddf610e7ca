// Which CPUs each worker thread runs on. By default worker i is pinned to the i-th CPU of the
// set the process may use (sched_getaffinity: taskset, a container's cpuset), and not pinned at
// all when there are more workers than CPUs; `cpu-map` lines then override thread by thread, as
// HAProxy applies them. The decision is pure; only `allowedCPUs` asks the kernel.
import CUring

package enum CPUPlacement {
    /// The CPUs this process may run on, ascending (never empty: [0] if the kernel says nothing).
    package static func allowedCPUs() -> [Int] {
        var words = [UInt64](repeating: 0, count: 16)
        let n = words.withUnsafeMutableBufferPointer { rp_allowed_cpus($0.baseAddress, Int32($0.count)) }
        guard n > 0 else { return [0] }
        var cpus: [Int] = []
        for (k, w) in words.enumerated() where w != 0 {
            for b in 0..<64 where (w >> UInt64(b)) & 1 != 0 { cpus.append(k * 64 + b) }
        }
        return cpus
    }

    /// The CPU list of each of `workers` threads (an empty list: not pinned).
    package static func plan(workers: Int, allowed: [Int], cpuMap: [CPUMapEntry]) -> [[Int]] {
        var out: [[Int]] = (0..<workers).map { i in workers <= allowed.count ? [allowed[i]] : [] }
        for entry in cpuMap {
            var next = entry.cpus.makeIterator()
            for t in 0..<min(workers, 64) where (entry.threads >> UInt64(t)) & 1 != 0 {
                if entry.auto {
                    guard let cpu = next.next() else { break }
                    out[t] = [cpu]
                } else {
                    out[t] = entry.cpus
                }
            }
        }
        return out
    }

    /// The engine's form: `wordsPerWorker` 64-bit words per worker, bit b of word k = CPU 64k+b.
    package static func masks(_ cpus: [[Int]], workers: Int) -> (words: [UInt64], wordsPerWorker: Int) {
        let highest = cpus.joined().max() ?? -1
        guard highest >= 0 else { return ([], 0) }
        let per = highest / 64 + 1
        var words = [UInt64](repeating: 0, count: per * workers)
        for (i, list) in cpus.prefix(workers).enumerated() {
            for cpu in list { words[i * per + cpu / 64] |= 1 << UInt64(cpu % 64) }
        }
        return (words, per)
    }
}
