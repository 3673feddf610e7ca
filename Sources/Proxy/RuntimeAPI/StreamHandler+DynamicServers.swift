// The workers' side of `add server` / `del server`, run on each worker's own thread through
// its mailbox: a new server's counters start at zero, and its name is known to the worker's
// log lines (the plans' name tables are built at start and shared read-only).

extension StreamHandler {
    /// Zeroes a server slot's counter row on worker `w` (an earlier occupant's counts).
    func resetServerCounters(worker w: Int, slot: Int) {
        let c = workers[w].counters
        let row = layout.serverRow(slot)
        for f in CounterField.allCases { c.values[row * CounterField.count + f.rawValue] = 0 }
    }

    /// Names (or, with nil, forgets) the server `add server` put in `slot`, for worker `w`'s logs.
    func setDynamicServerName(worker w: Int, slot: Int, _ name: String?) {
        workers[w].dynamicServerNames[slot] = name
        workers[w].rules?.context.dynamicServerNames[slot] = name.map { Array($0.utf8) }
    }
}
