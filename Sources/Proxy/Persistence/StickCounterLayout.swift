// Where each stored data type of a stick table lives in an entry's counter words, and how
// counters and frequency counters are read and moved.
//
// A frequency counter (HAProxy's freq_ctr over a period) is three words: the start of the
// current period (ms), the events counted in it, and those of the previous period. Adding
// first moves the window on when the period is over (one period later the current count
// becomes the previous one; two or more periods later both are zero). Reading estimates the
// events of the last full period as the current count plus the part of the previous one that
// still overlaps it: curr + prev × (period − elapsed) / period.

public struct StickCounterLayout: Sendable {
    /// By data type number: the first word, or -1 when the table does not store it.
    let offsets: [Int32]
    let periods: [Int64]
    /// Stored types, in data type order (as `show table` prints them).
    public let stored: [StickStoreItem]
    public let words: Int

    public static let none = StickCounterLayout(store: [])

    public init(store: [StickStoreItem]) {
        var offsets = [Int32](repeating: -1, count: StickDataType.all.count)
        var periods = [Int64](repeating: 0, count: StickDataType.all.count)
        var w = 0
        let items = store.filter { $0.type != StickDataType.serverID && $0.type != StickDataType.serverKey }
            .sorted { $0.type < $1.type }
        for i in items {
            offsets[i.type] = Int32(w)
            periods[i.type] = Int64(i.periodMs)
            w += i.isFrequency ? 3 : 1
        }
        self.offsets = offsets; self.periods = periods; self.words = w
        stored = store.sorted { $0.type < $1.type }
    }

    @inline(__always) public func has(_ type: Int) -> Bool { offsets[type] >= 0 }
    public func period(_ type: Int) -> Int64 { periods[type] }

    /// Adds `n` to a counter or a frequency counter (nothing when not stored).
    @inline(__always) func add(_ w: UnsafeMutableBufferPointer<UInt64>, _ type: Int, _ n: UInt64, now: Int64) {
        let o = Int(offsets[type])
        guard o >= 0 else { return }
        let p = periods[type]
        if p == 0 { w[o] = w[o] &+ n; return }
        Self.rotate(w, o, p, now)
        w[o + 1] = w[o + 1] &+ n
    }

    /// Subtracts one from a counter, not below zero (conn_cur).
    @inline(__always) func decrement(_ w: UnsafeMutableBufferPointer<UInt64>, _ type: Int) {
        let o = Int(offsets[type])
        if o >= 0, periods[type] == 0, w[o] > 0 { w[o] -= 1 }
    }

    /// Sets a plain counter (gpt0, gpc0 after a clear, `set table ... data.X`). A frequency
    /// counter set to V counts V in the current period and nothing before.
    func set(_ w: UnsafeMutableBufferPointer<UInt64>, _ type: Int, _ v: UInt64, now: Int64) {
        let o = Int(offsets[type])
        guard o >= 0 else { return }
        if periods[type] == 0 { w[o] = v } else { w[o] = UInt64(bitPattern: now); w[o + 1] = v; w[o + 2] = 0 }
    }

    /// The value of a stored type (a frequency counter's estimate over its period); nil when
    /// the table does not store it.
    @inline(__always) func value(_ w: UnsafeBufferPointer<UInt64>, _ type: Int, now: Int64) -> UInt64? {
        let o = Int(offsets[type])
        guard o >= 0 else { return nil }
        let p = periods[type]
        if p == 0 { return w[o] }
        return Self.rate(start: Int64(bitPattern: w[o]), curr: w[o + 1], prev: w[o + 2], period: p, now: now)
    }

    static func rate(start: Int64, curr: UInt64, prev: UInt64, period p: Int64, now: Int64) -> UInt64 {
        var elapsed = now - start
        var c = curr, q = prev
        if elapsed < 0 { elapsed = 0 }
        if elapsed >= p {
            q = elapsed < 2 * p ? c : 0
            c = 0
            elapsed %= p
        }
        return c &+ UInt64((Double(q) * Double(p - elapsed) / Double(p)).rounded(.down))
    }

    @inline(__always) static func rotate(_ w: UnsafeMutableBufferPointer<UInt64>, _ o: Int, _ p: Int64, _ now: Int64) {
        let start = Int64(bitPattern: w[o])
        if start == 0 { w[o] = UInt64(bitPattern: now); return }
        let elapsed = now - start
        guard elapsed >= p else { return }
        w[o + 2] = elapsed < 2 * p ? w[o + 1] : 0
        w[o + 1] = 0
        w[o] = UInt64(bitPattern: start + elapsed - elapsed % p)
    }
}

extension StickDataType {
    static let gpt0 = 1, gpc0 = 2, gpc0Rate = 3, connCnt = 4, connRate = 5, connCur = 6, sessCnt = 7, sessRate = 8
    static let httpReqCnt = 9, httpReqRate = 10, httpErrCnt = 11, httpErrRate = 12, bytesInCnt = 13, bytesInRate = 14
    static let bytesOutCnt = 15, bytesOutRate = 16, gpc1 = 17, gpc1Rate = 18, httpFailCnt = 20, httpFailRate = 21

    /// The rate that goes with a counter (gpc0 → gpc0_rate...), or nil.
    static func rateOf(_ counter: Int) -> Int? {
        switch counter {
        case gpc0: gpc0Rate
        case gpc1: gpc1Rate
        case connCnt: connRate
        case sessCnt: sessRate
        case httpReqCnt: httpReqRate
        case httpErrCnt: httpErrRate
        case httpFailCnt: httpFailRate
        case bytesInCnt: bytesInRate
        case bytesOutCnt: bytesOutRate
        default: nil
        }
    }
}
