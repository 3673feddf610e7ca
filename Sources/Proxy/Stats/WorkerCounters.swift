/// The counters one worker owns: plain memory, written by that worker only, with no atomics
/// on the per-request path. The stats page reads them from another thread through
/// `CountersSnapshot.sum`; that read races benignly with the writer: every field is an
/// aligned 64-bit word, which x86-64 and arm64 load and store in one access, so a reader
/// sees either the old or the new value of each field (fields may be mutually a few
/// requests apart, which a stats page tolerates).
public final class WorkerCounters: @unchecked Sendable {
    public let layout: CounterLayout
    let values: UnsafeMutablePointer<UInt64>

    public init(layout: CounterLayout) {
        self.layout = layout
        let n = max(1, layout.rowCount * CounterField.count)
        values = .allocate(capacity: n)
        values.initialize(repeating: 0, count: n)
    }

    deinit { values.deallocate() }

    @inline(__always) func index(_ row: Int, _ f: CounterField) -> Int { row * CounterField.count + f.rawValue }

    @inline(__always) public func add(_ row: Int, _ f: CounterField, _ n: UInt64 = 1) { values[index(row, f)] &+= n }

    @inline(__always) public func get(_ row: Int, _ f: CounterField) -> UInt64 { values[index(row, f)] }

    /// A session starts on `row`: scur/smax/stot, the session rate and `lastsess`.
    @inline(__always) public func sessionStarted(_ row: Int, nowSecond: UInt64) {
        let cur = values[index(row, .scur)] &+ 1
        values[index(row, .scur)] = cur
        if cur > values[index(row, .smax)] { values[index(row, .smax)] = cur }
        values[index(row, .stot)] &+= 1
        values[index(row, .lastSessionSecond)] = nowSecond
        countRate(row, nowSecond, .rateSecond, .rateCount, .ratePrevious, .rateMax)
    }

    /// Another exchange on a client connection already counted as a frontend session (HAProxy
    /// counts a frontend's sessions per connection): only the current/max figures move.
    @inline(__always) public func exchangeStarted(_ row: Int) {
        let cur = values[index(row, .scur)] &+ 1
        values[index(row, .scur)] = cur
        if cur > values[index(row, .smax)] { values[index(row, .smax)] = cur }
    }

    @inline(__always) public func sessionEnded(_ row: Int) {
        if values[index(row, .scur)] > 0 { values[index(row, .scur)] -= 1 }
    }

    /// A request was received on a frontend row (req_tot and the request rate).
    @inline(__always) public func requestReceived(_ row: Int, nowSecond: UInt64) {
        values[index(row, .reqTot)] &+= 1
        countRate(row, nowSecond, .reqRateSecond, .reqRateCount, .reqRatePrevious, .reqRateMax)
    }

    /// Counts a response status into hrsp_1xx … hrsp_other.
    @inline(__always) public func response(_ row: Int, status: Int) {
        let f: CounterField
        switch status {
        case 100..<200: f = .hrsp1xx
        case 200..<300: f = .hrsp2xx
        case 300..<400: f = .hrsp3xx
        case 400..<500: f = .hrsp4xx
        case 500..<600: f = .hrsp5xx
        default: f = .hrspOther
        }
        values[index(row, f)] &+= 1
    }

    @inline(__always)
    func countRate(_ row: Int, _ now: UInt64, _ sec: CounterField, _ cnt: CounterField, _ prev: CounterField, _ mx: CounterField) {
        let s = index(row, sec), c = index(row, cnt)
        if values[s] != now {
            values[index(row, prev)] = values[s] &+ 1 == now ? values[c] : 0
            values[s] = now
            values[c] = 0
        }
        values[c] &+= 1
        if values[c] > values[index(row, mx)] { values[index(row, mx)] = values[c] }
    }
}
