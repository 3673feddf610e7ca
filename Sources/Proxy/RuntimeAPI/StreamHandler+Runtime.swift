// What the runtime API reads from the stream layer: worker count and summed counters.

extension StreamHandler {
    public var workerCount: Int { workers.count }

    /// One counter of one row, summed over the workers (a benign race, as the stats page).
    public func sumCounter(row: Int, _ field: CounterField) -> Int {
        var n: UInt64 = 0
        for w in workers { n &+= w.counters.get(row, field) }
        return Int(truncatingIfNeeded: n)
    }

    /// One counter of one row on one worker.
    func counter(worker: Int, row: Int, _ field: CounterField) -> Int {
        Int(truncatingIfNeeded: workers[worker].counters.get(row, field))
    }

    /// The frontend plans and backend plans, for the runtime API's listings.
    var frontendPlans: [FrontendPlan] { frontends }
    var backendPlans: [BackendPlanInfo] { backends }

    /// `clear counters [all]`, run on worker `w`'s thread: the max values, or every counter
    /// (the current sessions and queue are states, not counters).
    func clearCounters(worker w: Int, all: Bool) {
        let c = workers[w].counters
        for row in 0..<layout.rowCount {
            for f in CounterField.allCases where (all && f != .scur && f != .qcur) || f == .smax || f == .qmax || f == .rateMax || f == .reqRateMax {
                c.values[row * CounterField.count + f.rawValue] = 0
            }
        }
    }
}
