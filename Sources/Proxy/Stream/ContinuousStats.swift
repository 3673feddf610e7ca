// `option contstats`: the engine reports the bytes an exchange moved as it sends them; they go
// to the same counter rows on_done fills (which then adds only the rest). Only listeners of
// frontends with the option report: the others pay one test per send in the engine.

extension StreamHandler {
    package func onProgress(worker: Int, slot: Int, frontend: Int, listener: Int, server: Int, bytesIn: UInt64, bytesOut: UInt64) {
        let w = workers[worker]
        guard slot < w.slotCount, frontend >= 0, frontend < frontends.count else { return }
        let c = w.counters
        let fe = frontends[frontend]
        c.add(fe.counterRow, .bin, bytesIn); c.add(fe.counterRow, .bout, bytesOut)
        let lrow = listenerRow(listener)
        if lrow >= 0 { c.add(lrow, .bin, bytesIn); c.add(lrow, .bout, bytesOut) }
        let s = w.slots[slot]
        guard s.active && s.backend >= 0 else { return }
        let be = backends[Int(s.backend)]
        c.add(be.counterRow, .bin, bytesIn); c.add(be.counterRow, .bout, bytesOut)
        if server >= 0 && server < serverOfSlot.count {
            let row = layout.serverRow(server)
            c.add(row, .bin, bytesIn); c.add(row, .bout, bytesOut)
        }
    }
}
