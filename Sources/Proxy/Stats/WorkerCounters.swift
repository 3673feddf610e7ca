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

    @inline(__always) public func sessionEnded(_ row: Int) {
        if values[index(row, .scur)] > 0 { values[index(row, .scur)] -= 1 }
    }

    /// A request was received on a frontend row (req_tot and the request rate).
    @inline(__always) public func requestReceived(_ row: Int, nowSecond: UInt64) {
        values[index(row, .reqTot)] &+= 1
        countRate(row, nowSecond, .reqRateSecond, .reqRateCount, .reqRatePrevious, .reqRateMax)
    }

    /// One request's time sample (ms) into a sliding sum over the last 512 requests of the row,
    /// as HAProxy's swrate, and its maximum.
    @inline(__always) public func timeSample(_ row: Int, _ sum: CounterField, _ maximum: CounterField, _ ms: UInt64) {
        let s = index(row, sum)
        if values[index(row, .reqTot)] > UInt64(CountersSnapshot.timeWindow) {
            values[s] = values[s] - (values[s] + UInt64(CountersSnapshot.timeWindow) - 1) / UInt64(CountersSnapshot.timeWindow) + ms
        } else {
            values[s] &+= ms
        }
        if ms > values[index(row, maximum)] { values[index(row, maximum)] = ms }
    }

    /// The four times of a request that got a response (HAProxy's stream_update_time_stats).
    @inline(__always) public func exchangeTimes(_ row: Int, queue: Int32, connect: Int32, response: Int32, total: Int32) {
        timeSample(row, .qtimeSum, .qtimeMax, UInt64(max(0, queue)))
        timeSample(row, .ctimeSum, .ctimeMax, UInt64(max(0, connect)))
        timeSample(row, .rtimeSum, .rtimeMax, UInt64(max(0, response)))
        timeSample(row, .ttimeSum, .ttimeMax, UInt64(max(0, total)))
    }

    /// A server session counted when its request was routed, undone because the request never
    /// left the backend's queue (HAProxy never assigned it a server).
    @inline(__always) public func serverSessionUnassigned(_ row: Int) {
        sessionEnded(row)
        for f in [CounterField.stot, .reqTot, .lbtot] where values[index(row, f)] > 0 { values[index(row, f)] -= 1 }
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
