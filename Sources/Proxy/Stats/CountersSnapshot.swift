/// The sum of every worker's counters at one moment, for the stats page and the exporter.
public struct CountersSnapshot: Sendable {
    public let layout: CounterLayout
    var values: [UInt64]
    var rates: [UInt64]
    var requestRates: [UInt64]
    /// Per row, the requests in the time averages: min(req_tot, 512) summed over workers.
    var timeSamples: [UInt64]
    /// HAProxy's TIME_STATS_SAMPLES: the time averages cover the last 512 requests.
    public static let timeWindow = 512

    /// Adds up `workers` (maximum for the max-type fields; rates are each worker's count of
    /// the last complete second, summed).
    public static func sum(_ workers: [WorkerCounters], layout: CounterLayout, nowSecond: UInt64) -> CountersSnapshot {
        let fields = CounterField.allCases
        var values = [UInt64](repeating: 0, count: layout.rowCount * CounterField.count)
        var rates = [UInt64](repeating: 0, count: layout.rowCount)
        var reqRates = [UInt64](repeating: 0, count: layout.rowCount)
        var samples = [UInt64](repeating: 0, count: layout.rowCount)
        for w in workers {
            for row in 0..<layout.rowCount {
                samples[row] += min(w.get(row, .reqTot), UInt64(timeWindow))
                for f in fields {
                    let i = row * CounterField.count + f.rawValue
                    let v = w.values[i]
                    values[i] = f.isMaximum ? max(values[i], v) : values[i] &+ v
                }
                rates[row] += lastSecond(w, row, nowSecond, .rateSecond, .rateCount, .ratePrevious)
                reqRates[row] += lastSecond(w, row, nowSecond, .reqRateSecond, .reqRateCount, .reqRatePrevious)
            }
        }
        var s = CountersSnapshot(layout: layout, values: values, rates: rates, requestRates: reqRates)
        s.timeSamples = samples
        return s
    }

    /// An empty snapshot (no worker yet).
    public init(layout: CounterLayout) {
        self.init(layout: layout, values: [UInt64](repeating: 0, count: layout.rowCount * CounterField.count),
                  rates: [UInt64](repeating: 0, count: layout.rowCount), requestRates: [UInt64](repeating: 0, count: layout.rowCount))
    }

    init(layout: CounterLayout, values: [UInt64], rates: [UInt64], requestRates: [UInt64]) {
        self.layout = layout; self.values = values; self.rates = rates; self.requestRates = requestRates
        timeSamples = [UInt64](repeating: 0, count: layout.rowCount)
    }

    /// An average time (ms) over the last requests of a row, as HAProxy's swrate_avg.
    public func averageTime(_ row: Int, _ sum: CounterField) -> UInt64 {
        let n = timeSamples[row]
        return n > 0 ? (self[row, sum] + n - 1) / n : 0
    }

    /// A gauge the counters do not hold (the engine's queues), set before the page is built.
    public mutating func setGauge(_ row: Int, _ field: CounterField, _ value: UInt64) {
        values[row * CounterField.count + field.rawValue] = value
    }

    static func lastSecond(_ w: WorkerCounters, _ row: Int, _ now: UInt64,
                           _ sec: CounterField, _ cnt: CounterField, _ prev: CounterField) -> UInt64 {
        let s = w.get(row, sec)
        if s == now { return w.get(row, prev) }
        if s &+ 1 == now { return w.get(row, cnt) }
        return 0
    }

    public subscript(row: Int, field: CounterField) -> UInt64 { values[row * CounterField.count + field.rawValue] }
    public func rate(_ row: Int) -> UInt64 { rates[row] }
    public func requestRate(_ row: Int) -> UInt64 { requestRates[row] }
}
